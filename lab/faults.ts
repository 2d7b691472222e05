import { clientVip, pingCounts } from "./checks";
import { sh } from "./host";
import { Lab } from "./lab";

/** Kills a gateway's charon (default the first gateway's) outright, by its pid file, never by name; waits until it is gone. */
export async function killGatewayCharon(lab: Lab, gateway = lab.topology.gateways[0].name): Promise<number> {
  const out = await sh(
    lab.host(lab.gatewayRole(gateway)),
    'pid=$(cat /run/charon.pid); kill -KILL "$pid"; for i in $(seq 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done; echo "$pid"',
  );
  return Number(out.trim());
}

/**
 * What a restart-based tool does (`systemctl restart strongswan`): charon stops gracefully (deleting every SA,
 * telling the peers), then the converge's service check starts it again and loads the connections.
 */
export async function restartGatewayCharon(lab: Lab, gateway = lab.topology.gateways[0].name): Promise<void> {
  await sh(
    lab.host(lab.gatewayRole(gateway)),
    'pid=$(cat /run/charon.pid); kill -TERM "$pid"; for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done',
  );
  await lab.converge(lab.model(undefined, gateway));
}

/**
 * Waits until every client has a virtual IP and reaches a node of its gateway, and every site's LAN host and a node
 * reach each other (traffic from the node re-triggers a trapped site). Returns the time it took.
 */
export async function waitForTunnels(lab: Lab, timeoutMs = 30_000): Promise<number> {
  const t0 = Date.now();
  const t = lab.topology;
  const reach = async (role: string, to: string, from?: string) =>
    pingCounts((await lab.host(role).exec(`ping -n -c 1 -W 1 ${from ? `-I ${from} ` : ""}${to}`)).stdout)[1] === 1;
  const nodeOf = (gateway: string) => t.nodes.find((n) => n.role === t.gateways.find((g) => g.name === gateway)!.nodes[0])!;
  const up = async (): Promise<boolean> => {
    const clients = await Promise.all(
      t.clients.map(async (c) => {
        const vip = await clientVip(lab, c);
        return !!vip && (await reach(c.role, nodeOf(c.gateway).addr, vip));
      }),
    );
    const sites = await Promise.all(
      t.sites.map(async (s) => {
        const node = lab.siteTrigger(s);
        if (!node) return true;
        return s.startAction === "none" ? reach(s.lans[0].host, node.addr) : reach(node.role, s.lans[0].hostAddr);
      }),
    );
    return [...clients, ...sites].every(Boolean);
  };
  while (Date.now() - t0 < timeoutMs) {
    if (await up()) return Date.now() - t0;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the tunnels did not come back within ${timeoutMs} ms`);
}
