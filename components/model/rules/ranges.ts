import type { GatewayModel, Problem } from "../gateway";
import { parsePrefix, Prefix } from "../net";

interface Placed {
  readonly cidr: string;
  readonly path: string;
  /** Entries of the same owner (one peer, one site) are not compared with each other. */
  readonly owner: number;
}

/** Every pair of entries from different owners that overlap, reported at the later one (naming the first earlier one). */
function overlapping(entries: Placed[], why: string): Problem[] {
  // Two prefixes overlap when one holds the other. Each entry is filed under its own prefix and under every shorter
  // prefix length in use that holds it, so an entry meets only the ranges it holds or is held by: a thousand sites
  // are not compared pairwise.
  const prefixes = entries.map((e) => parsePrefix(e.cidr));
  const lengths = new Map<number, Set<number>>();
  for (const p of prefixes) if (p) lengths.set(p.family, (lengths.get(p.family) ?? new Set()).add(p.bits));
  const key = (p: Prefix, bits: number) => `${p.family}/${bits}/${p.base >> BigInt((p.family === 4 ? 32 : 128) - bits)}`;
  const exact = new Map<string, number[]>();
  const within = new Map<string, number[]>();
  const file = (map: Map<string, number[]>, k: string, i: number) => (map.get(k) ?? map.set(k, []).get(k)!).push(i);
  prefixes.forEach((p, i) => {
    if (!p) return;
    file(exact, key(p, p.bits), i);
    for (const bits of lengths.get(p.family)!) if (bits <= p.bits) file(within, key(p, bits), i);
  });
  const problems: Problem[] = [];
  prefixes.forEach((p, i) => {
    if (!p) return;
    const e = entries[i];
    const holders = [...lengths.get(p.family)!].filter((bits) => bits < p.bits).map((bits) => exact.get(key(p, bits)) ?? []);
    let first = i;
    for (const list of [within.get(key(p, p.bits))!, ...holders]) {
      const j = list.find((x) => x >= first || entries[x].owner !== e.owner);
      if (j !== undefined && j < first) first = j;
    }
    const prior = entries[first];
    if (first < i) problems.push({ path: e.path, message: `overlaps ${prior.path} (${prior.cidr}): ${why}`, value: e.cidr });
  });
  return problems;
}

/** Address ranges that must have one owner on a gateway: a WireGuard peer's allowedIps, a site's remoteTs. */
export function checkRanges(gw: GatewayModel): Problem[] {
  const allowed = gw.wireguard.peers.flatMap((peer, i) =>
    peer.allowedIps.map((cidr, j) => ({ cidr, path: `wireguard.peers[${i}].allowedIps[${j}]`, owner: i })),
  );
  const remote = gw.ipsec.sites.flatMap((site, i) => site.remoteTs.map((cidr, j) => ({ cidr, path: `ipsec.sites[${i}].remoteTs[${j}]`, owner: i })));
  return [
    ...overlapping(allowed, "WireGuard routes each address to one peer"),
    ...overlapping(remote, "charon would send the traffic into whichever tunnel it finds first"),
  ];
}
