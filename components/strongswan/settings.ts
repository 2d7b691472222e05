import { gotValue } from "../util/show-value";

/**
 * The strongSwan settings syntax (strongswan.conf(5), swanctl.conf(5)): nested sections of
 * `key = value` pairs. One generic tree and ONE serializer serve swanctl.conf and strongswan.d drop-ins.
 */

/** A value: a scalar, or a list that strongSwan reads comma-separated. `undefined` means "omit the key". */
export type SettingsValue = string | number | boolean | readonly (string | number)[];

/** An ordered section. Entries keep insertion order so that output is stable. */
export interface SettingsSection {
  readonly entries: readonly SettingsEntry[];
}

export type SettingsEntry =
  | { readonly kind: "value"; readonly key: string; readonly value: string }
  | { readonly kind: "section"; readonly key: string; readonly section: SettingsSection };

export const MANAGED_HEADER = "# Managed by stage2. Local changes are overwritten on the next converge.";

// No ":" (it introduces section references, `name : base {`) and no "." (a path separator), see settings-parser.ts.
const KEY_RE = /^[A-Za-z0-9_\-@%+/*]+$/;
// Unquoted values may hold anything the lexer keeps as one token; everything else is quoted.
const BARE_RE = /^[A-Za-z0-9_\-@:%+/.,=*[\]]+$/;

export class SettingsSyntaxError extends Error {
  constructor(
    readonly path: string,
    readonly value: string,
    readonly reason: string,
  ) {
    super(`${path}: ${reason}${gotValue(path, value)}`);
    this.name = "SettingsSyntaxError";
  }
}

/** Rejects a key that could open a section, start a comment or be read as a path ("a.b"). */
export function checkKey(key: string, path: string): string {
  if (!KEY_RE.test(key) || key === "include") {
    throw new SettingsSyntaxError(path, key, "a name may only hold letters, digits and _-@%+/*, and not be 'include'");
  }
  return key;
}

/** Formats one value; list items are joined by commas, booleans become yes/no. */
export function formatValue(value: SettingsValue, path: string): string {
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new SettingsSyntaxError(path, String(value), "not a finite number");
    return String(value);
  }
  if (typeof value === "string") return quote(value, path);
  const items = value.map((item, i) => {
    const text = checkScalar(String(item), `${path}[${i}]`);
    if (text.includes(",")) throw new SettingsSyntaxError(`${path}[${i}]`, text, "a list item cannot contain ','");
    return text;
  });
  return quote(items.join(","), path);
}

function checkScalar(text: string, path: string): string {
  // Control characters (newline above all) would end the value and start a new key.
  if (/[\u0000-\u001f\u007f]/.test(text)) {
    throw new SettingsSyntaxError(path, text, "control characters (newline, tab, NUL) are not allowed");
  }
  return text;
}

function quote(text: string, path: string): string {
  checkScalar(text, path);
  if (text !== "" && BARE_RE.test(text)) return text;
  return `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/** Builds a section from a plain object, dropping undefined values; the object's key order is kept. */
export function section(fields: Record<string, SettingsValue | SettingsSection | undefined>): SettingsSection {
  const entries: SettingsEntry[] = [];
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    if (isSection(value)) entries.push({ kind: "section", key, section: value });
    else entries.push({ kind: "value", key, value: formatValue(value, key) });
  }
  return { entries };
}

export function isSection(value: unknown): value is SettingsSection {
  return typeof value === "object" && value !== null && !Array.isArray(value) && "entries" in value;
}

/** Serializes a tree: tab-indented, one entry per line, a managed header, trailing newline. */
export function renderSettings(root: SettingsSection, header: string = MANAGED_HEADER): string {
  const lines: string[] = header ? [header, ""] : [];
  const walk = (sec: SettingsSection, depth: number, path: string): void => {
    const indent = "\t".repeat(depth);
    for (const entry of sec.entries) {
      const where = path ? `${path}.${entry.key}` : entry.key;
      const key = checkKey(entry.key, where);
      if (entry.kind === "value") {
        lines.push(`${indent}${key} = ${entry.value}`);
      } else {
        lines.push(`${indent}${key} {`);
        walk(entry.section, depth + 1, where);
        lines.push(`${indent}}`);
        if (depth === 0) lines.push("");
      }
    }
  };
  walk(root, 0, "");
  while (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  return lines.join("\n") + "\n";
}

/**
 * Formats any string as a value, like `formatValue` but escaping newline, CR and tab (`\n \r \t` inside quotes)
 * instead of rejecting them: the parser uses it so that a parsed tree holds values the way `section()` formats them.
 */
export function quoteSettingsValue(text: string): string {
  if (text !== "" && BARE_RE.test(text)) return text;
  const escaped = text.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n").replace(/\r/g, "\\r").replace(/\t/g, "\\t");
  return `"${escaped}"`;
}

/** The string a formatted value stands for (the inverse of `formatValue` / `quoteSettingsValue`). */
export function unquoteSettingsValue(formatted: string): string {
  if (!formatted.startsWith('"')) return formatted;
  const escapes: Record<string, string> = { n: "\n", r: "\r", t: "\t" };
  return formatted.slice(1, -1).replace(/\\(.)/gs, (_, c: string) => escapes[c] ?? c);
}
