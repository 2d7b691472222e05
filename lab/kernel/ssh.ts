import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";

export interface ExecResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * The openssh client against the VM's forwarded sshd: the VM's host key pinned in a known_hosts file of the
 * run, key login, and one master connection that every command reuses (a new SSH handshake costs seconds on TCG).
 */
export class SshClient {
  private master?: ChildProcess;

  constructor(
    private readonly dir: string,
    readonly port: number,
    private readonly identity: string,
    private readonly knownHosts: string,
    /** Where to connect: 127.0.0.1 (the forward), or an address reached through `proxyCommand`. */
    readonly host = "127.0.0.1",
    private readonly proxyCommand?: string,
    private readonly controlName = "ssh.ctl",
  ) {}

  /** The arguments that make `ssh` reach this target; also used as another client's ProxyCommand. */
  baseArgs(): string[] {
    return [
      "-F",
      "/dev/null",
      "-i",
      this.identity,
      "-p",
      String(this.port),
      ...(this.proxyCommand ? ["-o", `ProxyCommand=${this.proxyCommand}`] : []),
      "-o",
      "BatchMode=yes",
      "-o",
      "IdentitiesOnly=yes",
      "-o",
      `UserKnownHostsFile=${this.knownHosts}`,
      "-o",
      "StrictHostKeyChecking=yes",
      "-o",
      "HostKeyAlgorithms=ssh-ed25519",
      "-o",
      "ConnectTimeout=10",
      "-o",
      `ControlPath=${path.join(this.dir, this.controlName)}`,
      "-o",
      "LogLevel=ERROR",
    ];
  }

  /** Opens the master connection; resolves once it is up. */
  async connect(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const master = spawn("ssh", [...this.baseArgs(), "-M", "-N", "-o", "ControlMaster=yes", `root@${this.host}`], {
        stdio: ["ignore", "ignore", "pipe"],
      });
      let err = "";
      master.stderr?.on("data", (d: Buffer) => (err += d.toString()));
      const up = await new Promise<boolean>((resolve) => {
        const poll = setInterval(() => {
          if (fs.existsSync(path.join(this.dir, this.controlName))) {
            clearInterval(poll);
            resolve(true);
          }
        }, 100);
        master.once("exit", () => {
          clearInterval(poll);
          resolve(false);
        });
      });
      if (up) {
        this.master = master;
        return;
      }
      if (Date.now() > deadline) throw new Error(`ssh to the VM did not come up: ${err.trim()}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  /** Runs a command (one string for the remote shell) with stdin; never throws on a non-zero exit; 124 on timeout. */
  exec(command: string, stdin = "", timeoutMs = 120_000): Promise<ExecResult> {
    return new Promise((resolve, reject) => {
      const child = spawn("ssh", [...this.baseArgs(), "-o", "ControlMaster=no", `root@${this.host}`, command], {
        stdio: ["pipe", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill("SIGKILL");
      }, timeoutMs);
      child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      child.on("error", (e) => {
        clearTimeout(timer);
        reject(e);
      });
      child.on("close", (code) => {
        clearTimeout(timer);
        resolve({ code: timedOut ? 124 : (code ?? 255), stdout, stderr: stderr + (timedOut ? `\n(timed out after ${timeoutMs} ms)` : "") });
      });
      child.stdin.on("error", () => undefined);
      child.stdin.end(stdin);
    });
  }

  close(): void {
    if (this.master && this.master.exitCode === null) this.master.kill("SIGTERM");
    this.master = undefined;
  }
}
