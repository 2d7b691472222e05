import * as fs from "fs";
import * as path from "path";
import { runOk, RunOptions, RunResult } from "./exec";
import { LabHost, NamespaceHost, sh } from "./host";

/**
 * Real SSH into lab hosts: sshd runs in the host's namespace with a host key generated per run; the client
 * pins that key (StrictHostKeyChecking=yes, a known_hosts file of its own) exactly as a remote.Command with
 * `connection.hostKey` does.
 */

export interface SshTarget {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  /** "ssh-ed25519 AAAA..." */
  readonly hostKey: string;
}

export interface SshClient {
  readonly keyFile: string;
  readonly knownHostsFile: string;
  /** Where the client runs: a lab host's network namespace (the operator on the lab's internet). */
  readonly from: NamespaceHost<string>;
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
    "/usr/sbin/sshd",
    "cut -d' ' -f1,2 /etc/ssh/ssh_host_ed25519_key.pub",
  ].join("\n");
  return (await sh(host, script)).trim();
}

/** Writes the pinned keys: one line per target, nothing learned on first use. */
export function writeKnownHosts(file: string, targets: readonly SshTarget[]): void {
  const lines = targets.map((t) => `${t.port === 22 ? t.host : `[${t.host}]:${t.port}`} ${t.hostKey}`);
  fs.writeFileSync(file, lines.join("\n") + "\n", { mode: 0o600 });
}

const controlPath = (client: SshClient): string => path.join(path.dirname(client.keyFile), "cm-%C");

/** ssh's options for one pinned-key connection; `control` "none" opts out of the shared master connection. */
export const baseArgs = (client: SshClient, target: SshTarget, control = controlPath(client)): string[] => [
  "-F",
  "none",
  "-i",
  client.keyFile,
  "-o",
  `UserKnownHostsFile=${client.knownHostsFile}`,
  "-o",
  "GlobalKnownHostsFile=/dev/null",
  "-o",
  "StrictHostKeyChecking=yes",
  "-o",
  "BatchMode=yes",
  "-o",
  "ConnectTimeout=5",
  "-o",
  "LogLevel=ERROR",
  "-o",
  `ControlPath=${control}`,
  "-p",
  String(target.port),
  "-l",
  target.user,
];

/**
 * One authenticated connection that later commands multiplex over (the lab's converge runs a dozen commands
 * in a row; a handshake each would dominate its time). The master checks the pinned host key like any other
 * connection; without it, every command connects on its own.
 */
export async function openMaster(client: SshClient, target: SshTarget): Promise<void> {
  const res = await client.from.execNet([
    "ssh",
    ...baseArgs(client, target),
    "-o",
    "ControlMaster=yes",
    "-o",
    "ControlPersist=yes",
    "-f",
    "-N",
    "-E",
    path.join(path.dirname(client.keyFile), "master.log"),
    target.host,
  ]);
  if (res.code !== 0) {
    const log = path.join(path.dirname(client.keyFile), "master.log");
    throw new Error(
      `ssh to ${target.user}@${target.host}:${target.port} failed: ${fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim() : res.stderr.trim()}`,
    );
  }
}

/** Runs `command` on the target over SSH with `input` on stdin. */
export function sshRun(client: SshClient, target: SshTarget, command: string, opts: RunOptions = {}): Promise<RunResult> {
  return client.from.execNet(["ssh", ...baseArgs(client, target), "-o", "ControlMaster=no", target.host, "--", command], opts);
}
