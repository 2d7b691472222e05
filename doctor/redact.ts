import { scrubSecrets } from "../components/util/secret-values";
import { Finding } from "./types";

export const REDACTED = "(redacted secret)";

/** A multi-line secret (a PEM key) leaks through any one of its lines; armor lines are public. */
const MIN_LINE = 12;

function forms(secrets: readonly string[]): string[] {
  const all = new Set<string>();
  for (const s of secrets) {
    if (!s) continue;
    all.add(s);
    for (const line of s.split(/\r?\n/).map((l) => l.trim())) if (line.length >= MIN_LINE && !line.startsWith("-----")) all.add(line);
  }
  return [...all].sort((a, b) => b.length - a.length);
}

/** Replaces every known secret value (and every line of a multi-line one) in `text`. */
export function redactText(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const form of forms(secrets)) out = out.split(form).join(REDACTED);
  return scrubSecrets(out);
}

export function redactFinding(f: Finding, secrets: readonly string[]): Finding {
  const r = (t: string) => redactText(t, secrets);
  return {
    ...f,
    what: r(f.what),
    ...(f.subject !== undefined ? { subject: r(f.subject) } : {}),
    ...(f.fix !== undefined ? { fix: r(f.fix) } : {}),
    evidence: f.evidence.map((e) => ({ command: r(e.command), output: r(e.output) })),
  };
}
