import * as fs from "fs";
import * as path from "path";
import { quoteSettingsValue, type SettingsEntry, type SettingsSection } from "./settings";
import { fileProblem } from "../util/read-file";
import { cut, showName } from "../util/show-value";

/**
 * A parser for the strongSwan settings syntax (strongswan.conf(5), swanctl.conf(5)) that reads a file the way
 * libstrongswan 5.9.8 does. Every rule below was checked against libstrongswan's own parser on this machine
 * (tools/swanctl-settings-dump.c prints what libstrongswan read; test/unit/settings-parser-libstrongswan.test.ts
 * compares the two):
 * - a name is any run of characters other than whitespace and `#{}=,:."`; `include` followed by blanks is a statement;
 * - newlines may separate the tokens of `name = `, `name {` and `name : ref, ref {`, but end a value;
 * - a value is a sequence of bare words (anything but whitespace and `#}"`) and "quoted strings", joined by ONE space;
 *   `#` starts a comment even inside a bare word; a value with no words unsets the key (its slot stays);
 * - inside quotes `\n \r \t` are escapes, a backslash before a newline joins lines, any other `\c` is `c`,
 *   and literal newlines are kept;
 * - a repeated key replaces the value in place, a repeated section is merged into the first;
 * - `name : a.b, c { }` inherits keys and sections from the absolute sections a.b and c (missing ones are ignored),
 *   own entries first, then those of each reference in order, depth first;
 * - `include PATTERN` reads the glob PATTERN (relative to the including file) into the current section; a pattern
 *   that matches nothing is a warning, not an error. Where the files come from is the caller's `readInclude`
 *   (default: this machine's disk; the policy pack reads the files a stack writes, never the machine's).
 * Beyond libstrongswan, three things are refused with their position instead of being read: sections nested deeper
 * than MAX_NESTING (no real file comes close; the parser and every walk over the tree stay shallow), a file that
 * starts with a UTF-8 byte-order mark (libstrongswan reads it as part of the first name, so `connections` would not
 * be `connections`), and a name quoted in a message inside `secrets` (it may be a mistyped secret).
 */

