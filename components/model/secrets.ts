import type { GatewayModel } from "./gateway";

/** One place a gateway needs a secret config value, and how strongSwan will read it. */
export interface SecretSlot {
  /** The config key, without `stage2:`. */
  readonly ref: string;
  /** The model field that names the key. */
  readonly path: string;
  /** What it is for (for messages). */
  readonly what: string;
  readonly kind: "psk" | "eap-password" | "private-key";
  /** For PSKs: text as is, or 0x-hex / 0s-base64 that strongSwan decodes. */
  readonly encoding?: "text" | "hex" | "base64";
}

/** Every secret the gateway's IPsec needs, in a stable order (road warriors, then sites). */
export function secretSlots(gw: GatewayModel): SecretSlot[] {
  const slots: SecretSlot[] = [];
  gw.ipsec.roadWarriors.forEach((rw, i) => {
    const base = `ipsec.roadWarriors[${i}]`;
    if (rw.local.kind === "pubkey")
      slots.push({ ref: rw.local.keySecret, path: `${base}.local.keySecret`, what: `${rw.name}: gateway certificate key`, kind: "private-key" });
    if (rw.clients.kind === "psk") {
      slots.push({
        ref: rw.clients.secret,
        path: `${base}.clients.secret`,
        what: `${rw.name}: pre-shared key`,
        kind: "psk",
        encoding: rw.clients.secretEncoding,
      });
    }
    if (rw.clients.kind === "eap-mschapv2") {
      rw.clients.users.forEach((u, j) =>
        slots.push({
          ref: u.passwordSecret,
          path: `${base}.clients.users[${j}].passwordSecret`,
          what: `${rw.name}: EAP password of ${u.id}`,
          kind: "eap-password",
        }),
      );
    }
  });
  gw.ipsec.sites.forEach((s, i) => {
    const base = `ipsec.sites[${i}].auth`;
    if (s.auth.kind === "psk")
      slots.push({ ref: s.auth.secret, path: `${base}.secret`, what: `${s.name}: pre-shared key`, kind: "psk", encoding: s.auth.secretEncoding });
    else slots.push({ ref: s.auth.keySecret, path: `${base}.keySecret`, what: `${s.name}: certificate key`, kind: "private-key" });
  });
  return slots;
}

const HEX = /^0x([0-9a-fA-F]{2})+$/;
const BASE64 = /^0s(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Why a secret's value would not reach strongSwan as the user meant it, or undefined. Never quotes the value:
 * swanctl.conf decodes a secret starting with 0x as hex and 0s as base64, however it is quoted.
 */
export function secretValueProblem(slot: Pick<SecretSlot, "kind" | "encoding" | "path">, value: unknown): string | undefined {
  if (typeof value !== "string") return `is a YAML ${value === null ? "null" : typeof value}, not text: quote the value`;
  if (value === "") return "is empty";
  if (slot.kind === "private-key") return undefined;
  const prefix = /^0[xs]/.exec(value)?.[0];
  const encoding = slot.kind === "psk" ? (slot.encoding ?? "text") : "text";
  if (encoding === "hex") return HEX.test(value) ? undefined : `must be 0x followed by pairs of hex digits (${slot.path}Encoding is hex)`;
  if (encoding === "base64") return BASE64.test(value) && value.length > 2 ? undefined : `must be 0s followed by base64 (${slot.path}Encoding is base64)`;
  if (prefix === undefined) return undefined;
  const decoded = prefix === "0x" ? "hex" : "base64";
  return slot.kind === "psk"
    ? `begins with ${prefix}, so strongSwan would decode the rest as ${decoded} instead of using the text: if it is ${decoded}, set ${slot.path}Encoding: ${decoded}; if it is text, choose one that does not begin with 0x or 0s (or give it hex-encoded)`
    : `begins with ${prefix}, so strongSwan would decode the rest as ${decoded} instead of using the text: choose a password that does not begin with 0x or 0s`;
}
