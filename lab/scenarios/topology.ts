import * as path from "path";
import { runOk } from "../exec";
import { NamespaceHost, sh } from "../host";
import { createHost, destroyLab, privateMountDir } from "../netns";

/**
 * strongSwan's test network with the corpus's own addresses, built from network namespaces: three segments
 * (bridges inside one switch namespace, never in the machine's own) — the internet 192.168.0.0/24 with moon, sun,
 * carol and dave, moon's LAN 10.1.0.0/16 with alice and venus, sun's LAN 10.2.0.0/16 with bob. Nothing routes out:
 * the only default routes point at moon and sun inside the lab.
 */

export interface CorpusHost {
  readonly name: string;
  /** eth0, eth1, ... with "address/len" and the segment (bridge) each is plugged into. */
  readonly ifaces: readonly { readonly addr: string; readonly segment: "internet" | "lan1" | "lan2" }[];
  readonly gateway?: string;
  /** Routes between interfaces: the gateways, and bob, the VPN gateway behind sun in the double-NAT scenarios. */
  readonly forward: boolean;
}

export const CORPUS_HOSTS: readonly CorpusHost[] = [
  {
    name: "moon",
    ifaces: [
      { addr: "192.168.0.1/24", segment: "internet" },
      { addr: "10.1.0.1/16", segment: "lan1" },
    ],
    forward: true,
  },
  {
    name: "sun",
    ifaces: [
      { addr: "192.168.0.2/24", segment: "internet" },
      { addr: "10.2.0.1/16", segment: "lan2" },
    ],
    forward: true,
  },
  { name: "carol", ifaces: [{ addr: "192.168.0.100/24", segment: "internet" }], forward: false },
  { name: "dave", ifaces: [{ addr: "192.168.0.200/24", segment: "internet" }], forward: false },
  { name: "alice", ifaces: [{ addr: "10.1.0.10/16", segment: "lan1" }], gateway: "10.1.0.1", forward: false },
  { name: "venus", ifaces: [{ addr: "10.1.0.20/16", segment: "lan1" }], gateway: "10.1.0.1", forward: false },
  { name: "bob", ifaces: [{ addr: "10.2.0.10/16", segment: "lan2" }], gateway: "10.2.0.1", forward: true },
];

const SWITCH = "sw";

/** A corpus host: a lab host named after its corpus role (moon, carol, ...). */
export type ScenarioHost = NamespaceHost<string>;

export interface ScenarioNetwork {
  readonly prefix: string;
  readonly stateDir: string;
  readonly hosts: ReadonlyMap<string, ScenarioHost>;
}

export const scenarioStateDir = (prefix: string): string => path.join("/run/stage2-lab", prefix);

/** Builds the whole corpus network (every host, whether the scenario configures it or not). */
export async function buildNetwork(prefix: string): Promise<ScenarioNetwork> {
  const stateDir = scenarioStateDir(prefix);
  await destroyLab(prefix, stateDir);
  await privateMountDir(stateDir);
  const sw = `${prefix}-${SWITCH}`;
  await runOk(["ip", "netns", "add", sw]);
  const swLines = ["set -e", "ip link set lo up", ...["internet", "lan1", "lan2"].flatMap((b) => [`ip link add ${b} type bridge`, `ip link set ${b} up`])];
  const hosts = new Map<string, ScenarioHost>();
  await Promise.all(CORPUS_HOSTS.map(async (h) => hosts.set(h.name, await createHost(stateDir, h.name, `${prefix}-${h.name}`))));
  for (const h of CORPUS_HOSTS) {
    for (const [i, iface] of h.ifaces.entries()) {
      const port = `${h.name}${i}`;
      // Both ends are created inside lab namespaces: no lab interface ever exists in the machine's own namespace.
      await runOk(["ip", "link", "add", "name", `eth${i}`, "netns", `${prefix}-${h.name}`, "type", "veth", "peer", "name", port, "netns", sw]);
      swLines.push(`ip link set ${port} master ${iface.segment}`, `ip link set ${port} up`);
    }
  }
  await runOk(["ip", "netns", "exec", sw, "bash", "-c", swLines.join("\n")]);
  await Promise.all(
    CORPUS_HOSTS.map((h) =>
      sh(
        hosts.get(h.name)!,
        [
          "set -e",
          "ip link set lo up",
          `sysctl -qw net.ipv4.ip_forward=${h.forward ? 1 : 0}`,
          ...h.ifaces.flatMap((iface, i) => [`ip addr add ${iface.addr} dev eth${i}`, `ip link set eth${i} up`]),
          ...(h.gateway ? [`ip route add default via ${h.gateway}`] : []),
        ].join("\n"),
      ),
    ),
  );
  return { prefix, stateDir, hosts };
}

/** Removes every namespace, process and mount of this prefix (also what a crashed run left). */
export function destroyNetwork(prefix: string): Promise<string[]> {
  return destroyLab(prefix, scenarioStateDir(prefix));
}
