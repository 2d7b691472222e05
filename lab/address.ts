import { contains, isIPv4, parsePrefix } from "../components/model/net";

/** The documentation ranges (RFC 5737): the only "public" addresses the lab may use. */
export const DOC_RANGES = ["192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"] as const;

export const isDocAddress = (addr: string): boolean => DOC_RANGES.some((r) => contains(r, addr));

/** The n-th address of an IPv4 prefix (n = 1: the first host of "10.20.0.0/24" is 10.20.0.1). */
export function hostIn(prefix: string, n: number): string {
  const p = parsePrefix(prefix);
  if (!p || p.family !== 4) throw new Error(`not an IPv4 prefix: ${prefix}`);
  const size = 2 ** (32 - p.bits);
  if (n < 0 || n >= size) throw new Error(`${prefix} has no address number ${n}`);
  const v = Number(p.base) + n;
  return [24, 16, 8, 0].map((s) => (v >>> s) & 255).join(".");
}

export const prefixLength = (cidr: string): number => {
  const p = parsePrefix(cidr);
  if (!p) throw new Error(`not a prefix: ${cidr}`);
  return p.bits;
};

/** The first candidate that is a valid IPv4 address and not in `taken` (addresses or prefixes). */
export function pickFree(candidates: readonly string[], taken: readonly string[]): string {
  const free = candidates.find((c) => isIPv4(c) && !taken.some((t) => contains(t, c) || t === c));
  if (!free) throw new Error(`no free lab address among ${candidates.join(", ")}`);
  return free;
}
