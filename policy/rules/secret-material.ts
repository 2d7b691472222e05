import { readSwanctlText } from "../../components/strongswan/swanctl";
import { swanctlConfigs } from "../swanctl/config";

/** Recognises key material in text: what must never sit on a command line or in a world-readable file. */

const PEM_PRIVATE_RE = /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----/;
const WG_KEY_RE = /^\s*(PrivateKey|PresharedKey)\s*=\s*[A-Za-z0-9+/]{42,43}=/im;
const IPSEC_SECRETS_RE = /(^|\s):\s*(PSK|EAP|XAUTH|NTLM)\s+("[^"]*"|0[xs]\S+)/m;
const SWANCTL_SECRET_RE = /\b(ike|eap|xauth|ntlm|ppk|private|rsa|ecdsa|pkcs8|pkcs12|token)[-\w]*\s*\{[^}]*\bsecret\s*=\s*[^\s}]/s;
const WG_SET_RE = /\bwg\s+set\b[^\n]*\b(private-key|preshared-key)\s+(?!\/dev\/stdin|\/etc\/|\/run\/|\/var\/)\S/;

export function secretKinds(text: string): string[] {
  const kinds: string[] = [];
  if (PEM_PRIVATE_RE.test(text)) kinds.push("a PEM private key");
  if (WG_KEY_RE.test(text)) kinds.push("a WireGuard private or preshared key");
  if (IPSEC_SECRETS_RE.test(text)) kinds.push("an ipsec.secrets entry");
  if (SWANCTL_SECRET_RE.test(text)) kinds.push("a swanctl secret (PSK or EAP password)");
  if (WG_SET_RE.test(text)) kinds.push("a WireGuard key given to `wg set` inline");
  return kinds;
}

/** The inline secret values of a swanctl file (to look for them elsewhere); empty when it is not one. */
export function swanctlSecretValues(path: string, content: string): string[] {
  if (!path.startsWith("/etc/swanctl/")) return [];
  try {
    // This file's own values: its includes are not followed (each file is looked at on its own).
    const read = readSwanctlText(content, path, { readInclude: () => [] });
    return swanctlConfigs(read).flatMap((part) => part.config.secrets.flatMap((s) => s.values));
  } catch {
    return [];
  }
}

/** A mode that only the owner can read (0600, 0400, 0700). */
export const ownerOnly = (mode: string | undefined): boolean => mode !== undefined && /^0?[0-7]00$/.test(mode);
