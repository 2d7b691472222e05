import { NftSyntaxError, tokenize, Token } from "./lexer";
import { elementTexts, expandRule } from "./expand";
import { Rule } from "./rule";

/** A parsed ruleset: tables with their chains and named sets, as `nft -f` would build them. */
export interface Chain {
  readonly name: string;
  /** Base chains only: the netfilter hook ("input", "forward", ...), type and policy. */
  hook?: string;
  type?: string;
  policy?: "accept" | "drop";
  readonly rules: Rule[];
}

export interface Table {
  readonly family: string;
  readonly name: string;
  readonly chains: Map<string, Chain>;
  /** Named sets and maps (`set|map NAME { elements = { ... } }`) by name, one string per element as written. */
  readonly sets: Map<string, string[]>;
}

export interface Ruleset {
  readonly tables: Table[];
  /** `include` lines whose files were not given to the reader: not seen here. */
  readonly includes: string[];
  /** What the reader could not evaluate, by line: such a ruleset cannot be vouched for. */
  readonly unreadable: { readonly line: number; readonly what: string }[];
  /** It flushes or deletes something: loaded after another file, it changes what that one loaded. */
  readonly resets?: boolean;
}

export interface RulesetOptions {
  /** The texts an `include` pattern stands for (the host's files), or undefined when they are not known. */
  readonly include?: (pattern: string) => string[] | undefined;
}

const FAMILIES = new Set(["ip", "ip6", "inet", "arp", "bridge", "netdev"]);

type Cursor = { tokens: Token[]; at: number };

const peek = (c: Cursor): Token | undefined => c.tokens[c.at];
const isPunct = (t: Token | undefined, text: string): boolean => t?.kind === "punct" && t.text === text;
const lineOf = (c: Cursor): number => peek(c)?.line ?? c.tokens[c.tokens.length - 1]?.line ?? 0;

function next(c: Cursor): Token {
  const t = c.tokens[c.at++];
  if (!t) throw new NftSyntaxError(lineOf(c), "unexpected end of ruleset");
  return t;
}

function word(c: Cursor, what: string): string {
  const t = next(c);
  if (t.kind !== "word" && t.kind !== "string") throw new NftSyntaxError(t.line, `expected ${what}, got ${JSON.stringify(t.text)}`);
  return t.text;
}

function expect(c: Cursor, text: string): void {
  const t = next(c);
  if (t.kind !== "punct" || t.text !== text) throw new NftSyntaxError(t.line, `expected '${text}', got ${JSON.stringify(t.text)}`);
}

/** The tokens of one statement: up to a newline or ';' outside braces. */
function statement(c: Cursor): Token[] {
  const out: Token[] = [];
  let depth = 0;
  for (;;) {
    const t = peek(c);
    if (!t) break;
    if (depth === 0 && (t.kind === "eol" || isPunct(t, ";") || isPunct(t, "}"))) break;
    c.at++;
    if (isPunct(t, "{")) depth++;
    if (isPunct(t, "}")) depth--;
    if (t.kind === "eol") continue;
    out.push(t);
  }
  return out;
}

function skipSeparators(c: Cursor): void {
  while (peek(c) && (peek(c)!.kind === "eol" || isPunct(peek(c), ";"))) c.at++;
}

/** `variable` definitions: `define wan = eth0` then `$wan`; substituted before rules are read. */
function substitute(tokens: Token[], defines: Map<string, Token[]>, line: number): Token[] {
  const out: Token[] = [];
  for (const t of tokens) {
    if (t.kind === "word" && t.text.startsWith("$")) {
      const value = defines.get(t.text.slice(1));
      if (!value) throw new NftSyntaxError(t.line || line, `undefined variable ${t.text}`);
      out.push(...value);
    } else out.push(t);
  }
  return out;
}

class Builder {
  readonly tables: Table[] = [];
  readonly includes: string[] = [];
  readonly defines = new Map<string, Token[]>();
  /** Each chain's rule statements, read into rules at the end, once every set and map is known. */
  readonly statements = new Map<Chain, Token[][]>();

  addRule(chain: Chain, tokens: Token[], front: boolean): void {
    const list = this.statements.get(chain) ?? [];
    if (front) list.unshift(tokens);
    else list.push(tokens);
    this.statements.set(chain, list);
  }

  table(family: string, name: string): Table {
    let table = this.tables.find((t) => t.family === family && t.name === name);
    if (!table) {
      table = { family, name, chains: new Map(), sets: new Map() };
      this.tables.push(table);
    }
    return table;
  }

  chain(table: Table, name: string): Chain {
    let chain = table.chains.get(name);
    if (!chain) {
      chain = { name, rules: [] };
      table.chains.set(name, chain);
    }
    return chain;
  }

  deleteTable(family: string, name: string): void {
    const i = this.tables.findIndex((t) => t.family === family && t.name === name);
    if (i >= 0) this.tables.splice(i, 1);
  }
}

/** `[family] name`: the family may be left out (then it is ip). */
function tableRef(c: Cursor): { family: string; name: string } {
  const first = word(c, "a table family or name");
  const t = peek(c);
  if (FAMILIES.has(first) && t && (t.kind === "word" || t.kind === "string")) return { family: first, name: word(c, "a table name") };
  return { family: "ip", name: first };
}

