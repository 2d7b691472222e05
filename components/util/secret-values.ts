/**
 * Secret values this process has read (stack config secrets, a swanctl.conf's secrets), each with the name of the
 * key that holds it, so that no message can show one: `showValue` prints a known secret as its key's name, and
 * `scrubSecrets` replaces any that a message still quotes. Errors name a secret's key, never its value.
 */

/** What stands in for a secret value: the name of its key only. */
export const redactedSecret = (key: string): string => `(redacted: secret ${key})`;

// Fragments shorter than this are matched only as whole values: scrubbing "ab" out of every message would mangle it.
const MIN_FRAGMENT = 4;
// A multi-line secret (a PEM key) leaks through any one of its lines (its armor lines are public).
const MIN_LINE = 12;

const byValue = new Map<string, string>();
const fragmentList: [string, string][] = [];
let sorted = true;
/** Longest first, so that a secret containing another is replaced whole; sorted once per change, when read. */
function fragments(): [string, string][] {
  if (!sorted) fragmentList.sort((a, b) => b[0].length - a[0].length);
  sorted = true;
  return fragmentList;
}

function leaves(value: unknown, out: string[]): string[] {
  if (typeof value === "string") out.push(value);
  else if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") out.push(String(value));
  else if (Array.isArray(value)) value.forEach((v) => leaves(v, out));
  else if (value && typeof value === "object") Object.values(value).forEach((v) => leaves(v, out));
  return out;
}

/** Records the value(s) of a secret key (`stage2:psk-acme-hq`, `secrets.ike-hq.secret`); objects by their leaves. */
export function registerSecret(key: string, value: unknown): void {
  for (const text of leaves(value, [])) {
    if (text === "" || byValue.has(text)) continue;
    byValue.set(text, key);
    const forms = [
      text,
      JSON.stringify(text).slice(1, -1),
      ...text
        .split(/\r?\n/)
        .map((l) => l.trim())
        .filter((l) => l.length >= MIN_LINE && !l.startsWith("-----")),
    ];
    for (const form of new Set(forms)) if (form.length >= MIN_FRAGMENT) fragmentList.push([form, key]);
    sorted = false;
  }
}

/** The stand-in naming the key when `value` is, or contains, a known secret; undefined otherwise. */
export function secretLabelOf(value: unknown): string | undefined {
  for (const text of leaves(value, [])) {
    const exact = byValue.get(text);
    if (exact) return redactedSecret(exact);
  }
  const json = typeof value === "string" ? value : safeJson(value);
  const key = fragments().find(([form]) => json.includes(form))?.[1];
  return key === undefined ? undefined : redactedSecret(key);
}

/** The keys of every known secret in `text`, and of the stand-ins (`redactedSecret`) it holds, in order of first mention. */
export function secretKeysIn(text: string): string[] {
  const keys = new Set<string>();
  for (const m of text.matchAll(/\(redacted: secret ([^)]+)\)/g)) keys.add(m[1]);
  for (const [form, key] of fragments()) if (text.includes(form)) keys.add(key);
  return [...keys];
}

/** `text` with every known secret (and each line of a multi-line one) replaced by the name of its key. */
export function scrubSecrets(text: string): string {
  let out = text;
  for (const [form, key] of fragments()) if (out.includes(form)) out = out.split(form).join(redactedSecret(key));
  return out;
}

/**
 * Whether a problem's path is a slot that holds a secret value (not a reference to one): a stack config key other
 * than `gateways` (`stage2:<key>`, `sshPrivateKey`), or anything inside a swanctl `secrets` section.
 */
export function isSecretPath(path: string | readonly (string | number)[]): boolean {
  const parts = typeof path === "string" ? path.split(/[.[\]\s]+/).filter(Boolean) : path.map(String);
  if (parts.includes("secrets")) return true;
  if (parts.some((p) => p.startsWith("stage2:") && p !== "stage2:gateways")) return true;
  return parts[0] === "sshPrivateKey";
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Forgets every registered secret (tests). */
export function forgetSecrets(): void {
  byValue.clear();
  fragmentList.length = 0;
}