export interface SourcePos {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

export interface SettingsWarning {
  readonly pos: SourcePos;
  readonly message: string;
}

export class SettingsParseError extends Error {
  constructor(
    readonly pos: SourcePos,
    readonly reason: string,
  ) {
    super(`${formatPos(pos)}: ${reason}`);
    this.name = "SettingsParseError";
  }
}

export interface ParsedSettings {
  /**
   * What strongSwan sees: duplicates merged, references resolved, includes read. Values are formatted the way
   * the serializer writes them (`quoteSettingsValue`); `unquoteSettingsValue` gives the string strongSwan uses.
   */
  readonly tree: SettingsSection;
  /** Where each key or section was (last) set, by path: section names and the key joined with "." (names hold no "."). */
  readonly positions: ReadonlyMap<string, SourcePos>;
  readonly warnings: readonly SettingsWarning[];
  /** Every file read, the given one first. */
  readonly files: readonly string[];
  /** Every `name : ref` inheritance, by the path of the inheriting section and the referenced path. */
  readonly references: readonly { readonly from: string; readonly to: string; readonly pos: SourcePos }[];
}

/** A file an `include` matched, with its text. */
export interface IncludedFile {
  readonly file: string;
  readonly text: string;
}

/**
 * Reads an `include` in file `from`: the files matching `pattern` (absolute, possibly a glob), in glob(3)'s order;
 * none is a warning. Throws an Error with a plain reason (never the file's content) when a match cannot be read.
 */
export type IncludeReader = (pattern: string, from: string) => readonly IncludedFile[];

/** Includes as strongSwan reads them: glob(3) on this machine's files. */
export const readIncludesFromDisk: IncludeReader = (pattern) =>
  expandGlob(pattern).map((file) => {
    try {
      return { file, text: fs.readFileSync(file, "utf8") };
    } catch (err) {
      throw new Error(`cannot read included file '${cut(file)}': ${fileProblem(err)}`);
    }
  });

export interface ParseOptions {
  /** Name used in positions and as the base of relative includes. Default "<string>" in the working directory. */
  readonly file?: string;
  /** Include nesting limit; strongSwan has none, a loop would never end. Default 10. */
  readonly maxIncludeDepth?: number;
  /** Where included files come from (default: `readIncludesFromDisk`). */
  readonly readInclude?: IncludeReader;
}

/** `file:line:column`; just the file for what concerns the whole file (line 0: it could not be read). */
export const formatPos = (pos: SourcePos): string => (pos.line === 0 ? cut(pos.file) : `${cut(pos.file)}:${pos.line}:${pos.column}`);

/** Sections nested deeper than this are refused; swanctl.conf needs 5 levels, strongswan.conf about 6. */
export const MAX_NESTING = 64;

const BOM = "\uFEFF";

/** Joins a settings path; names cannot hold ".", so the result is unambiguous. */
export const pathKey = (parts: readonly string[]): string => parts.join(".");

interface RawValue {
  readonly kind: "value";
  readonly key: string;
  /** undefined: removed by an empty value; strongSwan keeps the slot, so a later value returns to this position. */
  value: string | undefined;
  pos: SourcePos;
}

interface RawSection {
  readonly kind: "section";
  readonly key: string;
  readonly pos: SourcePos;
  readonly entries: (RawValue | RawSection)[];
  readonly values: Map<string, RawValue>;
  readonly sections: Map<string, RawSection>;
  readonly refs: { path: string; pos: SourcePos }[];
}

const newSection = (key: string, pos: SourcePos): RawSection => ({
  kind: "section",
  key,
  pos,
  entries: [],
  values: new Map(),
  sections: new Map(),
  refs: [],
});

const isBlank = (c: string): boolean => c === " " || c === "\t" || c === "\r";
const NAME_STOP = new Set([...'#{}=,:."', " ", "\t", "\r", "\n"]);
const REF_STOP = new Set([...'#{}=,:"', " ", "\t", "\r", "\n"]);
const WORD_STOP = new Set([...'#}"', " ", "\t", "\r", "\n"]);

class Lexer {
  private i = 0;
  private line = 1;
  private col = 1;

  constructor(
    private readonly text: string,
    private readonly file: string,
  ) {}

  pos(): SourcePos {
    return { file: this.file, line: this.line, column: this.col };
  }

  peek(): string {
    return this.i < this.text.length ? this.text[this.i] : "";
  }

  next(): string {
    const c = this.text[this.i++];
    if (c === "\n") {
      this.line++;
      this.col = 1;
    } else {
      this.col++;
    }
    return c;
  }

  fail(reason: string, pos: SourcePos = this.pos()): never {
    throw new SettingsParseError(pos, reason);
  }

  /**
   * Skips blanks and comments; newlines too unless `stopAtNewline`. Where a comment ends follows libstrongswan's
   * lexer (longest match of `[\t ]*#[^\r\n]*` and `#.*\n`): a comment led by spaces or tabs ends at a carriage
   * return or newline; one at the start of a token (after a carriage return, a newline, a value) runs to the next
   * newline, over carriage returns, and only when no newline follows in the file does it stop at a carriage return.
   */
  skip(stopAtNewline: boolean): void {
    let lead: "none" | "blanks" | "cr" = "none";
    for (;;) {
      const c = this.peek();
      if (c === "\r") {
        lead = "cr";
        this.next();
      } else if (isBlank(c)) {
        if (lead === "none") lead = "blanks";
        this.next();
      } else if (c === "#") {
        const toNewline = lead !== "blanks" && this.text.includes("\n", this.i);
        while (this.peek() !== "" && this.peek() !== "\n" && (toNewline || this.peek() !== "\r")) this.next();
        lead = "none";
      } else if (c === "\n" && !stopAtNewline) {
        this.next();
        lead = "none";
      } else return;
    }
  }

  run(stop: Set<string>): string {
    const start = this.i;
    while (this.i < this.text.length && !stop.has(this.text[this.i])) this.next();
    return this.text.slice(start, this.i);
  }

