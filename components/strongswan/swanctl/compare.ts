import { isDocSection, type DocValue, type SwanctlDocument } from "./document";
import { keySpec, placeOf } from "./layout";
import { checkValue, sameText, toText, type ModelValue } from "./types";

/**
 * Compares one swanctl section with another the way charon would see them: a missing key counts as its
 * strongSwan default (when swanctl.opt states one that is a value), lists by items, booleans by truth.
 */

export interface ValueDifference {
  /** Path of the key in the FIRST document. */
  readonly path: string[];
  readonly key: string;
  /** The first document's value, or its default when absent (undefined: absent and no default). */
  readonly first?: ModelValue;
  readonly second?: ModelValue;
  /** The first document did not set the key (its default applies). */
  readonly firstDefaulted: boolean;
}

/** The default of a key as a model value, when swanctl.opt states a usable one. */
export function defaultValue(path: string[], key: string): ModelValue | undefined {
  const place = placeOf(path);
  if (place?.kind !== "section") return undefined;
  const spec = keySpec(place.section, key);
  if (!spec || spec.default === undefined) return undefined;
  const checked = checkValue(spec.type, spec.default);
  return checked.ok ? checked.value : undefined;
}

/**
 * The values of section `a` (at `path`) that differ from section `b`; subsections are not visited.
 * `ignore` names keys not to compare.
 */
export function valueDifferences(a: SwanctlDocument, b: SwanctlDocument, path: string[], ignore: readonly string[] = []): ValueDifference[] {
  const place = placeOf(path);
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => !isDocSection(a[k]) && !isDocSection(b[k]) && !ignore.includes(k));
  const out: ValueDifference[] = [];
  for (const key of keys) {
    const spec = place?.kind === "section" ? keySpec(place.section, key) : undefined;
    const va = a[key] as ModelValue | undefined;
    const vb = b[key] as ModelValue | undefined;
    const ea = va ?? defaultValue(path, key);
    const eb = vb ?? defaultValue(path, key);
    if (ea === undefined && eb === undefined) continue;
    if (ea !== undefined && eb !== undefined && sameText(spec?.type, toText(ea), toText(eb))) continue;
    out.push({ path, key, first: ea, second: eb, firstDefaulted: va === undefined });
  }
  return out;
}

export const sectionsOf = (v: DocValue | undefined): [string, SwanctlDocument][] =>
  isDocSection(v) ? Object.entries(v).filter((e): e is [string, SwanctlDocument] => isDocSection(e[1])) : [];
