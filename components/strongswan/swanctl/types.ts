import { isIP } from "../../model/net";
import { proposalProblem } from "./proposals";
import { showValue } from "../../util/show-value";

/**
 * The value types of swanctl.conf keys (the `type` of each entry in options.generated.ts): how a value's text
 * becomes a typed value, how it is checked and how it is written back. Formats follow what charon 5.9.8's vici
 * parser accepts (tried on this machine), sometimes stricter where charon silently wraps (e.g. negative numbers).
 */

export type TypeSpec =
  | { readonly kind: "bool" }
  | { readonly kind: "int"; readonly min: number; readonly max: number }
  | { readonly kind: "choice"; readonly values: readonly string[]; readonly aliases?: Readonly<Record<string, string>> }
  | { readonly kind: "duration" }
  | { readonly kind: "volume" }
  | { readonly kind: "string"; readonly format: string }
  | { readonly kind: "list"; readonly format: string };

/** A value as the model holds it. Invalid text read from a file stays a string so nothing is lost. */
export type ModelValue = boolean | number | string | string[];

const TRUE = ["yes", "true", "enabled", "1"];
const FALSE = ["no", "false", "disabled", "0"];
const NUM = /^(0x[0-9a-fA-F]+|\d+)$/;
const HOSTNAME = /^[A-Za-z0-9_*]([A-Za-z0-9_.*-]*[A-Za-z0-9_*])?$/;
const isCidr = (t: string): boolean => {
  const [addr, len, extra] = t.split("/");
  if (extra !== undefined || !isIP(addr)) return false;
  return len === undefined || (/^\d{1,3}$/.test(len) && Number(len) <= (addr.includes(":") ? 128 : 32));
};
const isRange = (t: string): boolean => {
  const parts = t.split("-");
  return parts.length === 2 && isIP(parts[0]) && isIP(parts[1]);
};
const MARK_NUM = (t: string): boolean => t === "" || (NUM.test(t) && Number(t) <= 0xffffffff);
const isMark = (t: string, specials: string[]): boolean => {
  if (specials.includes(t)) return true;
  const [value, mask, extra] = t.split("/");
  return extra === undefined && MARK_NUM(value) && (mask === undefined || MARK_NUM(mask)) && t !== "/";
};
const TS_PROTO = /^\[[A-Za-z0-9_-]*(\/([A-Za-z0-9_%-]*|\d+-\d+|opaque))?\]$/;

interface Format {
  readonly test: (item: string) => boolean;
  /** What is allowed, for error messages. */
  readonly allowed: string;
  /** Why an item is refused, when more precise than `allowed`. */
  readonly explain?: (item: string) => string | undefined;
  /** Numbers a YAML author may write for this format (rendered as decimal text). */
  readonly numbers?: boolean;
}