  quoted(): string {
    const start = this.pos();
    this.next();
    let out = "";
    for (;;) {
      const c = this.peek();
      if (c === "") this.fail("unterminated string", start);
      this.next();
      if (c === '"') return out;
      if (c !== "\\") {
        out += c;
        continue;
      }
      const e = this.peek();
      if (e === "") this.fail("unterminated string", start);
      this.next();
      if (e === "n") out += "\n";
      else if (e === "r") out += "\r";
      else if (e === "t") out += "\t";
      else if (e === "\r" && this.peek() === "\n")
        this.next(); // a backslash before CR LF joins lines too
      else if (e !== "\n") out += e;
    }
  }

  describe(): string {
    const c = this.peek();
    if (c === "") return "end of file";
    if (c === "\n") return "newline";
    return JSON.stringify(c);
  }
}

class Parser {
  readonly positions = new Map<string, SourcePos>();
  readonly warnings: SettingsWarning[] = [];
  readonly files: string[] = [];
  readonly references: { from: string; to: string; pos: SourcePos }[] = [];

  constructor(
    private readonly maxDepth: number,
    private readonly readInclude: IncludeReader,
  ) {}

  parseText(text: string, file: string, into: RawSection, depth: number, at: string[] = []): void {
    this.files.push(file);
    if (text.startsWith(BOM)) {
      throw new SettingsParseError(
        { file, line: 1, column: 1 },
        "the file starts with a UTF-8 byte-order mark (BOM), which strongSwan would read as part of the first name: save it without one (e.g. sed -i '1s/^\\xEF\\xBB\\xBF//' FILE)",
      );
    }
    const lx = new Lexer(text, file);
    this.statements(lx, into, at, false, path.dirname(file === "<string>" ? path.resolve("x") : path.resolve(file)), depth);
  }

  private statements(lx: Lexer, sec: RawSection, at: string[], nested: boolean, dir: string, depth: number): void {
    for (;;) {
      lx.skip(false);
      const c = lx.peek();
      if (c === "") {
        if (nested) lx.fail(`unexpected end of file, expecting '}' to close section '${showName(sec.key)}' opened at ${formatPos(sec.pos)}`);
        return;
      }
      if (c === "}") {
        if (!nested) lx.fail("unexpected '}' outside of any section");
        lx.next();
        return;
      }
      const start = lx.pos();
      const name = lx.run(NAME_STOP);
      if (name === "") lx.fail(`unexpected ${lx.describe()}, expecting a name`);
      if (name === "include" && isBlank(lx.peek())) {
        lx.skip(true);
        if (lx.peek() !== "=") {
          this.include(lx, sec, at, dir, depth, start);
          continue;
        }
      }
      lx.skip(false);
      const op = lx.peek();
      if (op === "=") {
        lx.next();
        this.setValue(sec, name, this.value(lx), start);
      } else if (op === "{" || op === ":") {
        const refs: { path: string; pos: SourcePos }[] = [];
        if (op === ":") {
          lx.next();
          for (;;) {
            lx.skip(false);
            const refAt = lx.pos();
            const ref = lx.run(REF_STOP);
            if (ref === "") lx.fail(`unexpected ${lx.describe()}, expecting the name of a section to inherit from`);
            refs.push({ path: ref, pos: refAt });
            lx.skip(false);
            if (lx.peek() !== ",") break;
            lx.next();
          }
          if (lx.peek() !== "{") lx.fail(`unexpected ${lx.describe()}, expecting ',' or '{'`);
        }
        if (at.length >= MAX_NESTING) lx.fail(`sections nested deeper than ${MAX_NESTING} levels`, start);
        lx.next();
        const sub = this.openSection(sec, name, start);
        sub.refs.push(...refs);
        refs.forEach((ref) => this.references.push({ from: pathKey([...at, name]), to: ref.path, pos: ref.pos }));
        this.statements(lx, sub, [...at, name], true, dir, depth);
      } else {
        // Inside secrets a stray name may be a secret written without its key.
        const shown = at[0] === "secrets" ? "a name" : `'${showName(name)}'`;
        lx.fail(`unexpected ${lx.describe()} after ${shown}, expecting '=', '{' or ':'`);
      }
    }
  }

