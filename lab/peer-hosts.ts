import { shq } from "../components/host/apply-script";
import { networkOf } from "../components/model/net";
import { LabHost, putFile, sh } from "./host";
import { LabLayout } from "./layout";
import { PATIENT_GOBGP, renderGobgpdConfig, renderPeerStrongswanConf, ROUTE_POLLER } from "./peers";

/** Starts and drives the lab's peers (configured directly by the lab: they are not stage2 hosts). */

/** A detached daemon: no inherited pipes, so the lab's command returns while it keeps running. */
const detach = (cmd: string): string => `setsid ${cmd} </dev/null >/dev/null 2>&1 &`;

/** `extra` files (a CA certificate) are written before charon starts. */
export async function startPeerCharon(
  host: LabHost<string>,
  swanctl: string,
  extra: readonly { path: string; content: string; mode?: string }[] = [],
): Promise<void> {
  await putFile(host, "/etc/strongswan.d/zz-stage2-lab.conf", renderPeerStrongswanConf());
  await putFile(host, "/etc/swanctl/swanctl.conf", swanctl, "0600");
  for (const f of extra) await putFile(host, f.path, f.content, f.mode);
  await sh(
    host,
    [
      detach("/usr/lib/ipsec/charon"),
      // Its VICI socket answers once charon has loaded its plugins: 60 s, for a peer among many on emulated CPUs.
      "t=$((SECONDS + 60)); until swanctl --stats >/dev/null 2>&1 || [ $SECONDS -ge $t ]; do sleep 0.05; done",
      "swanctl --load-all --noprompt",
    ].join("\n"),
  );
}

/** Initiates a CHILD_SA and waits for it; the error is charon's own account of what failed. */
export async function initiate(host: LabHost<string>, child: string, timeoutS = 15): Promise<void> {
  await sh(host, `swanctl --initiate --child ${shq(child)} --timeout ${timeoutS} --loglevel 1`, { timeoutMs: (timeoutS + 5) * 1000 });
}

/**
 * Initiates until the CHILD_SA is installed, three attempts at most: on a loaded machine one exchange can outlast the
 * peer's retransmits, and right after an IKE SA ended the other side may still be tearing it down.
 */
export async function dial(host: LabHost<string>, child: string, timeoutS = 15): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await initiate(host, child, timeoutS);
    } catch (err) {
      if ((await host.exec(`swanctl --list-sas --child ${shq(child)}`)).stdout.includes("INSTALLED")) return;
      if (attempt === 3) throw err;
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
}

export function startNode(host: LabHost, layout: LabLayout): Promise<void> {
  return startGobgpd(host, renderGobgpdConfig(layout));
}

/** gobgpd with `config` and the route poller that mirrors its best paths into the kernel as they change, as kube-router does. */
export async function startGobgpd(host: LabHost<string>, config: string): Promise<void> {
  await putFile(host, "/etc/gobgpd.toml", config);
  await putFile(host, "/etc/stage2-lab/bgp-routes", ROUTE_POLLER, "0755");
  await sh(
    host,
    [
      "gobgpd -t toml -f /etc/gobgpd.toml --dry-run >/dev/null",
      `setsid gobgpd -t toml -f /etc/gobgpd.toml -l info --log-plain --pprof-disable --api-hosts 127.0.0.1:50051 </dev/null >/var/log/gobgpd.log 2>&1 &`,
      detach("/etc/stage2-lab/bgp-routes"),
      PATIENT_GOBGP,
      // Its API answers once the daemon has started: 60 s, for a node among many on emulated CPUs.
      "t=$((SECONDS + 60)); until gobgp global >/dev/null || [ $SECONDS -ge $t ]; do sleep 0.05; done",
      "gobgp global",
    ].join("\n"),
  );
}

/** The WireGuard client's key pair; the private key never leaves wgpeer. Returns the public key. */
export async function wgpeerKey(host: LabHost<string>): Promise<string> {
  return (
    await sh(
      host,
      "umask 077; mkdir -p /etc/wireguard; [ -s /etc/wireguard/lab.key ] || wg genkey > /etc/wireguard/lab.key; wg pubkey < /etc/wireguard/lab.key",
    )
  ).trim();
}

export async function startWgpeer(host: LabHost, layout: LabLayout, gatewayPublicKey: string): Promise<void> {
  if (layout.wg) await startWgClient(host, layout.wg, gatewayPublicKey);
}

/** A wireguard-go client of the gateway at `endpoint`, routing the gateway's WireGuard subnet through it. */
export async function startWgClient(
  host: LabHost<string>,
  wg: { readonly endpoint: string; readonly address: string },
  gatewayPublicKey: string,
): Promise<void> {
  await sh(
    host,
    [
      "set -e",
      "ip link show wg0 >/dev/null 2>&1 || wireguard-go wg0 >/dev/null 2>&1",
      `wg set wg0 private-key /etc/wireguard/lab.key peer ${shq(gatewayPublicKey)} endpoint ${shq(wg.endpoint)} allowed-ips ${shq(networkOf(wg.address))}`,
      `ip addr replace ${shq(wg.address)} dev wg0`,
      "ip link set wg0 up",
    ].join("\n"),
  );
}
