import { z } from "zod";
import type { SWANCTL_SECTIONS } from "./options.generated";
import { isDocSection, type SwanctlDocument } from "./document";
import { keySpec, placeName, placeOf, type Place, type SectionKind } from "./layout";
import { isPrefix } from "../../model/net";
import { checkValue, describeType, type ModelValue } from "./types";
import { cut, gotValue, showValue } from "../../util/show-value";

/**
 * The validator of swanctl.conf documents, built from the generated option table, and its zod face
 * (`SwanctlConfig`) for stack configuration. TypeScript types are derived from the same table.
 */

export interface SwanctlProblem {
  /** Section names and keys from the top; a list item adds its index. */
  readonly path: (string | number)[];
  readonly message: string;
  readonly value?: unknown;
  /** Warnings do not make a file invalid (swanctl ignores what they point at). */
  readonly severity?: "warning";
}

// Secrets that are useless without one key: swanctl skips such a section (ike/eap/... "secret", files "file").
const REQUIRED: Partial<Record<SectionKind, string>> = {
  secret_eap: "secret",
  secret_xauth: "secret",
  secret_ntlm: "secret",
  secret_ike: "secret",
  secret_ppk: "secret",
  secret_private: "file",
  secret_rsa: "file",
  secret_ecdsa: "file",
  secret_pkcs8: "file",
  secret_pkcs12: "file",
  secret_token: "handle",
  pool: "addrs",
};

/** Checks a document against strongSwan 5.9.8's swanctl.conf; returns the canonical document and every problem. */
export function validateDocument(input: unknown): { document: SwanctlDocument; problems: SwanctlProblem[] } {
  const problems: SwanctlProblem[] = [];
  const walk = (obj: SwanctlDocument, path: string[]): SwanctlDocument => {
    const place = path.length ? placeOf(path) : undefined;
    const out: SwanctlDocument = {};
    for (const [key, value] of Object.entries(obj)) {
      if (value === undefined || value === null) continue;
      const at = [...path, key];
      if (isDocSection(value)) {
        const sub = placeOf(at);
        if (sub === undefined) {
          problems.push({ path: at, message: unknownSection(path, key) });
          out[key] = value;
          continue;
        }
        out[key] = walk(value, at);
        if (sub.kind === "section") {
          const required = REQUIRED[sub.section];
          if (required && !(required in value)) problems.push({ path: at, message: `needs ${required} (${placeName(sub)})` });
        }
        continue;
      }
      const spec = place?.kind === "section" ? keySpec(place.section, key) : undefined;
      if (spec === undefined) {
        problems.push({ path: at, message: unknownKey(path, key), value });
        out[key] = value;
        continue;
      }
      const checked = poolAttribute(place, key, checkValue(spec.type, value));
      if (checked.ok) out[key] = checked.value;
      else {
        problems.push({ path: at, message: checked.message, value });
        out[key] = value as ModelValue;
      }
    }
    return out;
  };
  if (!isDocSection(input)) return { document: {}, problems: [{ path: [], message: "must be a mapping of swanctl.conf sections", value: input }] };
  return { document: walk(input, []), problems };
}

// A named pool attribute (dns, subnet, ...) takes addresses or subnets; charon 5.9.8 refuses other text
// ("invalid attribute value for nbns"). Numbered attributes take any text.
function poolAttribute(place: Place | undefined, key: string, checked: ReturnType<typeof checkValue>): ReturnType<typeof checkValue> {
  if (!checked.ok || place?.kind !== "section" || place.section !== "pool" || key === "addrs" || /^\d+$/.test(key)) return checked;
  const wrong = (checked.value as string[]).find((item) => !isPrefix(item));
  return wrong === undefined ? checked : { ok: false, message: `item ${showValue(wrong)} is not an IP address or subnet (the ${key} attribute)` };
}

function unknownSection(path: string[], _key: string): string {
  if (path.length === 0) return "is not a swanctl.conf section (connections, secrets, pools, authorities)";
  if (path.length === 1 && path[0] === "secrets") {
    return "is not a secret type: a secrets section name must start with eap, xauth, ntlm, ike, ppk, private, rsa, ecdsa, pkcs8, pkcs12 or token";
  }
  const parent = placeOf(path);
  if (parent?.kind === "section" && parent.section === "connection") {
    return "is not a section of a connection (local<suffix>, remote<suffix>, children)";
  }
  return `is not a section of ${parent ? placeName(parent) : path.join(".")} in strongSwan 5.9.8`;
}

function unknownKey(path: string[], _key: string): string {
  const place = placeOf(path);
  if (place === undefined || place.kind === "container") return `is not a key here: ${path.join(".") || "the top level"} only holds sections`;
  return `is not a key of ${placeName(place)} in strongSwan 5.9.8`;
}

