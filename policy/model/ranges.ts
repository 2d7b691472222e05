import { parsePrefix } from "../../components/model/net";

/** An address interval: what a prefix, a bare address or a range "a-b" covers (swanctl pools and nft sets use all three). */
export interface Interval {
  readonly family: 4 | 6;
  readonly lo: bigint;
  readonly hi: bigint;
}

export function intervalOf(text: string): Interval | undefined {
  const dash = text.indexOf("-");
  if (dash > 0) {
    const a = parsePrefix(text.slice(0, dash));
    const b = parsePrefix(text.slice(dash + 1));
    if (!a || !b || a.family !== b.family || a.bits !== b.bits) return undefined;
    return { family: a.family, lo: a.base, hi: b.base };
  }
  const p = parsePrefix(text);
  if (!p) return undefined;
  const max = p.family === 4 ? 32 : 128;
  return { family: p.family, lo: p.base, hi: p.base + (1n << BigInt(max - p.bits)) - 1n };
}

/** True when two address texts share an address; texts that are not addresses (%any, FQDNs) never overlap. */
export function rangesOverlap(a: string, b: string): boolean {
  const x = intervalOf(a);
  const y = intervalOf(b);
  return !!x && !!y && x.family === y.family && x.lo <= y.hi && y.lo <= x.hi;
}

/** True when `inner` lies wholly inside `outer`. */
export function rangeContains(outer: string, inner: string): boolean {
  const x = intervalOf(outer);
  const y = intervalOf(inner);
  return !!x && !!y && x.family === y.family && x.lo <= y.lo && y.hi <= x.hi;
}

/** The network of "10.8.0.1/24" as a range text ("10.8.0.1/24" covers 10.8.0.0-10.8.0.255 already). */
export const isAddressText = (text: string): boolean => intervalOf(text) !== undefined;
