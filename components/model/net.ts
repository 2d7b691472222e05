/** IPv4/IPv6 address and prefix arithmetic for the cross-field checks (overlaps, membership). */

export interface Prefix {
  readonly family: 4 | 6;
  readonly base: bigint;
  readonly bits: number;
  readonly text: string;
}

const V4_RE = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function isIPv4(text: string): boolean {
  return V4_RE.test(text);
}

export function isIPv6(text: string): boolean {
  return parseV6(text) !== undefined;
}

export function isIP(text: string): boolean {
  return isIPv4(text) || isIPv6(text);
}

function parseV4(text: string): bigint | undefined {
  if (!isIPv4(text)) return undefined;
  return text.split(".").reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
}

function parseV6(text: string): bigint | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(text) || !text.includes(":")) return undefined;
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const groups = (half: string): string[] => (half === "" ? [] : half.split(":"));
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  const total = head.length + tail.length;
  if ((halves.length === 1 && total !== 8) || (halves.length === 2 && total > 7)) return undefined;
  const all = [...head, ...Array(8 - total).fill("0"), ...tail];
  let value = 0n;
  for (const g of all) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    value = (value << 16n) | BigInt(parseInt(g, 16));
  }
  return value;
}

// Every cross-field rule compares prefixes pairwise; a big gateway's thousands of sites parsed the same few texts
// millions of times. Prefixes are immutable, so each text is parsed once (the cache is bounded).
const parsed = new Map<string, Prefix | undefined>();

/** Parses "10.3.0.0/24", "2001:db8::/64" or a bare address (a host prefix). Undefined when malformed. */
export function parsePrefix(text: string): Prefix | undefined {
  if (parsed.has(text)) return parsed.get(text);
  if (parsed.size >= 100_000) parsed.clear();
  const prefix = parsePrefixText(text);
  parsed.set(text, prefix);
  return prefix;
}

function parsePrefixText(text: string): Prefix | undefined {
  const [addr, len, extra] = text.split("/");
  if (extra !== undefined) return undefined;
  const v4 = parseV4(addr);
  const v6 = v4 === undefined ? parseV6(addr) : undefined;
  const family: 4 | 6 | undefined = v4 !== undefined ? 4 : v6 !== undefined ? 6 : undefined;
  if (family === undefined) return undefined;
  const max = family === 4 ? 32 : 128;
  if (len !== undefined && !/^\d{1,3}$/.test(len)) return undefined;
  const bits = len === undefined ? max : Number(len);
  if (bits > max) return undefined;
  const value = (v4 ?? v6) as bigint;
  const mask = ((1n << BigInt(max)) - 1n) ^ ((1n << BigInt(max - bits)) - 1n);
  return { family, base: value & mask, bits, text };
}

export function isPrefix(text: string): boolean {
  return parsePrefix(text) !== undefined;
}

/** True when the prefix has no host bits set ("10.3.0.0/24", not "10.3.0.1/24"). */
export function isNetwork(text: string): boolean {
  const p = parsePrefix(text);
  if (!p) return false;
  return p.base === (text.includes(":") ? parseV6(text.split("/")[0]) : parseV4(text.split("/")[0]));
}

export function overlaps(a: string, b: string): boolean {
  const pa = parsePrefix(a);
  const pb = parsePrefix(b);
  if (!pa || !pb || pa.family !== pb.family) return false;
  const bits = Math.min(pa.bits, pb.bits);
  const max = pa.family === 4 ? 32 : 128;
  const shift = BigInt(max - bits);
  return pa.base >> shift === pb.base >> shift;
}

/** True when `inner` lies wholly inside `outer`. */
export function contains(outer: string, inner: string): boolean {
  const po = parsePrefix(outer);
  const pi = parsePrefix(inner);
  if (!po || !pi || po.family !== pi.family || pi.bits < po.bits) return false;
  return overlaps(outer, inner);
}

/** The address part of "10.0.0.2/16". */
export function addressOf(cidr: string): string {
  return cidr.split("/")[0];
}

/** "10.0.0.2/16" → "10.0.0.0/16". */
export function networkOf(cidr: string): string {
  const p = parsePrefix(cidr);
  if (!p) throw new Error(`not a prefix: ${cidr}`);
  if (p.family === 6) return `${formatV6(p.base)}/${p.bits}`;
  const n = Number(p.base);
  return `${[24, 16, 8, 0].map((s) => (n >>> s) & 255).join(".")}/${p.bits}`;
}

function formatV6(value: bigint): string {
  const groups: string[] = [];
  for (let i = 7; i >= 0; i--) groups.push(((value >> BigInt(i * 16)) & 0xffffn).toString(16));
  return groups.join(":").replace(/(^|:)0(:0)+(:|$)/, "::");
}

interface Span {
  readonly family: 4 | 6;
  readonly lo: bigint;
  readonly hi: bigint;
}

/** "10.3.0.0/24", "10.3.0.1", "10.3.0.1-10.3.0.9" or a traffic selector "10.0.0.0/16[tcp/80]" as an address span. */
function spanOf(text: string): Span | undefined {
  const bare = text.trim().replace(/\[[^\]]*\]$/, "");
  const range = bare.split("-");
  if (range.length === 2) {
    const [a, b] = range.map((r) => parsePrefix(r.trim()));
    if (!a || !b || a.family !== b.family || a.bits !== b.bits) return undefined;
    return { family: a.family, lo: a.base, hi: b.base };
  }
  const p = parsePrefix(bare);
  if (!p) return undefined;
  const max = p.family === 4 ? 32 : 128;
  return { family: p.family, lo: p.base, hi: p.base | ((1n << BigInt(max - p.bits)) - 1n) };
}

/** True when two spans (prefixes, addresses, a-b ranges, traffic selectors) share an address; false if either is not one. */
export function spansOverlap(a: string, b: string): boolean {
  const sa = spanOf(a);
  const sb = spanOf(b);
  return !!sa && !!sb && sa.family === sb.family && sa.lo <= sb.hi && sb.lo <= sa.hi;
}
