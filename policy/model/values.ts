/**
 * Resource inputs as policies receive them, made plain: Pulumi hands a policy either unwrapped values
 * (the policy engine) or RPC-shaped ones (the in-process mocks), with unknown and secret markers in
 * several spellings. Everything here reduces them to one tree of known values, UNKNOWN and Sealed.
 */

/** A value that is not known at preview time (an output of a resource not yet created). */
export const UNKNOWN: unique symbol = Symbol("unknown at preview");
export type Unknown = typeof UNKNOWN;

/** A value that was marked secret (pulumi.secret or a provider's secret field). */
export class Sealed {
  constructor(readonly value: Plain) {}
}

export type Plain = string | number | boolean | null | Unknown | Sealed | Plain[] | { [key: string]: Plain };

const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
// The policy SDK's sentinels for unknown values (@pulumi/policy proxy.js); the string one is also the engine's.
const UNKNOWN_SENTINELS = new Set([
  "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
  "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",
  "3eeb2bf0-c639-47a8-9e75-3b44932eb421",
  "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",
  "030794c1-ac77-496b-92df-f27374a8bd58",
  "e48ece36-62e2-4504-bad9-02848725956a",
  "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",
]);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Copies a props tree, reading each property inside try/catch: the policy SDK's proxy throws an
 * UnknownValueError when an unknown property is read, and that must become a note, not a crash.
 */
export function normalize(raw: unknown): Plain {
  if (raw === undefined) return UNKNOWN;
  if (raw === null || typeof raw === "boolean" || typeof raw === "number") return raw;
  if (typeof raw === "string") return UNKNOWN_SENTINELS.has(raw) ? UNKNOWN : raw;
  if (Array.isArray(raw)) return raw.map((item) => normalize(item));
  if (raw instanceof Sealed) return new Sealed(normalize(raw.value));
  if (!isRecord(raw)) return UNKNOWN;
  if (raw.constructor?.name === "Secret" && "value" in raw) return new Sealed(normalize(raw.value));
  if (raw[SIG_KEY] === SECRET_SIG) return new Sealed(normalize(raw.value));
  if (raw.__pulumiUnknown === true) return UNKNOWN;
  const out: { [key: string]: Plain } = {};
  let keys: string[];
  try {
    keys = Object.keys(raw);
  } catch {
    return UNKNOWN;
  }
  for (const key of keys) {
    let value: unknown;
    try {
      value = raw[key];
    } catch {
      out[key] = UNKNOWN;
      continue;
    }
    if (value !== undefined) out[key] = normalize(value);
  }
  return out;
}

export type Read<T> = { readonly kind: "known"; readonly value: T; readonly secret: boolean } | { readonly kind: "unknown" } | { readonly kind: "absent" };

/** Reads a dotted path; a Sealed anywhere on the way makes the result secret. */
export function lookup(tree: Plain, path: string): Read<Plain> {
  let node: Plain = tree;
  let secret = false;
  for (const key of path.split(".")) {
    while (node instanceof Sealed) {
      secret = true;
      node = node.value;
    }
    if (node === UNKNOWN) return { kind: "unknown" };
    if (!isRecord(node) || !(key in node)) return { kind: "absent" };
    node = (node as { [key: string]: Plain })[key];
  }
  while (node instanceof Sealed) {
    secret = true;
    node = node.value;
  }
  if (node === UNKNOWN) return { kind: "unknown" };
  if (node === null) return { kind: "absent" };
  return { kind: "known", value: node, secret };
}

/** Reads a string (numbers are formatted); anything else counts as absent. */
export function readString(tree: Plain, path: string): Read<string> {
  const read = lookup(tree, path);
  if (read.kind !== "known") return read;
  if (typeof read.value === "string") return { kind: "known", value: read.value, secret: read.secret };
  if (typeof read.value === "number") return { kind: "known", value: String(read.value), secret: read.secret };
  return { kind: "absent" };
}

/** True when the tree holds an unknown anywhere (a string built from an unknown output is itself unknown). */
export function hasUnknown(tree: Plain): boolean {
  if (tree === UNKNOWN) return true;
  if (tree instanceof Sealed) return hasUnknown(tree.value);
  if (Array.isArray(tree)) return tree.some(hasUnknown);
  if (isRecord(tree)) return Object.values(tree).some((v) => hasUnknown(v as Plain));
  return false;
}

/** Every string in the tree with its dotted path and whether it is sealed. */
export function strings(tree: Plain, path = "", secret = false): { path: string; value: string; secret: boolean }[] {
  if (typeof tree === "string") return [{ path, value: tree, secret }];
  if (tree instanceof Sealed) return strings(tree.value, path, true);
  if (Array.isArray(tree)) return tree.flatMap((item, i) => strings(item, `${path}[${i}]`, secret));
  if (isRecord(tree)) {
    return Object.entries(tree).flatMap(([key, value]) => strings(value as Plain, path ? `${path}.${key}` : key, secret));
  }
  return [];
}