/** Formats a problem as `path: message (got value)`: names and values cut when long, a secret's value never shown. */
export function formatSwanctlProblem(p: SwanctlProblem): string {
  const path =
    p.path
      .map((k) => (typeof k === "number" ? `[${k}]` : `.${cut(k)}`))
      .join("")
      .replace(/^\./, "") || "(top)";
  return `${p.severity === "warning" ? "warning: " : ""}${path}: ${p.message}${gotValue(p.path, p.value)}`;
}

/** What a key of a section kind allows, for documentation. */
export function allowedFor(section: SectionKind, key: string): string {
  const spec = keySpec(section, key);
  return spec ? describeType(spec.type) : "unknown";
}

// ---- types derived from the generated table ----

type Sections = typeof SWANCTL_SECTIONS;
type Spec<K extends SectionKind> = Sections[K]["values"];
type InputOf<T> = T extends { kind: "bool" }
  ? boolean | "yes" | "no"
  : T extends { kind: "int" }
    ? number
    : T extends { kind: "choice"; values: readonly (infer V)[]; aliases: infer A }
      ? V | keyof A
      : T extends { kind: "choice"; values: readonly (infer V)[] }
        ? V
        : T extends { kind: "duration" } | { kind: "volume" }
          ? string | number
          : T extends { kind: "list" }
            ? string[] | string
            : string | number;
type OutputOf<T> = T extends { kind: "bool" }
  ? boolean
  : T extends { kind: "int" }
    ? number
    : T extends { kind: "list" }
      ? string[]
      : T extends { kind: "choice"; values: readonly (infer V)[]; aliases: infer A }
        ? V | keyof A
        : T extends { kind: "choice"; values: readonly (infer V)[] }
          ? V
          : string;
type Fixed<K extends SectionKind, F> = {
  -readonly [P in keyof Spec<K> as P extends `${string}<${string}` ? never : P]?: F extends "in"
    ? InputOf<Spec<K>[P] extends { type: infer T } ? T : never>
    : OutputOf<Spec<K>[P] extends { type: infer T } ? T : never>;
};
/** Sections with names chosen by the author (auth rounds, cert sections, `id<suffix>` keys, pool attributes). */
type Open = { [name: string]: unknown };

export type SwanctlCert<F = "out"> = Fixed<"cert", F>;
export type SwanctlLocalAuth<F = "out"> = Fixed<"local", F> & Open;
export type SwanctlRemoteAuth<F = "out"> = Fixed<"remote", F> & Open;
export type SwanctlChild<F = "out"> = Fixed<"child", F>;
export type SwanctlConnection<F = "out"> = Fixed<"connection", F> & { children?: Record<string, SwanctlChild<F>> } & Open;
export type SwanctlPool<F = "out"> = Fixed<"pool", F> & Open;
export type SwanctlAuthority<F = "out"> = Fixed<"authority", F>;
export type SwanctlSecret = { [key: string]: string | number | undefined };

export interface SwanctlConfigOf<F> {
  connections?: Record<string, SwanctlConnection<F>>;
  secrets?: Record<string, SwanctlSecret>;
  pools?: Record<string, SwanctlPool<F>>;
  authorities?: Record<string, SwanctlAuthority<F>>;
}
export type SwanctlConfigInput = SwanctlConfigOf<"in">;
export type SwanctlConfigOutput = SwanctlConfigOf<"out">;

/**
 * The complete swanctl.conf of strongSwan 5.9.8 as a zod schema: the shape of the file (sections as mappings,
 * keys as in swanctl.conf), every key typed from swanctl.opt. A problem's path names the key, its message what
 * is allowed. Use it for raw swanctl in stack configuration (`ipsec.extraSwanctl`).
 */
export const SwanctlConfig = z.unknown().transform((input, ctx) => {
  const { document, problems } = validateDocument(input);
  for (const p of problems.filter((x) => x.severity !== "warning")) ctx.addIssue({ code: z.ZodIssueCode.custom, path: p.path, message: p.message });
  return document as SwanctlConfigOutput;
}) as unknown as z.ZodType<SwanctlConfigOutput, z.ZodTypeDef, SwanctlConfigInput>;

/**
 * `ipsec.extraSwanctl`: SwanctlConfig without a `secrets` section, because stack configuration is plain text and
 * secrets belong in secret config keys (the gateway model's PSK/EAP/key references).
 */
export const SwanctlExtraConfig = SwanctlConfig.superRefine((value, ctx) => {
  if (value.secrets !== undefined) {
    ctx.addIssue({
      code: z.ZodIssueCode.custom,
      path: ["secrets"],
      message: "secrets do not belong in plain stack configuration: use the gateway model's secret references",
    });
  }
});
