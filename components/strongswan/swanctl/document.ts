import { quoteSettingsValue, renderSettings, unquoteSettingsValue, type SettingsEntry, type SettingsSection } from "../settings";
import { keyRank, keySpec, placeOf, sectionGroup, type Place } from "./layout";
import { fromText, sameText, toText, type ModelValue } from "./types";
import { showValue } from "../../util/show-value";

/**
 * A swanctl.conf as plain data, shaped like the file: sections are objects, values are typed (booleans, numbers,
 * string lists) where swanctl.opt gives them a type. Reading keeps everything, even keys swanctl.conf does not
 * know and values that do not fit their type (they stay strings), so that `validate` can report them and
 * `render` can write them back: nothing is dropped on the way through.
 */
export interface SwanctlDocument {
  [key: string]: DocValue;
}
export type DocValue = ModelValue | SwanctlDocument;

export const isDocSection = (v: unknown): v is SwanctlDocument => typeof v === "object" && v !== null && !Array.isArray(v);

export interface ReadProblem {
  readonly path: string[];
  readonly message: string;
}

/** Turns a parsed settings tree into a document. A name used for both a value and a section is a problem. */
export function readDocument(tree: SettingsSection): { document: SwanctlDocument; problems: ReadProblem[] } {
  const problems: ReadProblem[] = [];
  const walk = (sec: SettingsSection, path: string[]): SwanctlDocument => {
    const place = path.length ? placeOf(path) : undefined;
    const out: SwanctlDocument = {};
    for (const entry of sec.entries) {
      if (Object.prototype.hasOwnProperty.call(out, entry.key)) {
        problems.push({ path: [...path, entry.key], message: "is used both as a value and as a section; stage2 cannot keep both" });
        continue;
      }
      if (entry.kind === "section") {
        out[entry.key] = walk(entry.section, [...path, entry.key]);
      } else {
        const text = unquoteSettingsValue(entry.value);
        const spec = place?.kind === "section" ? keySpec(place.section, entry.key) : undefined;
        out[entry.key] = spec ? fromText(spec.type, text) : text;
      }
    }
    return out;
  };
  return { document: walk(tree, []), problems };
}

/**
 * Writes a document as a settings tree in canonical order: a section's values in swanctl.opt's order (unknown
 * keys after them, as given), then its sections as given, except that a connection lists its local rounds,
 * remote rounds and children in that order.
 */
export function documentToSettings(doc: SwanctlDocument): SettingsSection {
  const walk = (obj: SwanctlDocument, path: string[]): SettingsSection => {
    const place = path.length ? placeOf(path) : undefined;
    const values: { key: string; value: ModelValue; rank: number; index: number }[] = [];
    const sections: { key: string; section: SwanctlDocument; group: number; index: number }[] = [];
    Object.entries(obj).forEach(([key, value], index) => {
      if (value === undefined || value === null) return;
      if (isDocSection(value)) {
        sections.push({ key, section: value, group: rootGroup(path, key) ?? sectionGroup(place, key), index });
      } else {
        values.push({ key, value, rank: place?.kind === "section" ? keyRank(place.section, key) : Number.MAX_SAFE_INTEGER, index });
      }
    });
    values.sort((a, b) => a.rank - b.rank || a.index - b.index);
    sections.sort((a, b) => a.group - b.group || a.index - b.index);
    const entries: SettingsEntry[] = [
      ...values.map((v): SettingsEntry => ({ kind: "value", key: v.key, value: quoteSettingsValue(toText(v.value)) })),
      ...sections.map((s): SettingsEntry => ({ kind: "section", key: s.key, section: walk(s.section, [...path, s.key]) })),
    ];
    return { entries };
  };
  return walk(doc, []);
}

// The top level in the order swanctl.opt documents it.
const ROOT_ORDER = ["connections", "secrets", "pools", "authorities"];
function rootGroup(path: string[], key: string): number | undefined {
  if (path.length) return undefined;
  const i = ROOT_ORDER.indexOf(key);
  return i >= 0 ? i : ROOT_ORDER.length;
}

/** The canonical swanctl.conf text of a document, with the managed-by-stage2 header unless told otherwise. */
export function renderDocument(doc: SwanctlDocument, header?: string): string {
  return renderSettings(documentToSettings(doc), header);
}

/**
 * Whether two settings trees mean the same swanctl.conf to strongSwan: the same keys with values that read the
 * same (list spacing, yes/true), the same sections, and sections in the same order wherever order matters
 * (everywhere except between a connection's local rounds, remote rounds and children, and the top-level sections).
 * Returns the first difference, or undefined.
 */
export function settingsDifference(a: SettingsSection, b: SettingsSection): string | undefined {
  const walk = (x: SettingsSection, y: SettingsSection, path: string[]): string | undefined => {
    const place = path.length ? placeOf(path) : undefined;
    const where = (key: string) => [...path, key].join(".");
    const xv = new Map(x.entries.filter((e) => e.kind === "value").map((e) => [e.key, unquoteSettingsValue((e as { value: string }).value)]));
    const yv = new Map(y.entries.filter((e) => e.kind === "value").map((e) => [e.key, unquoteSettingsValue((e as { value: string }).value)]));
    for (const [key, value] of xv) {
      if (!yv.has(key)) return `${where(key)}: missing in the second tree`;
      const spec = place?.kind === "section" ? keySpec(place.section, key) : undefined;
      if (!sameText(spec?.type, value, yv.get(key) as string)) return `${where(key)}: ${showValue(value)} became ${showValue(yv.get(key))}`;
    }
    for (const key of yv.keys()) if (!xv.has(key)) return `${where(key)}: only in the second tree`;
    const xs = x.entries.filter((e): e is Extract<SettingsEntry, { kind: "section" }> => e.kind === "section");
    const ys = y.entries.filter((e): e is Extract<SettingsEntry, { kind: "section" }> => e.kind === "section");
    const order = (list: typeof xs) =>
      orderKey(
        place,
        path,
        list.map((e) => e.key),
      );
    if (order(xs) !== order(ys)) return `${path.join(".") || "(top)"}: sections ${xs.map((e) => e.key).join(",")} vs ${ys.map((e) => e.key).join(",")}`;
    for (const sx of xs) {
      const sy = ys.find((e) => e.key === sx.key) as (typeof ys)[number];
      const diff = walk(sx.section, sy.section, [...path, sx.key]);
      if (diff) return diff;
    }
    return undefined;
  };
  return walk(a, b, []);
}

function orderKey(place: Place | undefined, path: string[], names: string[]): string {
  const group = (name: string) => rootGroup(path, name) ?? sectionGroup(place, name);
  // Top-level sections are independent of each other: compare them as a set.
  if (!path.length) return [...names].sort().join("\n");
  return names
    .map((name, i) => ({ name, i, g: group(name) }))
    .sort((p, q) => p.g - q.g || p.i - q.i)
    .map((p) => `${p.g}:${p.name}`)
    .join("\n");
}
