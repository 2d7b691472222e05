import { shq } from "../components/host/apply-script";
import { run, RunOptions, RunResult } from "./exec";
import { Role } from "./layout";

/**
 * A lab host as the lab drives it: run a bash script inside it. The namespace lab enters a network and a
 * mount namespace; another runner (a VM) supplies its own implementation for the hosts it owns.
 */
export interface LabHost<R extends string = Role> {
  readonly role: R;
  exec(script: string, opts?: RunOptions): Promise<RunResult>;
}

/** A host living in network namespace `ns` with its own mount namespace (private /run, /etc, /var). */
export class NamespaceHost<R extends string = Role> implements LabHost<R> {
  constructor(
    readonly role: R,
    readonly ns: string,
    readonly mountFile: string,
  ) {}

  exec(script: string, opts?: RunOptions): Promise<RunResult> {
    return run(["nsenter", `--mount=${this.mountFile}`, `--net=/run/netns/${this.ns}`, "--", "bash", "--norc", "-c", script], opts);
  }

  /** Only the network namespace: the machine's own files and /run (e.g. the SSH client with the lab's key files). */
  execNet(argv: readonly string[], opts?: RunOptions): Promise<RunResult> {
    return run(["nsenter", `--net=/run/netns/${this.ns}`, "--", ...argv], opts);
  }
}

/** Runs a script and returns stdout; a failure carries the host, the script's first line and its message. */
export async function sh(host: LabHost<string>, script: string, opts?: RunOptions): Promise<string> {
  const res = await host.exec(script, opts);
  if (res.code !== 0) {
    const lines = script.trim().split("\n");
    // Which line failed only the output tells: a script of several lines is named by its first, as its first.
    const what = `${lines.length > 1 ? "the script beginning " : ""}\`${lines[0].slice(0, 120)}\``;
    throw new Error(`${host.role}: ${what} exited ${res.code}: ${(res.stderr.trim() || res.stdout.trim()).slice(-1500)}`);
  }
  return res.stdout;
}

/** Writes a file inside the host; the content travels on stdin. */
export function putFile(host: LabHost<string>, file: string, content: string, mode = "0644"): Promise<string> {
  const q = shq(file);
  return sh(host, `mkdir -p "$(dirname ${q})" && (umask 077 && cat > ${q}.lab-tmp) && chmod ${mode} ${q}.lab-tmp && mv -f ${q}.lab-tmp ${q}`, {
    input: content,
  });
}
