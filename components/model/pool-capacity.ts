import type { GatewayModel, RoadWarriorModel } from "./gateway";
import { parsePrefix } from "./net";

/** charon limits a pool to 2^31 addresses (POOL_LIMIT in libcharon's mem_pool.c). */
const POOL_LIMIT_BITS = 31;

/**
 * How many clients a CIDR pool can hold at once, as charon's mem_pool_create counts it: 2^host bits (at most 2^31),
 * less the block's first and last address when the block is larger than two.
 */
export function poolAddresses(cidr: string): number {
  const prefix = parsePrefix(cidr);
  if (!prefix) throw new Error(`not a prefix: ${cidr}`);
  const hostBits = Math.min((prefix.family === 4 ? 32 : 128) - prefix.bits, POOL_LIMIT_BITS);
  const size = 2 ** hostBits;
  return size > 2 ? size - 2 : size;
}

/** The clients a class lists one by one (EAP users, PSK identities); undefined when any certificate of a CA may connect. */
function listedClients(rw: RoadWarriorModel): { count: number; what: string } | undefined {
  if (rw.clients.kind === "eap-mschapv2") return { count: rw.clients.users.length, what: "EAP users" };
  if (rw.clients.kind === "psk") return { count: rw.clients.ids.length, what: "PSK identities" };
  return undefined;
}

/**
 * Road-warrior classes with more clients than their pool has addresses: not an error (not every client is online at
 * once), but when they all are, charon refuses the next one a virtual IP. `at` prefixes each path ("gateways[0]").
 */
export function poolWarnings(gw: GatewayModel, at = ""): string[] {
  const warnings: string[] = [];
  gw.ipsec.roadWarriors.forEach((rw, i) => {
    const clients = listedClients(rw);
    const size = poolAddresses(rw.pool);
    if (!clients || clients.count <= size) return;
    const path = `${at ? `${at}.` : ""}ipsec.roadWarriors[${i}]`;
    warnings.push(
      `${path} (${rw.name}): ${clients.count} ${clients.what} share the pool ${rw.pool} of ${size} addresses: ` +
        `with ${size} of them connected, charon refuses the next one a virtual IP`,
    );
  });
  return warnings;
}
