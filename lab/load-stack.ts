import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { GatewayModel } from "../components/model/gateway";
import { poolAddresses } from "../components/model/pool-capacity";
import { hostIn } from "./address";
import { LAB_STACK_FILE } from "./stack";

/**
 * The load lab's gateway: the lab stack's, with its road-warrior class holding one PSK identity more than its pool
 * has addresses (a full pool, and one client it must refuse), and many sites that its peer charon dials.
 */

export interface LoadSize {
  /** The road-warrior class's pool; the clients are as many as it holds, plus one. */
  readonly pool: string;
  readonly sites: number;
}

export const clientId = (i: number): string => `load-${String(i).padStart(4, "0")}@lab.example`;
export const clientConn = (i: number): string => `c${String(i).padStart(4, "0")}`;

/** How many clients the pool holds (charon's count): the load; the identity after them is the one refused. */
export const poolClients = (size: LoadSize): number => poolAddresses(size.pool);

/** Writes Pulumi.load.yaml into `dir`: the lab stack, its first road-warrior class with the load's identities and pool. */
export function writeLoadStack(dir: string, size: LoadSize): string {
  const doc = YAML.parse(fs.readFileSync(LAB_STACK_FILE, "utf8")) as { config: Record<string, unknown> };
  const gateways = doc.config["stage2:gateways"] as { ipsec: { roadWarriors: { pool: string; clients: { ids: string[] } }[] } }[];
  const rw = gateways[0].ipsec.roadWarriors[0];
  rw.pool = size.pool;
  rw.clients.ids = Array.from({ length: poolClients(size) + 1 }, (_, i) => clientId(i));
  const file = path.join(dir, "Pulumi.load.yaml");
  fs.writeFileSync(file, YAML.stringify(doc));
  return file;
}

/** One of the load's sites: its peer's public address (on the lab's site host), its LAN, its PSK's config key. */
export interface LoadSite {
  readonly name: string;
  readonly addr: string;
  readonly net: string;
  readonly secretKey: string;
}

/** 203.0.113.100 and up for the peers (the lab's own addresses are below), 10.21.0.0/24 and up for their LANs. */
export function loadSites(count: number): LoadSite[] {
  if (count > 150) throw new Error(`at most 150 load sites (203.0.113.100-249), not ${count}`);
  return Array.from({ length: count }, (_, i) => ({
    name: `load-s${String(i).padStart(3, "0")}`,
    addr: hostIn("203.0.113.0/24", 100 + i),
    net: `10.21.${i}.0/24`,
    secretKey: `load-site-psk-${i}`,
  }));
}

/** The gateway with the load's sites added: copies of its first site (the lab's), each waiting for its peer to dial. */
export function withLoadSites(gw: GatewayModel, sites: readonly LoadSite[]): GatewayModel {
  const base = gw.ipsec.sites[0];
  if (!base || base.auth.kind !== "psk") throw new Error(`${gw.name}: the load lab copies the gateway's first site, a PSK site`);
  const auth = base.auth;
  return {
    ...gw,
    ipsec: {
      ...gw.ipsec,
      sites: [
        ...gw.ipsec.sites,
        ...sites.map((s) => ({
          ...base,
          name: s.name,
          remoteAddrs: [s.addr],
          remoteTs: [s.net],
          auth: { ...auth, secret: s.secretKey },
          startAction: "none" as const,
        })),
      ],
    },
  };
}
