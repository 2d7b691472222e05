import { SWANCTL_CONTAINERS, SWANCTL_SECTIONS } from "./options.generated";
import type { TypeSpec } from "./types";

/**
 * Where things live in swanctl.conf, derived from the option paths of swanctl.opt: `<conn>` matches any name,
 * `local<suffix>` any name starting with "local", anything else itself. A path is a list of section names.
 */

export type SectionKind = keyof typeof SWANCTL_SECTIONS;
export type Place = { readonly kind: "section"; readonly section: SectionKind } | { readonly kind: "container"; readonly path: string };

export interface KeySpec {
  readonly key: string;
  readonly type: TypeSpec;
  readonly default?: string;
  readonly summary: string;
  readonly doc: string;
}

const segments = (pattern: string): string[] => pattern.split(".");

function matches(pattern: string, name: string): boolean {
  const m = /^([^<]*)<[a-z]+>$/.exec(pattern);
  if (!m) return pattern === name;
  return name.startsWith(m[1]);
}

// More specific patterns first: literal names, then prefixes, then `<name>`.
const specificity = (pattern: string): number => (!pattern.includes("<") ? 0 : pattern.startsWith("<") ? 2 : 1);

// Containers: the documented ones, and literal steps on the way to a section (connections.<conn>.children).
const CONTAINERS = [
  ...new Set([
    ...Object.keys(SWANCTL_CONTAINERS).filter((p) => !p.startsWith("include ")),
    ...Object.values(SWANCTL_SECTIONS).flatMap((s) =>
      segments(s.path)
        .map((_, i, all) => all.slice(0, i + 1))
        .filter((prefix, i, all) => i < all.length - 1 && !prefix[prefix.length - 1].includes("<"))
        .map((prefix) => prefix.join(".")),
    ),
  ]),
];

const PLACES: { pattern: string[]; place: Place }[] = [
  ...CONTAINERS.map((p) => ({ pattern: segments(p), place: { kind: "container", path: p } as Place })),
  ...(Object.keys(SWANCTL_SECTIONS) as SectionKind[]).flatMap((section) => {
    const paths = [SWANCTL_SECTIONS[section].path as string];
    // cert<suffix> sections appear under both local and remote rounds but are one kind.
    if (section === "cert") paths.push("connections.<conn>.remote<suffix>.cert<suffix>");
    return paths.map((p) => ({ pattern: segments(p), place: { kind: "section", section } as Place }));
  }),
];

/** What the section at `path` is, or undefined when swanctl.conf has no such section. */
export function placeOf(path: readonly string[]): Place | undefined {
  const candidates = PLACES.filter((p) => p.pattern.length === path.length && p.pattern.every((seg, i) => matches(seg, path[i])));
  candidates.sort((a, b) => {
    for (let i = 0; i < path.length; i++) {
      const d = specificity(a.pattern[i]) - specificity(b.pattern[i]);
      if (d !== 0) return d;
    }
    return 0;
  });
  return candidates[0]?.place;
}

/** The keys of a section kind in swanctl.opt's order; pattern keys (`id<suffix>`, `<attr>`) included. */
export function keysOf(section: SectionKind): KeySpec[] {
  const values = SWANCTL_SECTIONS[section].values as Record<string, { type: TypeSpec; default?: string; summary: string; doc: string }>;
  return Object.entries(values).map(([key, spec]) => ({ key, ...spec }));
}

// Names a pattern key may take beyond its prefix. Pool attributes: charon 5.9.8 refuses other names
// ("invalid attribute: dsn") but takes any attribute type number.
const PATTERN_NAMES: Record<string, RegExp> = {
  "<attr>": /^(dns|nbns|dhcp|netmask|server|subnet|split_include|split_exclude|\d+)$/,
};

const patternMatches = (pattern: string, key: string): boolean => matches(pattern, key) && (PATTERN_NAMES[pattern]?.test(key) ?? true);

/** The spec of value `key` in a section kind: an exact key first, then a pattern key. */
export function keySpec(section: SectionKind, key: string): KeySpec | undefined {
  const keys = keysOf(section);
  return keys.find((k) => k.key === key) ?? keys.find((k) => k.key.includes("<") && patternMatches(k.key, key));
}

/** Canonical position of a key within its section (pattern keys sort after exact ones, by name). */
export function keyRank(section: SectionKind, key: string): number {
  const keys = keysOf(section);
  const exact = keys.findIndex((k) => k.key === key);
  if (exact >= 0) return exact;
  const pattern = keys.findIndex((k) => k.key.includes("<") && patternMatches(k.key, key));
  return pattern >= 0 ? keys.length + pattern : Number.MAX_SAFE_INTEGER;
}

/** Section groups whose relative order strongSwan ignores: a connection's local rounds, remote rounds, children. */
export function sectionGroup(parent: Place | undefined, name: string): number {
  if (parent?.kind !== "section" || parent.section !== "connection") return 0;
  if (name === "children") return 3;
  if (name.startsWith("local")) return 1;
  if (name.startsWith("remote")) return 2;
  return 4;
}

/** A human name for a place, e.g. "connections.<conn>.children.<child>". */
export function placeName(place: Place): string {
  return place.kind === "container" ? place.path : (SWANCTL_SECTIONS[place.section].path as string);
}