  private value(lx: Lexer): string | undefined {
    const words: string[] = [];
    for (;;) {
      while (isBlank(lx.peek())) lx.next();
      const c = lx.peek();
      if (c === "" || c === "\n" || c === "#" || c === "}") break;
      words.push(c === '"' ? lx.quoted() : lx.run(WORD_STOP));
    }
    return words.length ? words.join(" ") : undefined;
  }

  private include(lx: Lexer, sec: RawSection, secPath: string[], dir: string, depth: number, at: SourcePos): void {
    const pattern = lx.peek() === '"' ? lx.quoted() : lx.run(WORD_STOP);
    if (pattern === "") lx.fail("include needs a file name or pattern");
    if (pattern.startsWith(BOM)) lx.fail("the include pattern starts with a UTF-8 byte-order mark (BOM)", at);
    if (depth >= this.maxDepth) lx.fail(`includes nested deeper than ${this.maxDepth} (an include loop?)`, at);
    const full = path.isAbsolute(pattern) ? pattern : path.join(dir, pattern);
    let matches: readonly IncludedFile[];
    try {
      matches = this.readInclude(full, at.file);
    } catch (err) {
      lx.fail((err as Error).message, at);
    }
    if (matches.length === 0) this.warnings.push({ pos: at, message: `no files found matching '${cut(full)}'` });
    for (const { file, text } of matches) this.parseText(text, file, sec, depth + 1, secPath);
  }

  private setValue(sec: RawSection, key: string, value: string | undefined, pos: SourcePos): void {
    const existing = sec.values.get(key);
    if (existing) {
      existing.value = value;
      existing.pos = pos;
    } else {
      const entry: RawValue = { kind: "value", key, value, pos };
      sec.values.set(key, entry);
      sec.entries.push(entry);
    }
  }

