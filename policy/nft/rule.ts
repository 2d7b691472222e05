import { Token } from "./lexer";

/** One match of a rule: `<selector> [op] <values>`, e.g. `ip saddr != { 10.3.0.0/24 }`. */
export interface Match {
  /** Normalised selector: "iifname", "ip saddr", "meta ipsec" (also for `meta secpath`), "ipsec in", ... */
  readonly selector: string;
  readonly negate: boolean;
  /** The values, named sets (`@name`) resolved to their elements when the set is known. */
  readonly values: string[];
}

export type Verdict =
  { readonly kind: "accept" | "drop" | "reject" | "return" | "continue" | "queue" } | { readonly kind: "jump" | "goto"; readonly target: string };

export interface Rule {
  readonly text: string;
  readonly matches: Match[];
  readonly verdict?: Verdict;
  /** `tcp option maxseg size set ...`: the rule clamps the TCP MSS. */
  readonly clampsMss: boolean;
  /** What in the rule the reader cannot evaluate (a mask, an unknown named set); the rule is then not judged. */
  readonly unreadable: string[];
}

// Longest first: the first that fits the next words wins.
const SELECTORS: readonly string[][] = [
  ["tcp", "option", "maxseg", "size"],
  ["meta", "ipsec"],
  ["meta", "secpath"],
  ["meta", "iifname"],
  ["meta", "oifname"],
  ["meta", "iif"],
  ["meta", "oif"],
  ["meta", "l4proto"],
  ["meta", "nfproto"],
  ["meta", "protocol"],
  ["meta", "mark"],
  ["meta", "pkttype"],
  ["ip", "saddr"],
  ["ip", "daddr"],
  ["ip", "protocol"],
  ["ip6", "saddr"],
  ["ip6", "daddr"],
  ["ip6", "nexthdr"],
  ["tcp", "dport"],
  ["tcp", "sport"],
  ["tcp", "flags"],
  ["udp", "dport"],
  ["udp", "sport"],
  ["th", "dport"],
  ["th", "sport"],
  ["ct", "state"],
  ["ct", "status"],
  ["ct", "direction"],
  ["ct", "mark"],
  ["rt", "ipsec"],
  ["iifname"],
  ["oifname"],
  ["iif"],
  ["oif"],
];

const ALIASES: Record<string, string> = {
  "meta secpath": "meta ipsec",
  "meta iifname": "iifname",
  "meta oifname": "oifname",
  "meta iif": "iif",
  "meta oif": "oif",
};

const OPS = new Map([
  ["==", false],
  ["eq", false],
  ["!=", true],
  ["ne", true],
]);

const PROTOCOL_KEYWORDS = new Set([
  "icmp",
  "icmpv6",
  "igmp",
  "tcp",
  "udp",
  "udplite",
  "sctp",
  "dccp",
  "ah",
  "esp",
  "comp",
  "ip",
  "ip6",
  "meta",
  "ct",
  "th",
  "ether",
  "vlan",
  "arp",
  "fib",
  "socket",
  "osf",
  "frag",
  "hbh",
  "rt",
  "dst",
  "mh",
  "srh",
  "gre",
  "vxlan",
]);

const VERDICTS = new Set(["accept", "drop", "reject", "return", "continue", "queue"]);

/** The selector (`ip saddr`, `meta l4proto`, `tcp dport`, ...) that starts at `i`, normalised, with its length in tokens. */
export function selectorAt(tokens: readonly Token[], i: number): { name: string; length: number } | undefined {
  const words = tokens.slice(i, i + 4).map((t) => (t.kind === "word" ? t.text : ""));
  const selector = SELECTORS.find((sel) => sel.every((w, k) => words[k] === w));
  if (selector) {
    const name = selector.join(" ");
    return { name: ALIASES[name] ?? name, length: selector.length };
  }
  const t = tokens[i];
  const field = tokens[i + 1];
  if (t?.kind === "word" && PROTOCOL_KEYWORDS.has(t.text) && field?.kind === "word" && /^[a-z][a-z0-9-]*$/.test(field.text) && !VERDICTS.has(field.text)) {
    return { name: `${t.text} ${field.text}`, length: 2 };
  }
  return undefined;
}

/** Reads one value: a word, or an anonymous set `{ a, b }` (nested braces flattened). */
function readValues(tokens: Token[], at: number, sets: ReadonlyMap<string, string[]>): { values: string[]; next: number } {
  const t = tokens[at];
  if (!t) return { values: [], next: at };
  const resolve = (text: string): string[] => (text.startsWith("@") && sets.has(text.slice(1)) ? [...sets.get(text.slice(1))!] : [text]);
  if (t.kind === "punct" && t.text === "{") {
    const values: string[] = [];
    let depth = 1;
    let i = at + 1;
    for (; i < tokens.length && depth > 0; i++) {
      const x = tokens[i];
      if (x.kind === "punct" && x.text === "{") depth++;
      else if (x.kind === "punct" && x.text === "}") depth--;
      else if (x.kind !== "punct") values.push(...resolve(x.text));
    }
    return { values, next: i };
  }
  if (t.kind === "punct") return { values: [], next: at };
  // A bare list: `ct state established,related`.
  const values = resolve(t.text);
  let i = at + 1;
  while (tokens[i]?.kind === "punct" && tokens[i].text === "," && tokens[i + 1] && tokens[i + 1].kind !== "punct") {
    values.push(...resolve(tokens[i + 1].text));
    i += 2;
  }
  return { values, next: i };
}

