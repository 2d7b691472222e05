import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

export interface ApplyRun {
  readonly code: number | null;
  readonly out: string;
  readonly err: string;
  readonly pid: number;
}

/**
 * Runs an apply script the way the remote command does (bash, payload on stdin) in a private mount namespace
 * whose /var/lib is `dir`/var-lib: the script's lock, journal and staging are the test's own, shared by every run
 * of one test and by nothing else on the machine. `unshare` and bash exec in place, so `pid` is the script's.
 */
export function sandboxArgs(dir: string, script: string): string[] {
  fs.mkdirSync(path.join(dir, "var-lib"), { recursive: true });
  const file = path.join(dir, `apply-${process.hrtime.bigint()}.sh`);
  fs.writeFileSync(file, script);
  return ["--mount", "--propagation", "private", "bash", "-c", `mount --bind ${dir}/var-lib /var/lib && exec bash ${file}`];
}

export function applySync(dir: string, script: string, payload: string, env: Record<string, string> = {}): ApplyRun {
  const r = spawnSync("unshare", sandboxArgs(dir, script), { input: payload, env: { ...process.env, ...env }, cwd: dir, timeout: 60_000 });
  return { code: r.status, out: r.stdout.toString(), err: r.stderr.toString(), pid: r.pid ?? 0 };
}

/** Starts a run and resolves when it ends; `started` resolves with its pid at once. */
export function applyAsync(dir: string, script: string, payload: string, env: Record<string, string> = {}): { pid: number; done: Promise<ApplyRun> } {
  const child = spawn("unshare", sandboxArgs(dir, script), { env: { ...process.env, ...env }, cwd: dir });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on("data", (b: Buffer) => out.push(b));
  child.stderr.on("data", (b: Buffer) => err.push(b));
  child.stdin.end(payload);
  const done = new Promise<ApplyRun>((resolve) =>
    child.on("close", (code) => resolve({ code, out: Buffer.concat(out).toString(), err: Buffer.concat(err).toString(), pid: child.pid ?? 0 })),
  );
  return { pid: child.pid ?? 0, done };
}

/** The concern's state directory as the sandboxed script sees /var/lib/stage2/<concern>. */
export const stateDir = (dir: string, concern: string): string => path.join(dir, "var-lib", "stage2", concern);
