import { spawn } from "child_process";

/**
 * Runs strongSwan's `pki` or `openssl` with no shell. Secrets (a key on stdin, a passphrase) travel only on stdin
 * and never into a message: a failure names the tool, its sub-command and the tool's own stderr, which echoes no input.
 */
export function runTool(argv: readonly string[], input?: string | Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.on("error", (e) => reject(new Error(`${argv[0]}: ${e.message}`)));
    child.on("close", (code) => {
      if (code === 0) return resolve(Buffer.concat(out));
      // strongSwan's pki reports its TPM plugin failing to load on every run: noise, not the reason.
      const reason = Buffer.concat(err)
        .toString("utf8")
        .split("\n")
        .filter((l) => l.trim() && !/tpm|libtss2/i.test(l))
        .join("; ");
      reject(new Error(`${argv[0]} ${argv[1]} failed (exit ${code}): ${reason || "no message"}`));
    });
    child.stdin.on("error", () => undefined);
    child.stdin.end(input ?? "");
  });
}

export const pkiTool = async (args: readonly string[], input?: string): Promise<string> => (await runTool(["pki", ...args], input)).toString("utf8");
