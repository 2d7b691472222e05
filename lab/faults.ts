import { pingCounts, rwVip } from "./checks";
import { sh } from "./host";
import { Lab } from "./lab";

/** Kills gw's charon outright (by its pid file, never by name) and waits until it is gone. */
export async function killGatewayCharon(lab: Lab): Promise<number> {
  const out = await sh(
    lab.host("gw"),
    "pid=$(cat /run/charon.pid); kill -KILL \"$pid\"; for i in $(seq 60); do kill -0 \"$pid\" 2>/dev/null || break; sleep 0.05; done; echo \"$pid\"",
  );
  return Number(out.trim());
}

/**
 * What a restart-based tool does (`systemctl restart strongswan`): charon stops gracefully (deleting every SA,
 * telling the peers), then the converge's service check starts it again and loads the connections.
 */
export async function restartGatewayCharon(lab: Lab): Promise<void> {
  await sh(
    lab.host("gw"),
    "pid=$(cat /run/charon.pid); kill -TERM \"$pid\"; for i in $(seq 100); do kill -0 \"$pid\" 2>/dev/null || break; sleep 0.05; done",
  );
  await lab.converge();
}

/**
 * Waits until rw has a virtual IP and reaches node, and (when the stack has a site) the site's LAN host
 * reaches node too. Returns the time it took.
 */
export async function waitForTunnels(lab: Lab, timeoutMs = 30_000): Promise<number> {
  const t0 = Date.now();
  const { layout } = lab;
  const reach = async (role: "rw" | "sitehost", from?: string) => {
    const r = await lab.host(role).exec(`ping -n -c 1 -W 1 ${from ? `-I ${from} ` : ""}${layout.addrs.node}`);
    return pingCounts(r.stdout)[1] === 1;
  };
  while (Date.now() - t0 < timeoutMs) {
    const vip = await rwVip(lab);
    if (vip && (await reach("rw", vip)) && (!layout.site || (await reach("sitehost")))) return Date.now() - t0;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the tunnels did not come back within ${timeoutMs} ms`);
}
