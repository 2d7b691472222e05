import * as fs from "fs";
import * as path from "path";
import { run, runOk, RunOptions, RunResult } from "./exec";
import { LabHost, NamespaceHost, sh } from "./host";

/**
 * Real SSH into lab hosts, for both labs: the target's host key pinned (StrictHostKeyChecking=yes, a known_hosts
 * file of the run's own, only that key's algorithm) exactly as a remote.Command with `connection.hostKey` does,
 * key login only, and one master connection that later commands multiplex over.
 */

export interface SshTarget {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  /** "ssh-ed25519 AAAA..." */
  readonly hostKey: string;
  /** How to reach `host` when it is not routed from the client (ssh's ProxyCommand, its %h/%p expanded). */
  readonly proxyCommand?: string;
}

/** Where the ssh client runs: a lab namespace (NamespaceHost) or this machine (`thisMachine`). */
export interface SshOrigin {
  execNet(argv: readonly string[], opts?: RunOptions): Promise<RunResult>;
}

/** The client on this machine itself (the kernel lab reaches its VM through qemu's forwarded port). */
export const thisMachine: SshOrigin = { execNet: (argv, opts) => run(argv, opts) };

export interface SshClient<O extends SshOrigin = NamespaceHost<string>> {
  readonly keyFile: string;
  readonly knownHostsFile: string;
  /** Where the client runs: a lab host's network namespace (the operator on the lab's internet), or this machine. */
  readonly from: O;
}

const SSHD_CONFIG = [
  "# Managed by stage2 lab: sshd of a namespace host.",
  "Port 22",
  "HostKey /etc/ssh/ssh_host_ed25519_key",
  "PidFile /run/sshd.pid",
  "PermitRootLogin prohibit-password",
  "PubkeyAuthentication yes",
  "PasswordAuthentication no",
  "KbdInteractiveAuthentication no",
  // No PAM: the namespace has no logind/systemd session to register with.
  "UsePAM no",
  "AuthorizedKeysFile /etc/ssh/stage2-lab-authorized_keys",
  "PrintMotd no",
  "",
].join("\n");

/** The operator's key pair, generated per run in the lab's state directory. */
export async function operatorKey(stateDir: string): Promise<{ keyFile: string; publicKey: string }> {
  const dir = path.join(stateDir, "ssh");
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const keyFile = path.join(dir, "operator");
  if (!fs.existsSync(keyFile)) await runOk(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "stage2-lab-operator", "-f", keyFile]);
  return { keyFile, publicKey: fs.readFileSync(`${keyFile}.pub`, "utf8").trim() };
}

/** Starts sshd in `host` with a fresh host key; returns that key ("ssh-ed25519 AAAA..."). */
export async function startSshd(host: LabHost<string>, authorizedKey: string): Promise<string> {
  const script = [
    "set -e",
    "rm -f /etc/ssh/ssh_host_*",
    "ssh-keygen -q -t ed25519 -N '' -C '' -f /etc/ssh/ssh_host_ed25519_key",
    `cat > /etc/ssh/sshd_config <<'EOF'\n${SSHD_CONFIG}EOF`,
    `printf '%s\\n' '${authorizedKey.replace(/'/g, "")}' > /etc/ssh/stage2-lab-authorized_keys`,
    "chmod 600 /etc/ssh/stage2-lab-authorized_keys",
    "mkdir -p /run/sshd && chmod 755 /run/sshd",
    "/usr/sbin/sshd -t",
    "rm -f /run/sshd.pid",
    "/usr/sbin/sshd",
    // sshd forks away before it binds its port; it writes its pid file once it listens (a connection at once was refused).
    "t=$((SECONDS + 30)); until [ -s /run/sshd.pid ] || [ $SECONDS -ge $t ]; do sleep 0.05; done",
    '[ -s /run/sshd.pid ] || { echo "sshd did not listen within 30 s" >&2; exit 1; }',
    "cut -d' ' -f1,2 /etc/ssh/ssh_host_ed25519_key.pub",
  ].join("\n");
  return (await sh(host, script)).trim();
}

/** The target's key as known_hosts holds it: type and key, without a comment. */
const pinnedKey = (t: SshTarget): string => t.hostKey.trim().split(/\s+/).slice(0, 2).join(" ");

