import { registerSecret } from "../components/util/secret-values";

/**
 * Secret values given to doctor, as `pulumi config --show-secrets --json` prints them
 * ({"stage2:key": {"value": "…", "secret": true}}) or as a flat {"stage2:key": "…"} map. Keys lose their
 * `stage2:` prefix; other projects' keys are ignored. Every value is registered, so no message can show it.
 */
export function parseSecretsInput(text: string, source: string): Record<string, string> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    // JSON's own message quotes the text around the fault, which may hold a secret.
    throw new Error(`${source}: not JSON (expected the output of pulumi config --show-secrets --json)`);
  }
  if (!doc || typeof doc !== "object" || Array.isArray(doc)) throw new Error(`${source}: expected a JSON object of config keys`);
  const out: Record<string, string> = {};
  for (const [key, entry] of Object.entries(doc as Record<string, unknown>)) {
    const m = /^stage2:(.+)$/.exec(key);
    if (!m) continue;
    const value = typeof entry === "string" ? entry : entry && typeof entry === "object" ? (entry as { value?: unknown }).value : undefined;
    if (typeof value !== "string") continue;
    registerSecret(key, value);
    out[m[1]] = value;
  }
  return out;
}