export const FORMATS: Record<string, Format> = {
  addr: {
    test: (t) => /^%any[46]?$/.test(t) || isCidr(t) || isRange(t) || HOSTNAME.test(t),
    allowed: "an IP address, CIDR subnet, range (a-b), DNS name or %any/%any4/%any6",
  },
  ip: { test: (t) => isIP(t), allowed: "an IPv4 or IPv6 address (0.0.0.0 or :: requests any)" },
  ike_proposal: {
    test: (t) => proposalProblem("ike", t) === undefined,
    explain: (t) => proposalProblem("ike", t),
    allowed:
      "an IKE proposal: algorithm keywords joined by '-', with encryption, integrity or PRF and a key exchange (e.g. aes256gcm16-prfsha384-ecp384), or 'default'",
  },
  esp_proposal: {
    test: (t) => proposalProblem("esp", t) === undefined,
    explain: (t) => proposalProblem("esp", t),
    allowed: "an ESP proposal: algorithm keywords joined by '-', with encryption (e.g. aes256gcm16-ecp384), or 'default'",
  },
  ah_proposal: {
    test: (t) => proposalProblem("ah", t) === undefined,
    explain: (t) => proposalProblem("ah", t),
    allowed: "an AH proposal: algorithm keywords joined by '-', with integrity (e.g. sha256-ecp384)",
  },
  count: { test: (t) => /^\d+$/.test(t), allowed: "a number (no unit)", numbers: true },
  ts: {
    test: (t) => {
      const m = /^([^[]*)(\[.*\])?$/.exec(t);
      if (!m) return false;
      const [, net, proto] = m;
      const netOk = /^(dynamic|%any[46]?)$/.test(net) || isCidr(net) || isRange(net);
      return netOk && (proto === undefined || TS_PROTO.test(proto));
    },
    allowed: "a traffic selector: CIDR subnet, address, range (a-b), dynamic or %any, optionally [proto/port]",
  },
  name: { test: (t) => /^[^\s,"]+$/.test(t), allowed: "a name without blanks, commas or quotes" },
  file: { test: (t) => t.trim() === t && t !== "" && !/[,\n]/.test(t), allowed: "a file name without commas or newlines" },
  text: { test: (t) => !/[\u0000-\u001f\u007f]/.test(t), allowed: "text without control characters" },
  attr: { test: (t) => t.trim() === t && t !== "" && !/[,\n]/.test(t), allowed: "an attribute value (address, subnet or text)" },
  secret: { test: (t) => !/[\u0000-\u001f\u007f]/.test(t), allowed: "a secret without control characters" },
  identity: {
    test: (t) => t !== "" && !/[\u0000-\u001f\u007f]/.test(t),
    allowed: "an IKE identity (address, FQDN, user@FQDN, DN, %any) without control characters",
  },
  auth: {
    test: (t) => /^(psk|(ike:)?(pubkey|rsa|ecdsa|ed25519|ed448|bliss)(\/pss)?(-[A-Za-z0-9]+)*|eap(-[A-Za-z0-9]+)*|xauth(-[A-Za-z0-9]+)*)$/.test(t),
    allowed: "pubkey, psk, rsa[/pss], ecdsa, ed25519, ed448 (optionally ike: and -hash suffixes), eap[-method] or xauth[-backend]",
  },
  oid: { test: (t) => /^\d+(\.\d+)+$/.test(t), allowed: "an OID in dotted form (e.g. 1.3.6.1.4.1.36906.1.1.1)" },
  uri: { test: (t) => /^[A-Za-z][A-Za-z0-9+.-]*:[^\s,]+$/.test(t), allowed: "a URI (ldap:, http: or file:) without blanks or commas" },
  hex: { test: (t) => /^(0x)?[0-9a-fA-F]+$/.test(t), allowed: "hex digits" },
  ifname: { test: (t) => /^[^\s/,"]{1,15}$/.test(t), allowed: "an interface name (1-15 characters)" },
  dscp: { test: (t) => /^[01]{1,6}$/.test(t), allowed: "six binary digits (e.g. 101110)" },
  if_id: {
    test: (t) => t === "%unique" || t === "%unique-dir" || (NUM.test(t) && Number(t) <= 0xffffffff),
    allowed: "a number (0-4294967295), %unique or %unique-dir",
    numbers: true,
  },
  mark: {
    test: (t) => isMark(t, ["%unique", "%unique-dir"]),
    allowed: "value[/mask] (numbers, 0x hex allowed), %unique or %unique-dir",
    numbers: true,
  },
  set_mark: { test: (t) => isMark(t, ["%same"]), allowed: "value[/mask] (numbers, 0x hex allowed) or %same", numbers: true },
  tfc_padding: { test: (t) => t === "mtu" || (NUM.test(t) && Number(t) <= 0xffffffff), allowed: "a number of bytes or mtu", numbers: true },
  pool_addrs: { test: (t) => isCidr(t) || isRange(t), allowed: "one CIDR subnet or address range (from-to)" },
};

export const DURATION_RE = /^\d+[smhd]?$/;
export const VOLUME_RE = /^\d+[kKmMgG]?$/;

/** Reads a value's text into the model's form; text that does not fit the type stays as it is. */
export function fromText(type: TypeSpec, text: string): ModelValue {
  switch (type.kind) {
    case "bool": {
      const t = text.toLowerCase();
      return TRUE.includes(t) ? true : FALSE.includes(t) ? false : text;
    }
    case "int":
      return NUM.test(text) && Number(text) <= Number.MAX_SAFE_INTEGER ? Number(text) : text;
    case "list":
      return splitList(text);
    default:
      return text;
  }
}

/** strongSwan splits lists at commas and trims blanks around each item. */
export function splitList(text: string): string[] {
  return text.split(",").map((item) => item.trim());
}

/** The text written for a model value (before quoting). */
export function toText(value: ModelValue): string {
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (typeof value === "number") return String(value);
  if (Array.isArray(value)) return value.join(",");
  return value;
}

/** Describes what a type allows, for error messages and the reference. */
export function describeType(type: TypeSpec): string {
  switch (type.kind) {
    case "bool":
      return "yes or no";
    case "int":
      return `an integer from ${type.min} to ${type.max}`;
    case "choice": {
      const aliases = Object.entries(type.aliases ?? {});
      const alias = aliases.length ? ` (also ${aliases.map(([a, c]) => `${a} = ${c}`).join(", ")})` : "";
      return `one of ${type.values.join(", ")}${alias}`;
    }
    case "duration":
      return "a duration: a number of seconds, or with the unit s, m, h or d (e.g. 30s, 4h)";
    case "volume":
      return "a count, optionally with k, m or g (e.g. 500000000, 1g)";
    case "string":
      return FORMATS[type.format].allowed;
    case "list":
      return `a comma separated list, each item ${FORMATS[type.format].allowed}`;
  }
}

/**
 * Checks a value (from a file or from YAML) and gives its canonical model form, or why it is not allowed.
 * YAML authors may write lists as one string, booleans as yes/no, and numbers where the format takes them.
 */
export function checkValue(type: TypeSpec, value: unknown): { ok: true; value: ModelValue } | { ok: false; message: string } {
  const bad = { ok: false as const, message: `must be ${describeType(type)}` };
  switch (type.kind) {
    case "bool": {
      if (typeof value === "boolean") return { ok: true, value };
      if (typeof value === "string" || typeof value === "number") {
        const v = fromText(type, String(value));
        if (typeof v === "boolean") return { ok: true, value: v };
      }
      return bad;
    }
    case "int": {
      const n = typeof value === "number" ? value : typeof value === "string" ? fromText(type, value) : undefined;
      if (typeof n === "number" && Number.isInteger(n) && n >= type.min && n <= type.max) return { ok: true, value: n };
      return bad;
    }
    case "choice": {
      const text = typeof value === "boolean" ? (value ? "yes" : "no") : typeof value === "string" ? value : undefined;
      if (text !== undefined && (type.values.includes(text) || (type.aliases && text in type.aliases))) return { ok: true, value: text };
      return bad;
    }
    case "duration":
    case "volume": {
      if (typeof value === "number" && Number.isInteger(value) && value >= 0) return { ok: true, value: String(value) };
      if (typeof value === "string" && (type.kind === "duration" ? DURATION_RE : VOLUME_RE).test(value)) return { ok: true, value };
      return bad;
    }
    case "string": {
      const format = FORMATS[type.format];
      const text = typeof value === "number" && format.numbers && Number.isInteger(value) && value >= 0 ? String(value) : value;
      if (typeof text === "string" && format.test(text)) return { ok: true, value: text };
      return bad;
    }
    case "list": {
      const items = typeof value === "string" ? splitList(value) : Array.isArray(value) ? value : undefined;
      const format = FORMATS[type.format];
      if (items === undefined || items.length === 0) return bad;
      const wrong = items.find((item) => typeof item !== "string" || item.includes(",") || !format.test(item));
      if (wrong !== undefined) {
        const why = typeof wrong === "string" ? format.explain?.(wrong) : undefined;
        return { ok: false, message: why ? `item ${showValue(wrong)}: ${why}` : `item ${showValue(wrong)} is not ${format.allowed}` };
      }
      return { ok: true, value: items as string[] };
    }
  }
}

/** Whether two texts mean the same value to strongSwan (list spacing, yes/true, 10/0xa). */
export function sameText(type: TypeSpec | undefined, a: string, b: string): boolean {
  if (a === b) return true;
  if (type === undefined) return false;
  if (type.kind === "list") {
    const x = splitList(a);
    const y = splitList(b);
    return x.length === y.length && x.every((item, i) => item === y[i]);
  }
  if (type.kind === "bool" || type.kind === "int") {
    const x = fromText(type, a);
    const y = fromText(type, b);
    return typeof x !== "string" && x === y;
  }
  return false;
}
