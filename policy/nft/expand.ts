import { Token } from "./lexer";
import { parseRule, Rule, selectorAt } from "./rule";

/**
 * Rewrites what the rule reader cannot match on directly into plain rules that mean the same for the policies:
 * a verdict map becomes one rule per element (`ip saddr vmap { 10.3.0.0/24 : accept }` → `ip saddr 10.3.0.0/24
 * accept`), a concatenation one rule per row, a contiguous mask a prefix (`ip saddr & 255.255.255.0 == 10.3.0.0`
 * → `ip saddr 10.3.0.0/24`). What cannot be rewritten stays, and the reader reports it unreadable.
 */

const MAX_RULES = 1024;
const ELEMENT_OPTIONS = new Set(["timeout", "expires", "comment", "counter"]);
const word = (text: string, line: number): Token => ({ kind: "word", text, line });
const isPunct = (t: Token | undefined, text: string): boolean => t?.kind === "punct" && t.text === text;

/** Set or map elements as written, one string per element: "10.3.0.0/24", "10.3.0.0/24 . 22", "10.3.0.0/24 : accept". */
export function elementTexts(tokens: readonly Token[]): string[] {
  const out: string[] = [];
  let current: string[] = [];
  let skipping = false;
  const flush = () => {
    if (current.length) out.push(current.join(" "));
    current = [];
    skipping = false;
  };
  for (const t of tokens) {
    if (t.kind === "punct") {
      if (t.text === ",") flush();
      continue;
    }
    if (t.kind === "eol") continue;
    if (ELEMENT_OPTIONS.has(t.text)) skipping = true;
    if (!skipping) current.push(t.text);
  }
  flush();
  return out;
}

/** The elements at `k`: an anonymous `{ ... }` or a named `@set`; undefined when the named set is unknown. */
function elementsAt(tokens: readonly Token[], k: number, sets: ReadonlyMap<string, string[]>): { rows: string[]; next: number } | undefined {
  const t = tokens[k];
  if (isPunct(t, "{")) {
    let depth = 0;
    let j = k;
    for (; j < tokens.length; j++) {
      if (isPunct(tokens[j], "{")) depth++;
      else if (isPunct(tokens[j], "}") && --depth === 0) break;
    }
    return { rows: elementTexts(tokens.slice(k + 1, j)), next: j + 1 };
  }
  if (t?.kind === "word" && t.text.startsWith("@")) {
    const rows = sets.get(t.text.slice(1));
    return rows ? { rows, next: k + 1 } : undefined;
  }
  return undefined;
}

function prefixLength(mask: string): number | undefined {
  const parts = mask.split(".");
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return undefined;
  const bits = parts.reduce((acc, p) => (acc << 8n) | BigInt(p), 0n);
  for (let len = 0; len <= 32; len++) if (bits === ((0xffffffffn << BigInt(32 - len)) & 0xffffffffn)) return len;
  return undefined;
}

const OPS = new Set(["==", "eq", "!=", "ne"]);

/** One rewriting step, or undefined when nothing (more) can be rewritten. */
function rewrite(tokens: readonly Token[], sets: ReadonlyMap<string, string[]>): Token[][] | undefined {
  for (let i = 0; i < tokens.length;) {
    const first = selectorAt(tokens, i);
    if (!first) {
      i++;
      continue;
    }
    const sels = [{ start: i, length: first.length }];
    let j = i + first.length;
    while (tokens[j]?.kind === "word" && tokens[j].text === "." && selectorAt(tokens, j + 1)) {
      const more = selectorAt(tokens, j + 1)!;
      sels.push({ start: j + 1, length: more.length });
      j += 1 + more.length;
    }
    const head = tokens.slice(0, i);
    const line = tokens[i].line;
    const selTokens = sels.map((s) => tokens.slice(s.start, s.start + s.length));
    const withKeys = (keys: string[]) => selTokens.flatMap((sel, k) => [...sel, word(keys[k], line)]);
    const next = tokens[j];
    if (next?.kind === "word" && next.text === "&" && sels.length === 1) {
      const len = prefixLength(tokens[j + 1]?.text ?? "");
      const op = OPS.has(tokens[j + 2]?.text ?? "") ? [tokens[j + 2]] : [];
      const value = tokens[j + 2 + op.length];
      if (len === undefined || !value || !/^\d{1,3}(\.\d{1,3}){3}$/.test(value.text)) return undefined;
      return [[...head, ...selTokens[0], ...op, word(`${value.text}/${len}`, line), ...tokens.slice(j + 3 + op.length)]];
    }
    if (next?.kind === "word" && next.text === "vmap") {
      const found = elementsAt(tokens, j + 1, sets);
      if (!found) return undefined;
      const rest = tokens.slice(found.next);
      const rules: Token[][] = [];
      for (const row of found.rows) {
        const [key, verdict] = row.split(" : ");
        const keys = key?.split(" . ") ?? [];
        if (verdict === undefined || keys.length !== sels.length) return undefined;
        rules.push([...head, ...withKeys(keys), ...rest, ...verdict.split(" ").map((v) => word(v, line))]);
      }
      return rules;
    }
    if (sels.length > 1) {
      const op = next?.kind === "word" && OPS.has(next.text) ? next.text : undefined;
      if (op === "!=" || op === "ne") return undefined;
      const found = elementsAt(tokens, op ? j + 1 : j, sets);
      if (!found) return undefined;
      const rest = tokens.slice(found.next);
      const rules: Token[][] = [];
      for (const row of found.rows) {
        const keys = row.split(" . ");
        if (keys.length !== sels.length) return undefined;
        rules.push([...head, ...withKeys(keys), ...rest]);
      }
      return rules;
    }
    i = j;
  }
  return undefined;
}

/** The plain rules a rule stands for (usually itself alone). */
export function expandRule(tokens: readonly Token[], sets: ReadonlyMap<string, string[]>): Rule[] {
  let pending: Token[][] = [[...tokens]];
  const done: Token[][] = [];
  while (pending.length && done.length + pending.length <= MAX_RULES) {
    const next: Token[][] = [];
    for (const t of pending) {
      const step = rewrite(t, sets);
      if (step) next.push(...step);
      else done.push(t);
    }
    pending = next;
  }
  if (pending.length) return [{ ...parseRule([...tokens], sets), unreadable: [`more than ${MAX_RULES} map or set rows`] }];
  return done.map((t) => parseRule(t, sets));
}
