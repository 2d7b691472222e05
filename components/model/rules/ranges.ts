import type { GatewayModel, Problem } from "../gateway";
import { overlaps } from "../net";

interface Placed {
  readonly cidr: string;
  readonly path: string;
  /** Entries of the same owner (one peer, one site) are not compared with each other. */
  readonly owner: number;
}

/** Every pair of entries from different owners that overlap, reported at the later one. */
function overlapping(entries: Placed[], why: string): Problem[] {
  const problems: Problem[] = [];
  entries.forEach((e, i) => {
    const prior = entries.slice(0, i).find((o) => o.owner !== e.owner && overlaps(o.cidr, e.cidr));
    if (prior) problems.push({ path: e.path, message: `overlaps ${prior.path} (${prior.cidr}): ${why}`, value: e.cidr });
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