/** Writes the pinned keys: one line per target, nothing learned on first use. */
export function writeKnownHosts(file: string, targets: readonly SshTarget[]): void {
  const lines = targets.map((t) => `${t.port === 22 ? t.host : `[${t.host}]:${t.port}`} ${pinnedKey(t)}`);
  fs.writeFileSync(file, lines.join("\n") + "\n", { mode: 0o600 });
}

const controlPath = (client: SshClient<SshOrigin>): string => path.join(path.dirname(client.keyFile), "cm-%C");

/** ssh's options for one pinned-key connection; `control` "none" opts out of the shared master connection. */
export const baseArgs = (client: SshClient<SshOrigin>, target: SshTarget, control = controlPath(client)): string[] => [
  "-F",
  "none",
  "-i",
  client.keyFile,
  "-o",
  "IdentitiesOnly=yes",
  "-o",
  `UserKnownHostsFile=${client.knownHostsFile}`,
  "-o",
  "GlobalKnownHostsFile=/dev/null",
  "-o",
  "StrictHostKeyChecking=yes",
  "-o",
  `HostKeyAlgorithms=${pinnedKey(target).split(" ")[0]}`,
  "-o",
  "BatchMode=yes",
  "-o",
  "ConnectTimeout=10",
  "-o",
  "LogLevel=ERROR",
  "-o",
  `ControlPath=${control}`,
  ...(target.proxyCommand ? ["-o", `ProxyCommand=${target.proxyCommand}`] : []),
  "-p",
  String(target.port),
  "-l",
  target.user,
];

/**
 * A ProxyCommand that reaches `%h %p` by running `relay` (e.g. `ip netns exec ops busybox nc %h %p`) on `via`,
 * over via's master connection when one is open.
 */
export const proxyVia = (client: SshClient<SshOrigin>, via: SshTarget, relay: string): string =>
  // ssh expands %-tokens in a ProxyCommand: the relay's %h/%p are the inner target's, via's own tokens stay literal.
  ["ssh", ...baseArgs(client, via).map((a) => a.replace(/%/g, "%%")), "-o", "ControlMaster=no", via.host, "--", relay].join(" ");

const masterLog = (client: SshClient<SshOrigin>, target: SshTarget): string =>
  path.join(path.dirname(client.keyFile), `master-${target.host}-${target.port}.log`);

/**
 * One authenticated connection that later commands multiplex over (a converge runs a dozen commands in a row; a
 * handshake each would dominate its time, more so on an emulated VM). The master checks the pinned host key like
 * any other connection; without it, every command connects on its own. Retries for `waitMs` (a host still booting).
 */
export async function openMaster(client: SshClient<SshOrigin>, target: SshTarget, waitMs = 0): Promise<void> {
  const deadline = Date.now() + waitMs;
  const log = masterLog(client, target);
  for (;;) {
    fs.rmSync(log, { force: true });
    const argv = ["ssh", ...baseArgs(client, target), "-o", "ControlMaster=yes", "-o", "ControlPersist=yes", "-f", "-N", "-E", log, target.host];
    const res = await client.from.execNet(argv);
    if (res.code === 0) return;
    if (Date.now() >= deadline) {
      const why = fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim() : res.stderr.trim();
      throw new Error(`ssh to ${target.user}@${target.host}:${target.port} failed: ${why}`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Ends the master connection (commands after it connect on their own); no error when none is open. */
export async function closeMaster(client: SshClient<SshOrigin>, target: SshTarget): Promise<void> {
  await client.from.execNet(["ssh", ...baseArgs(client, target), "-O", "exit", target.host], { timeoutMs: 10_000, afterInterrupt: true });
}

/** Runs `command` on the target over SSH with `input` on stdin; never throws for a non-zero exit (255: ssh's own failure). */
export function sshRun(client: SshClient<SshOrigin>, target: SshTarget, command: string, opts: RunOptions = {}): Promise<RunResult> {
  return client.from.execNet(["ssh", ...baseArgs(client, target), "-o", "ControlMaster=no", target.host, "--", command], opts);
}

/** A client bound to one target: what a lab keeps for a host it drives over SSH. */
export class SshSession {
  constructor(
    readonly client: SshClient<SshOrigin>,
    readonly target: SshTarget,
  ) {}

  open(waitMs = 0): Promise<void> {
    return openMaster(this.client, this.target, waitMs);
  }

  run(command: string, opts: RunOptions = {}): Promise<RunResult> {
    return sshRun(this.client, this.target, command, opts);
  }

  close(): Promise<void> {
    return closeMaster(this.client, this.target);
  }
}
