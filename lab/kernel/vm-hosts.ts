import { RunOptions, RunResult } from "../exec";
import { LabHost } from "../host";
import { Role } from "../layout";
import { SshSession } from "../ssh";

/** A script as one word for the remote shell: base64 survives any quoting. */
const asCommand = (prefix: string, script: string): string => `${prefix} bash -c "$(echo ${Buffer.from(script, "utf8").toString("base64")} | base64 -d)"`;

/** The gateway: the VM itself (its root namespace, its systemd), reached over the management SSH connection. */
export class VmRootHost implements LabHost {
  constructor(
    readonly role: Role,
    private readonly ssh: SshSession,
  ) {}

  exec(script: string, opts: RunOptions = {}): Promise<RunResult> {
    return this.ssh.run(asCommand("", script), opts);
  }
}

/** A lab peer: a network namespace inside the VM with its own mount namespace (private /run, /etc, /var). */
export class VmNamespaceHost implements LabHost {
  constructor(
    readonly role: Role,
    readonly ns: string,
    readonly mountFile: string,
    private readonly ssh: SshSession,
  ) {}

  exec(script: string, opts: RunOptions = {}): Promise<RunResult> {
    return this.ssh.run(asCommand(`nsenter --mount=${this.mountFile} --net=/run/netns/${this.ns} --`, script), opts);
  }
}
