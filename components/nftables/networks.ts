import { GatewayModel } from "../model/gateway";
import { contains, networkOf, parsePrefix } from "../model/net";

/** Prefixes of one address family each, normalised and minimal: none lies inside another. */
export interface ByFamily {
  readonly v4: readonly string[];
  readonly v6: readonly string[];
}

/**
 * Splits prefixes by family, clears host bits and drops any prefix that another one covers, keeping first-seen
 * order. Throws on anything that is not a prefix, so no text can reach a config file unchecked.
 */
export function byFamily(prefixes: readonly string[]): ByFamily {
  const v4: string[] = [];
  const v6: string[] = [];
  const normal = prefixes.map((text) => {
    const prefix = parsePrefix(text);
    if (!prefix) throw new Error(`not an address prefix: ${JSON.stringify(text)}`);
    return { family: prefix.family, net: networkOf(text) };
  });
  normal.forEach((p, i) => {
    const covered = normal.some((q) => q.net !== p.net && contains(q.net, p.net)) || normal.findIndex((q) => q.net === p.net) !== i;
    if (!covered) (p.family === 4 ? v4 : v6).push(p.net);
  });
  return { v4, v6 };
}

/** Networks whose traffic may only pass through IPsec: road-warrior pools, then sites' remote_ts. */
export function ipsecNetworks(gw: GatewayModel): string[] {
  return [...gw.ipsec.roadWarriors.map((rw) => rw.pool), ...gw.ipsec.sites.flatMap((site) => site.remoteTs)];
}

/** True when any network the gateway routes or serves is IPv6. */
export function usesIPv6(gw: GatewayModel): boolean {
  const all = [
    ...ipsecNetworks(gw),
    ...gw.ipsec.roadWarriors.flatMap((rw) => rw.localTs ?? []),
    ...gw.ipsec.sites.flatMap((site) => site.localTs ?? []),
    ...gw.private.networks,
    gw.wireguard.address,
    ...gw.wireguard.peers.flatMap((peer) => peer.allowedIps),
    ...gw.masquerade,
  ];
  return byFamily(all).v6.length > 0;
}
