import { GatewayModel } from "../model/gateway";
import { parsePrefix } from "../model/net";

/** Prefixes of one address family each, in canonical form: sorted, aggregated, none inside another. */
export interface ByFamily {
  readonly v4: readonly string[];
  readonly v6: readonly string[];
}

interface Net {
  readonly family: 4 | 6;
  readonly base: bigint;
  readonly bits: number;
}

const width = (family: 4 | 6): number => (family === 4 ? 32 : 128);

function covers(outer: Net, inner: Net): boolean {
  const shift = BigInt(width(outer.family) - outer.bits);
  return outer.bits <= inner.bits && outer.base >> shift === inner.base >> shift;
}

function siblings(a: Net, b: Net): boolean {
  if (a.bits !== b.bits || a.bits === 0) return false;
  const half = 1n << BigInt(width(a.family) - a.bits);
  return (a.base & half) === 0n && b.base === a.base + half;
}

/** The smallest list of prefixes covering exactly the same addresses (what nft prints back for a set). */
function aggregate(nets: readonly Net[]): Net[] {
  const sorted = [...nets].sort((a, b) => (a.base < b.base ? -1 : a.base > b.base ? 1 : a.bits - b.bits));
  const out: Net[] = [];
  for (const net of sorted) {
    if (out.length && covers(out[out.length - 1], net)) continue;
    out.push(net);
    while (out.length >= 2 && siblings(out[out.length - 2], out[out.length - 1])) {
      const left = out[out.length - 2];
      out.splice(-2, 2, { ...left, bits: left.bits - 1 });
    }
  }
  return out;
}

/** RFC 5952 text: lower case, the longest run of zero groups (first on a tie, at least two) as "::". */
function formatV6(value: bigint): string {
  const groups = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt((7 - i) * 16)) & 0xffffn));
  let best = { at: -1, len: 1 };
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.len) best = { at: i, len: j - i };
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.at < 0) return hex.join(":");
  return `${hex.slice(0, best.at).join(":")}::${hex.slice(best.at + best.len).join(":")}`;
}

function format(net: Net): string {
  if (net.family === 6) return `${formatV6(net.base)}/${net.bits}`;
  const n = Number(net.base);
  return `${[24, 16, 8, 0].map((s) => (n >>> s) & 255).join(".")}/${net.bits}`;
}

/**
 * Splits prefixes by family and puts them in canonical form: host bits cleared, sorted, covered prefixes dropped,
 * adjacent ones merged. Throws on anything that is not a prefix, so no text reaches a config file unchecked.
 */
export function byFamily(prefixes: readonly string[]): ByFamily {
  const nets = prefixes.map((text): Net => {
    const prefix = parsePrefix(text);
    if (!prefix) throw new Error(`not an address prefix: ${JSON.stringify(text)}`);
    return prefix;
  });
  return {
    v4: aggregate(nets.filter((n) => n.family === 4)).map(format),
    v6: aggregate(nets.filter((n) => n.family === 6)).map(format),
  };
}

/** Networks whose traffic may only pass through IPsec: road-warrior pools and sites' remote_ts. */
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
