import { Match, Rule } from "./rule";
import { Chain, Ruleset, Table } from "./ruleset";

/** One way a packet can be accepted on a hook: the matches of every rule on the way, and what ran before. */
export interface AcceptPath {
  readonly table: Table;
  readonly chain: Chain;
  readonly rule: Rule;
  /** The jump rules' matches, then the accepting rule's own. */
  readonly matches: readonly Match[];
  /** Rules evaluated before this one on the same path (a drop among them may already catch the packet). */
  readonly before: readonly Rule[];
}

export interface HookView {
  /** The base chains on the hook, in IPv4-relevant tables (ip, inet). */
  readonly baseChains: readonly { table: Table; chain: Chain }[];
  /** True when some base chain on the hook lets unmatched packets through (policy accept, the default). */
  readonly defaultAccept: boolean;
  readonly accepts: readonly AcceptPath[];
}

const MAX_DEPTH = 16;

export function hookView(rulesets: readonly Ruleset[], hook: string): HookView {
  const baseChains: { table: Table; chain: Chain }[] = [];
  const accepts: AcceptPath[] = [];
  for (const rs of rulesets) {
    for (const table of rs.tables) {
      if (table.family !== "ip" && table.family !== "inet") continue;
      for (const chain of table.chains.values()) {
        if (chain.hook !== hook || chain.type === "nat" || chain.type === "route") continue;
        baseChains.push({ table, chain });
        walk(table, chain, [], [], accepts, new Set([chain.name]));
      }
    }
  }
  const defaultAccept = baseChains.length === 0 || baseChains.some(({ chain }) => chain.policy !== "drop");
  return { baseChains, defaultAccept, accepts };
}

function walk(table: Table, chain: Chain, outer: Match[], before: Rule[], out: AcceptPath[], visiting: Set<string>): void {
  const seen = [...before];
  for (const rule of chain.rules) {
    const matches = [...outer, ...rule.matches];
    const verdict = rule.verdict;
    if (verdict?.kind === "accept") out.push({ table, chain, rule, matches, before: [...seen] });
    if ((verdict?.kind === "jump" || verdict?.kind === "goto") && visiting.size < MAX_DEPTH && !visiting.has(verdict.target)) {
      const target = table.chains.get(verdict.target);
      if (target) walk(table, target, matches, seen, out, new Set([...visiting, verdict.target]));
    }
    seen.push(rule);
  }
}

/** The values of the first non-negated match of a selector, or undefined when the path does not match on it. */
export function valuesOf(matches: readonly Match[], selector: string): string[] | undefined {
  const found = matches.filter((m) => m.selector === selector && !m.negate);
  if (found.length === 0) return undefined;
  return found[found.length - 1].values;
}