function chainHeader(chain: Chain, tokens: Token[]): boolean {
  const texts = tokens.map((t) => t.text);
  if (texts[0] === "type") {
    chain.type = texts[1];
    const hook = texts.indexOf("hook");
    if (hook >= 0) chain.hook = texts[hook + 1];
    return true;
  }
  if (texts[0] === "policy" && (texts[1] === "accept" || texts[1] === "drop")) {
    chain.policy = texts[1];
    return true;
  }
  return texts[0] === "comment" || texts[0] === "devices" || texts[0] === "device" || texts[0] === "flags";
}

function chainBody(c: Cursor, b: Builder, chain: Chain): void {
  expect(c, "{");
  for (;;) {
    skipSeparators(c);
    if (!peek(c)) throw new NftSyntaxError(lineOf(c), `chain ${chain.name} is not closed`);
    if (isPunct(peek(c), "}")) {
      c.at++;
      return;
    }
    const line = lineOf(c);
    const tokens = substitute(statement(c), b.defines, line);
    if (tokens.length === 0) throw new NftSyntaxError(line, "unexpected token in chain");
    if (!chainHeader(chain, tokens)) b.addRule(chain, tokens, false);
  }
}

/** Set elements: `elements = { a, b }` inside a set block; other set properties are skipped. */
function setBody(c: Cursor, b: Builder): string[] {
  expect(c, "{");
  const elements: string[] = [];
  for (;;) {
    skipSeparators(c);
    if (!peek(c)) throw new NftSyntaxError(lineOf(c), "set block is not closed");
    if (isPunct(peek(c), "}")) {
      c.at++;
      return elements;
    }
    const tokens = substitute(statement(c), b.defines, lineOf(c));
    if (tokens[0]?.text === "elements") elements.push(...elementTexts(tokens.slice(2)));
  }
}

function skipBlock(c: Cursor): void {
  expect(c, "{");
  let depth = 1;
  while (depth > 0) {
    const t = next(c);
    if (isPunct(t, "{")) depth++;
    if (isPunct(t, "}")) depth--;
  }
}

function tableBody(c: Cursor, b: Builder, table: Table): void {
  expect(c, "{");
  for (;;) {
    skipSeparators(c);
    const t = peek(c);
    if (!t) throw new NftSyntaxError(lineOf(c), "table block is not closed");
    if (isPunct(t, "}")) {
      c.at++;
      return;
    }
    const kw = word(c, "chain, set or map");
    if (kw === "chain") {
      chainBody(c, b, b.chain(table, word(c, "a chain name")));
    } else if (kw === "set") {
      const name = word(c, "a set name");
      table.sets.set(name, setBody(c, b));
    } else if (kw === "map") {
      const name = word(c, "a map name");
      table.sets.set(name, setBody(c, b));
    } else if (kw === "flowtable" || kw === "counter" || kw === "quota" || kw === "ct" || kw === "limit") {
      while (peek(c) && !isPunct(peek(c), "{")) c.at++;
      skipBlock(c);
    } else if (kw === "flags" || kw === "comment") {
      statement(c);
    } else {
      throw new NftSyntaxError(t.line, `unexpected ${JSON.stringify(kw)} in table`);
    }
  }
}

/** `add|insert rule [family] table chain <rule>` and friends: the command form of a ruleset file. */
function command(c: Cursor, b: Builder, verb: string): void {
  const object = word(c, "table, chain, rule, set or element");
  if (object === "table") {
    const ref = tableRef(c);
    const table = b.table(ref.family, ref.name);
    if (isPunct(peek(c), "{")) tableBody(c, b, table);
    return;
  }
  if (object === "chain") {
    const ref = tableRef(c);
    const chain = b.chain(b.table(ref.family, ref.name), word(c, "a chain name"));
    if (isPunct(peek(c), "{")) chainBody(c, b, chain);
    return;
  }
  if (object === "rule") {
    const ref = tableRef(c);
    const table = b.table(ref.family, ref.name);
    const chain = b.chain(table, word(c, "a chain name"));
    const tokens = substitute(statement(c), b.defines, lineOf(c));
    const texts = tokens.map((t) => t.text);
    const rest = texts[0] === "position" || texts[0] === "handle" || texts[0] === "index" ? tokens.slice(2) : tokens;
    b.addRule(chain, rest, verb === "insert");
    return;
  }
  if (object === "set" || object === "map") {
    const ref = tableRef(c);
    const table = b.table(ref.family, ref.name);
    table.sets.set(word(c, "a set name"), setBody(c, b));
    return;
  }
  if (object === "element") {
    const ref = tableRef(c);
    const table = b.table(ref.family, ref.name);
    const name = word(c, "a set name");
    const tokens = substitute(statement(c), b.defines, lineOf(c));
    const elements = table.sets.get(name) ?? [];
    elements.push(...elementTexts(tokens));
    table.sets.set(name, elements);
    return;
  }
  statement(c);
}

