import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { GatewayModel } from "../components/model/gateway";
import { SshSession, SshTarget, thisMachine, writeKnownHosts } from "../lab/ssh";
import { GatewayShell } from "./types";

/** An open pinned-key SSH connection to one gateway, and how to end it (the key and known_hosts go with it). */
export interface GatewaySsh {
  readonly shell: GatewayShell;
  close(): Promise<void>;
}

export function gatewayTarget(gw: GatewayModel): SshTarget {
  return { host: gw.server.ipv4, port: gw.server.port, user: gw.server.user, hostKey: gw.server.hostKey };
}

/**
 * Connects with the stack's SSH key and the gateway's pinned host key (gateway.server.hostKey; nothing is learned
 * on first use). The key and known_hosts live in a private 0700 directory, removed by close() and when opening
 * fails; the key is never on a command line (ssh reads it from that file). Commands go on the script's stdin.
 */
export async function openGatewaySsh(gw: GatewayModel, privateKey: string): Promise<GatewaySsh> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stage2-doctor-"));
  fs.chmodSync(dir, 0o700);
  const remove = () => fs.rmSync(dir, { recursive: true, force: true });
  const target = gatewayTarget(gw);
  try {
    const keyFile = path.join(dir, "key");
    fs.writeFileSync(keyFile, privateKey.endsWith("\n") ? privateKey : `${privateKey}\n`, { mode: 0o600 });
    const knownHostsFile = path.join(dir, "known_hosts");
    writeKnownHosts(knownHostsFile, [target]);
    const session = new SshSession({ keyFile, knownHostsFile, from: thisMachine }, target);
    await session.open();
    return {
      shell: { run: (script, opts) => session.run("bash --norc -s", { input: script, timeoutMs: opts?.timeoutMs ?? 20_000 }) },
      async close() {
        try {
          await session.close();
        } finally {
          remove();
        }
      },
    };
  } catch (err) {
    remove();
    throw err;
  }
}
