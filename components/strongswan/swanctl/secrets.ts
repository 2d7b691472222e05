import { redactedSecret, registerSecret } from "../../util/secret-values";
import { isDocSection, type SwanctlDocument } from "./document";

/**
 * The values of a swanctl.conf `secrets` section are secrets, except the ones that only say which secret is meant
 * (identities, a key file's name, a token's slot). Anything else there, known or mistyped, is treated as a secret.
 */
const NOT_SECRET = /^(id(\S*)?|file|handle|slot|module)$/;

/** Visits every secret value of a document's `secrets` section, with its dotted path. */
function eachSecret(doc: SwanctlDocument, visit: (path: string, key: string, value: unknown) => void): void {
  const walk = (obj: SwanctlDocument, path: string[]): void => {
    for (const [key, value] of Object.entries(obj)) {
      if (isDocSection(value)) walk(value, [...path, key]);
      else if (!(path.length === 2 && NOT_SECRET.test(key))) visit([...path, key].join("."), key, value);
    }
  };
  if (isDocSection(doc.secrets)) walk(doc.secrets, ["secrets"]);
}

/** Records the document's secret values, so that no message can quote them (they show as their path). */
export function registerSwanctlSecrets(doc: SwanctlDocument): void {
  eachSecret(doc, (path, _key, value) => registerSecret(path, value));
}

/** The document with every secret value replaced by a stand-in naming its path; and those paths. */
export function redactSwanctlSecrets(doc: SwanctlDocument): { document: SwanctlDocument; redacted: string[] } {
  const redacted: string[] = [];
  eachSecret(doc, (path) => redacted.push(path));
  if (redacted.length === 0) return { document: doc, redacted };
  const walk = (obj: SwanctlDocument, path: string[]): SwanctlDocument =>
    Object.fromEntries(
      Object.entries(obj).map(([key, value]) => {
        const at = [...path, key];
        if (isDocSection(value)) return [key, walk(value, at)];
        return [key, redacted.includes(at.join(".")) ? redactedSecret(at.join(".")) : value];
      }),
    );
  return { document: { ...doc, secrets: walk(doc.secrets as SwanctlDocument, ["secrets"]) }, redacted };
}