/** `[family] table [rest...]` inside a statement. */
function refIn(texts: readonly string[], at: number): { family: string; name: string; next: number } | undefined {
  if (texts[at] === undefined) return undefined;
  if (FAMILIES.has(texts[at]) && texts[at + 1] !== undefined) return { family: texts[at], name: texts[at + 1], next: at + 2 };
  return { family: "ip", name: texts[at], next: at + 1 };
}

/** `flush ruleset|table|chain|set|map`: what it empties, as nft does; false when the reader cannot follow it. */
function flush(b: Builder, tokens: readonly Token[]): boolean {
  const texts = tokens.map((x) => x.text);
  if (texts[0] === "ruleset") {
    const family = texts[1];
    for (const table of [...b.tables]) if (family === undefined || table.family === family) b.deleteTable(table.family, table.name);
    return texts.length <= 2;
  }
  const ref = refIn(texts, 1);
  const table = ref && b.tables.find((x) => x.family === ref.family && x.name === ref.name);
  if (!ref || !table) return false;
  if (texts[0] === "table") {
    for (const chain of table.chains.values()) b.statements.set(chain, []);
    return true;
  }
  const name = texts[ref.next];
  if (texts[0] === "chain" && table.chains.has(name)) {
    b.statements.set(table.chains.get(name)!, []);
    return true;
  }
  if ((texts[0] === "set" || texts[0] === "map") && table.sets.has(name)) {
    table.sets.set(name, []);
    return true;
  }
  return false;
}

/** `delete table|chain|set|map|element`: false for what the reader cannot follow (a rule by handle). */
function remove(b: Builder, tokens: readonly Token[]): boolean {
  const texts = tokens.map((x) => x.text);
  const ref = refIn(texts, 1);
  if (!ref) return false;
  if (texts[0] === "table") {
    b.deleteTable(ref.family, ref.name);
    return true;
  }
  const table = b.tables.find((x) => x.family === ref.family && x.name === ref.name);
  const name = texts[ref.next];
  if (!table) return false;
  if (texts[0] === "chain") return table.chains.delete(name);
  if (texts[0] === "set" || texts[0] === "map") return table.sets.delete(name);
  if (texts[0] === "element" && table.sets.has(name)) {
    const gone = new Set(elementTexts(tokens.slice(ref.next + 1)));
    table.sets.set(
      name,
      table.sets.get(name)!.filter((e) => !gone.has(e)),
    );
    return true;
  }
  return false;
}

export function parseRuleset(text: string, options: RulesetOptions = {}): Ruleset {
  const c: Cursor = { tokens: tokenize(text), at: 0 };
  const b = new Builder();
  const unreadable: { line: number; what: string }[] = [];
  let spliced = 0;
  let resets = false;
  for (;;) {
    skipSeparators(c);
    const t = peek(c);
    if (!t) break;
    const kw = word(c, "a command");
    if (kw === "table") {
      const ref = tableRef(c);
      tableBody(c, b, b.table(ref.family, ref.name));
    } else if (kw === "define" || kw === "redefine") {
      const name = word(c, "a variable name");
      const eq = next(c);
      if (eq.text !== "=") throw new NftSyntaxError(eq.line, "expected '=' after the variable name");
      b.defines.set(name, substitute(statement(c), b.defines, t.line));
    } else if (kw === "undefine") {
      b.defines.delete(word(c, "a variable name"));
    } else if (kw === "include") {
      const pattern = word(c, "a file name");
      const texts = spliced < 64 ? options.include?.(pattern) : undefined;
      if (texts === undefined) {
        b.includes.push(pattern);
        unreadable.push({ line: t.line, what: `include "${pattern}" names files the reader was not given` });
      } else {
        // The included files' statements stand where the include does, as nft reads them.
        spliced++;
        c.tokens.splice(c.at, 0, ...texts.flatMap((x) => [...tokenize(x), { kind: "eol" as const, text: "\n" as const, line: t.line }]));
      }
    } else if (kw === "flush" || kw === "delete" || kw === "destroy") {
      const what = substitute(statement(c), b.defines, t.line);
      resets = true;
      const done = kw === "flush" ? flush(b, what) : remove(b, what);
      if (!done) unreadable.push({ line: t.line, what: `\`${kw} ${what.map((x) => x.text).join(" ")}\`` });
    } else if (kw === "add" || kw === "create" || kw === "insert") {
      command(c, b, kw);
    } else {
      throw new NftSyntaxError(t.line, `unexpected ${JSON.stringify(kw)} at the top level`);
    }
  }
  // Rules are read last, so sets and maps defined after the chains that use them (or added later) are known.
  for (const table of b.tables) {
    for (const chain of table.chains.values()) {
      for (const tokens of b.statements.get(chain) ?? []) chain.rules.push(...expandRule(tokens, table.sets));
      if (chain.type === "nat") continue;
      for (const rule of chain.rules)
        for (const what of rule.unreadable) unreadable.push({ line: 0, what: `rule "${rule.text}" in chain ${chain.name} uses ${what}` });
    }
  }
  return { tables: b.tables, includes: b.includes, unreadable, resets };
}
