import { shq } from "../../components/host/apply-script";
import { Limit } from "../../doctor/shell-limit";
import { RunOptions, RunResult } from "../exec";
import { LabHost } from "../host";
import { Role } from "../layout";
import { SshSession } from "../ssh";

/** A command's own timeout, or exec's default, stretched for a host that runs emulated beside many others. */
const stretched = (opts: RunOptions, slowdown: number): RunOptions => (slowdown === 1 ? opts : { ...opts, timeoutMs: (opts.timeoutMs ?? 60_000) * slowdown });

const UNLIMITED: Limit = (fn) => fn();

/** A script as one quoted word for the remote shell: one simple command, which the remote shell execs (no fork, no decoder). */
const asCommand = (prefix: string, script: string): string => `${prefix} bash -c ${shq(script)}`;

/** The gateway: the VM itself (its root namespace, its systemd), reached over the management SSH connection. */
export class VmRootHost<R extends string = Role> implements LabHost<R> {
  constructor(
    readonly role: R,
    private readonly ssh: SshSession,
  ) {}

  exec(script: string, opts: RunOptions = {}): Promise<RunResult> {
    return this.ssh.run(asCommand("", script), opts);
  }
}

/** A lab peer: a network namespace inside the VM with its own mount namespace (private /run, /etc, /var). */
export class VmNamespaceHost<R extends string = Role> implements LabHost<R> {
  constructor(
    readonly role: R,
    readonly ns: string,
    readonly mountFile: string,
    private readonly ssh: SshSession,
    private readonly slowdown = 1,
    private readonly limit: Limit = UNLIMITED,
  ) {}

  exec(script: string, opts: RunOptions = {}): Promise<RunResult> {
    return this.limit(() =>
      this.ssh.run(asCommand(`nsenter --mount=${this.mountFile} --net=/run/netns/${this.ns} --`, script), stretched(opts, this.slowdown)),
    );
  }
}

/** A gateway container inside the VM (lab/kernel/containers.ts): every namespace of its systemd, PID 1 of its own. */
export class VmContainerHost implements LabHost<string> {
  constructor(
    readonly role: string,
    readonly leader: number,
    private readonly ssh: SshSession,
    private readonly slowdown = 1,
    private readonly limit: Limit = UNLIMITED,
  ) {}

  exec(script: string, opts: RunOptions = {}): Promise<RunResult> {
    return this.limit(() => this.ssh.run(asCommand(`nsenter --target ${this.leader} --all --`, script), stretched(opts, this.slowdown)));
  }
}