export function parseRule(tokens: Token[], sets: ReadonlyMap<string, string[]>): Rule {
  const text = tokens
    .map((t) => (t.kind === "string" ? `"${t.text}"` : t.text))
    .join(" ")
    .replace(/ ,/g, ",");
  const matches: Match[] = [];
  let verdict: Verdict | undefined;
  let clampsMss = false;
  const unreadable: string[] = [];
  for (const t of tokens) {
    if (t.kind !== "word") continue;
    if (t.text === "&" || t.text === "|" || t.text === "^" || t.text === "<<" || t.text === ">>") unreadable.push(`a bitwise mask (${t.text})`);
    else if (t.text === ".") unreadable.push("a concatenation (.)");
    else if (t.text === "map" || t.text === "vmap") unreadable.push(`a ${t.text === "vmap" ? "verdict map" : "map"}`);
    else if (t.text.startsWith("@") && !sets.has(t.text.slice(1))) unreadable.push(`the set ${t.text}, which no file read here defines`);
  }
  /** `[op] value(s)` after a selector, from `at`: records the match and returns where the rule goes on. */
  const readMatch = (selector: string, at: number): number => {
    const op = tokens[at];
    const negate = op?.kind === "word" && OPS.has(op.text) ? OPS.get(op.text)! : undefined;
    const read = readValues(tokens, negate === undefined ? at : at + 1, sets);
    matches.push({ selector, negate: negate ?? false, values: read.values });
    return read.next;
  };
  let i = 0;
  while (i < tokens.length) {
    const words = tokens.slice(i, i + 4).map((t) => (t.kind === "word" ? t.text : ""));
    const selector = SELECTORS.find((sel) => sel.every((w, k) => words[k] === w));
    if (selector) {
      i += selector.length;
      const name = selector.join(" ");
      if (name === "tcp option maxseg size" && tokens[i]?.text === "set") {
        clampsMss = true;
        i += 2;
        while (i < tokens.length && tokens[i].kind === "word" && /^(rt|mtu|\d+|-|\+)$/.test(tokens[i].text)) i++;
        continue;
      }
      // `meta mark set ...`, `ct mark set ...` are statements, not matches.
      if (tokens[i]?.text === "set") {
        i += 2;
        continue;
      }
      i = readMatch(ALIASES[name] ?? name, i);
      continue;
    }
    const t = tokens[i];
    const field = tokens[i + 1];
    if (t.kind === "word" && PROTOCOL_KEYWORDS.has(t.text) && field?.kind === "word" && /^[a-z][a-z0-9-]*$/.test(field.text) && !VERDICTS.has(field.text)) {
      // Any other `<protocol> <field> [op] <value>`: kept so that the rule never looks unconditional.
      i = readMatch(`${t.text} ${field.text}`, i + 2);
      continue;
    }
    if (t.kind === "word" && t.text === "ipsec" && (tokens[i + 1]?.text === "in" || tokens[i + 1]?.text === "out")) {
      // `ipsec in reqid 1`, `ipsec in ip saddr X`: the packet was decrypted by the SA it names.
      const dir = tokens[i + 1].text;
      matches.push({ selector: `ipsec ${dir}`, negate: false, values: [] });
      i += 2;
      // Its own fields describe the SA (its tunnel endpoints), not the packet: `reqid 1`, `spi 2`, `ip saddr 192.0.2.1`.
      if (tokens[i]?.text === "ip" || tokens[i]?.text === "ip6") i += 3;
      else if (tokens[i]?.text === "reqid" || tokens[i]?.text === "spi") i += 2;
      continue;
    }
    if (t.kind === "word" && VERDICTS.has(t.text)) {
      verdict = { kind: t.text as "accept" };
      i++;
      if (t.text === "reject" && tokens[i]?.text === "with") i = tokens.length;
      continue;
    }
    if (t.kind === "word" && (t.text === "jump" || t.text === "goto") && tokens[i + 1]) {
      verdict = { kind: t.text, target: tokens[i + 1].text };
      i += 2;
      continue;
    }
    if (t.kind === "word" && (t.text === "comment" || t.text === "prefix" || t.text === "group" || t.text === "level")) {
      i += 2;
      continue;
    }
    i++;
  }
  return { text, matches, verdict, clampsMss, unreadable: [...new Set(unreadable)] };
}
