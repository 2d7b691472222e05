import { run, RunOptions, RunResult } from "./exec";
import { Role } from "./layout";

/**
 * A lab host as the lab drives it: run a bash script inside it. The namespace lab enters a network and a
 * mount namespace; another runner (a VM) supplies its own implementation for the hosts it owns.
 */
export interface LabHost {
  readonly role: Role;
  exec(script: string, opts?: RunOptions): Promise<RunResult>;
}

/** A host living in network namespace `ns` with its own mount namespace (private /run, /etc, /var). */
export class NamespaceHost implements LabHost {
  constructor(
    readonly role: Role,
    readonly ns: string,
    readonly mountFile: string,
  ) {}

  exec(script: string, opts?: RunOptions): Promise<RunResult> {
    return run(["nsenter", `--mount=${this.mountFile}`, `--net=/run/netns/${this.ns}`, "--", "bash", "-c", script], opts);
  }

  /** Only the network namespace: the machine's own files and /run (e.g. the SSH client with the lab's key files). */
  execNet(argv: readonly string[], opts?: RunOptions): Promise<RunResult> {
    return run(["nsenter", `--net=/run/netns/${this.ns}`, "--", ...argv], opts);
  }
}

/** Runs a script and returns stdout; a failure carries the host, the script's first line and its message. */
export async function sh(host: LabHost, script: string, opts?: RunOptions): Promise<string> {
  const res = await host.exec(script, opts);
  if (res.code !== 0) {
    const first = script.trim().split("\n")[0].slice(0, 120);
    throw new Error(`${host.role}: \`${first}\` exited ${res.code}: ${(res.stderr.trim() || res.stdout.trim()).slice(-1500)}`);
  }
  return res.stdout;
}