  private openSection(parent: RawSection, key: string, pos: SourcePos): RawSection {
    const existing = parent.sections.get(key);
    if (existing) return existing;
    const sub = newSection(key, pos);
    parent.sections.set(key, sub);
    parent.entries.push(sub);
    return sub;
  }
}

/** Resolves references into the tree strongSwan enumerates and records each entry's position. */
function resolve(root: RawSection, positions: Map<string, SourcePos>): SettingsSection {
  // A reference names an absolute path, looked up through references too (as libstrongswan does).
  const resolving = new Set<string>();
  const lookup = (ref: { path: string; pos: SourcePos }): RawSection[] => {
    if (resolving.has(ref.path)) {
      throw new SettingsParseError(ref.pos, `reference '${showName(ref.path)}' leads back to itself (libstrongswan crashes on this)`);
    }
    resolving.add(ref.path);
    let secs: RawSection[] = [root];
    for (const part of ref.path.split(".")) {
      if (part === "") continue;
      secs = contributors(secs)
        .map((sec) => sec.sections.get(part))
        .filter((sec): sec is RawSection => sec !== undefined);
      if (secs.length === 0) break;
    }
    resolving.delete(ref.path);
    return secs;
  };
  // A section's contributors: itself, then each reference's contributors, depth first, each once.
  const contributors = (secs: RawSection[]): RawSection[] => {
    const out: RawSection[] = [];
    const add = (sec: RawSection): void => {
      if (out.includes(sec)) return;
      out.push(sec);
      for (const ref of sec.refs) lookup(ref).forEach(add);
    };
    secs.forEach(add);
    return out;
  };
  const ids = new Map<RawSection, number>();
  const id = (sec: RawSection): number => {
    if (!ids.has(sec)) ids.set(sec, ids.size);
    return ids.get(sec) as number;
  };
  const expanding = new Set<string>();
  const build = (secs: RawSection[], at: string[]): SettingsSection => {
    const all = contributors(secs);
    // The expansion is a function of the contributing sections: meeting the same ones again below means a
    // section inherits from its own ancestor, which libstrongswan expands without end.
    const key = secs.map(id).join(",");
    if (expanding.has(key)) {
      const ref = secs.flatMap((sec) => sec.refs)[0];
      throw new SettingsParseError(
        ref?.pos ?? secs[0].pos,
        `section '${showName(pathKey(at))}' inherits from a section that contains it: the expansion never ends`,
      );
    }
    expanding.add(key);
    const entries: SettingsEntry[] = [];
    const seenValues = new Set<string>();
    const seenSections = new Set<string>();
    for (const sec of all) {
      for (const entry of sec.entries) {
        const where = pathKey([...at, entry.key]);
        if (entry.kind === "value") {
          if (entry.value === undefined || seenValues.has(entry.key)) continue;
          seenValues.add(entry.key);
          entries.push({ kind: "value", key: entry.key, value: quoteSettingsValue(entry.value) });
          if (!positions.has(where)) positions.set(where, entry.pos);
        } else {
          if (seenSections.has(entry.key)) continue;
          seenSections.add(entry.key);
          const same = all.map((s) => s.sections.get(entry.key)).filter((s): s is RawSection => s !== undefined);
          if (!positions.has(where)) positions.set(where, entry.pos);
          entries.push({ kind: "section", key: entry.key, section: build(same, [...at, entry.key]) });
        }
      }
    }
    expanding.delete(key);
    return { entries };
  };
  return build([root], []);
}

function parseInto(text: string, file: string, options: ParseOptions): ParsedSettings {
  const parser = new Parser(options.maxIncludeDepth ?? 10, options.readInclude ?? readIncludesFromDisk);
  const root = newSection("", { file, line: 1, column: 1 });
  parser.parseText(text, file, root, 0);
  const positions = new Map<string, SourcePos>();
  const tree = resolve(root, positions);
  return { tree, positions, warnings: parser.warnings, files: parser.files, references: parser.references };
}

/** Parses settings text; `options.file` names it in errors and anchors relative includes. */
export function parseSettings(text: string, options: ParseOptions = {}): ParsedSettings {
  return parseInto(text, options.file ?? "<string>", options);
}

/** Reads and parses a settings file with its includes. */
export function parseSettingsFile(file: string, options: Omit<ParseOptions, "file"> = {}): ParsedSettings {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    throw new SettingsParseError({ file, line: 0, column: 0 }, `cannot read: ${fileProblem(err)}`);
  }
  return parseInto(text, file, options);
}

/** glob(3) as strongSwan calls it: `*`, `?` and `[...]` per path segment, no leading-dot matches, sorted. */
export function expandGlob(pattern: string): string[] {
  const parts = pattern.split("/");
  let bases = [parts[0] === "" ? "/" : parts[0]];
  for (const part of parts.slice(1)) {
    if (part === "") continue;
    const next: string[] = [];
    for (const base of bases) {
      if (!/[*?[]/.test(part)) {
        const candidate = path.join(base, part);
        if (fs.existsSync(candidate)) next.push(candidate);
        continue;
      }
      const re = globSegment(part);
      let names: string[] = [];
      try {
        names = fs.readdirSync(base);
      } catch {
        continue;
      }
      for (const name of names.sort()) {
        if (name.startsWith(".") && !part.startsWith(".")) continue;
        if (re.test(name)) next.push(path.join(base, name));
      }
    }
    bases = next;
  }
  return bases.filter((f) => {
    try {
      return fs.statSync(f).isFile();
    } catch {
      return false;
    }
  });
}

function globSegment(segment: string): RegExp {
  let re = "";
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i];
    if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else if (c === "[") {
      const end = segment.indexOf("]", i + 2);
      if (end < 0) {
        re += "\\[";
        continue;
      }
      let body = segment.slice(i + 1, end);
      if (body.startsWith("!")) body = "^" + body.slice(1);
      re += `[${body.replace(/\\/g, "\\\\")}]`;
      i = end;
    } else re += c.replace(/[.+^${}()|\\\]]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}
