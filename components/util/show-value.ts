import { isSecretPath, redactedSecret, secretLabelOf } from "./secret-values";

/**
 * How every message quotes a value the user gave: as JSON, cut to a readable length, and never a secret (a known
 * secret, or any value in a secret slot, shows as the name of its key).
 */

/** Longest quoted value in a message; the rest is cut and its length said. */
export const MAX_SHOWN = 80;

// A swanctl `secrets` section inside a quoted object (a gateway's extraSwanctl) is shown as its name only.
const replacer = (key: string, v: unknown): unknown =>
  typeof v === "bigint" ? v.toString() : key === "secrets" && v !== null && typeof v === "object" ? redactedSecret("secrets") : v;

function json(value: unknown): string {
  try {
    return JSON.stringify(value, replacer) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Cuts a text to `max` characters, saying how long it was. */
export function cut(text: string, max = MAX_SHOWN): string {
  const chars = [...text];
  return chars.length > max ? `${chars.slice(0, max).join("")}… (${chars.length} characters)` : text;
}

/** A value as a message shows it: JSON, cut, or the name of the secret key that holds it. */
export function showValue(value: unknown, max = MAX_SHOWN): string {
  const secret = secretLabelOf(value);
  if (secret) return secret;
  const text = json(value);
  if (text.length <= max) return text;
  // A long string keeps its opening quote; the closing one would suggest it ended there.
  return cut(text, max);
}

/** A name (key, section, path) quoted in a message: cut, never a known secret. */
export function showName(name: string, max = MAX_SHOWN): string {
  return secretLabelOf(name) ?? cut(name, max);
}

/** ` (got VALUE)` for a problem at `path`, or "" when there is no value; a secret slot's value is never shown. */
export function gotValue(path: string | readonly (string | number)[], value: unknown): string {
  if (value === undefined) return "";
  if (isSecretPath(path)) return ` (got ${secretLabelOf(value) ?? redactedSecret(typeof path === "string" ? path : path.join("."))})`;
  return ` (got ${showValue(value)})`;
}
