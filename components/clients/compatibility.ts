import { appleSa, firstExpressible } from "./algorithms";
import { ClientProfile } from "./profile";
import { windowsPlan } from "./windows";

/**
 * Which native clients can connect to a road-warrior class, from its proposals, client auth kind and the gateway
 * certificate's key type. Every claim names its source (docs/clients.md lists them in full).
 */

export type Platform = "windows" | "apple" | "android-strongswan" | "networkmanager" | "linux-swanctl";
export const PLATFORMS: readonly Platform[] = ["windows", "apple", "android-strongswan", "networkmanager", "linux-swanctl"];

export interface Verdict {
  readonly platform: Platform;
  readonly ok: boolean;
  /** Why not, or what the user must still do. */
  readonly notes: readonly string[];
}

const WINDOWS_CERT_KEYS = /^(rsa-|ecdsa-prime256v1|ecdsa-secp384r1)/; // IKEEXT_CERTIFICATE, _ECDSA_P256, _ECDSA_P384
const APPLE_CERT_KEYS = /^(rsa-|ecdsa-|ed25519)/; // NEVPNIKEv2CertificateType: RSA, ECDSA256/384/521, ed25519 (iOS 13, macOS 10.15)

function trustNote(p: CompatibilityInput): string[] {
  return p.trust?.kind === "gateway-cert" ? ["the model holds no CA for this class: install the gateway certificate's issuing CA as trusted"] : [];
}

/** What a class's verdicts depend on: a profile has it, and so has the policy pack's reading of swanctl.conf. */
export type CompatibilityInput = Pick<ClientProfile, "auth" | "ike" | "esp" | "serverId" | "gatewayKeyType"> & {
  readonly trust?: Pick<NonNullable<ClientProfile["trust"]>, "kind">;
};

export function verdicts(p: CompatibilityInput): Verdict[] {
  const key = p.gatewayKeyType;
  const dnId = /^[A-Z]+=/.test(p.serverId) ? ["the gateway's identity is its certificate's DN: set local.id to the DNS name in its SAN"] : [];
  const windows = (): Verdict => {
    const plan = windowsPlan(p);
    const notes: string[] = typeof plan === "string" ? [plan] : [];
    if (key !== undefined && !WINDOWS_CERT_KEYS.test(key)) notes.push(`Windows' IKEv2 takes RSA and ECDSA P-256/P-384 certificates, not ${key}`);
    return { platform: "windows", ok: notes.length === 0, notes: [...notes, ...(notes.length ? [] : [...dnId, ...trustNote(p)])] };
  };
  const apple = (): Verdict => {
    const notes: string[] = [];
    if (!firstExpressible(p.ike, (x) => appleSa(x, "ike"))) notes.push("no IKE proposal Apple's IKEv2 client can name");
    if (!firstExpressible(p.esp, (x) => appleSa(x, "esp"))) notes.push("no ESP proposal Apple's IKEv2 client can name");
    if (key !== undefined && !APPLE_CERT_KEYS.test(key)) notes.push(`Apple's IKEv2 client has no certificate type for ${key}`);
    // Apple's API names Ed25519 (iOS 13, macOS 10.15), but Ed25519 keys fail to import into the Keychain
    // (eduvpn/macos#240): not claimed until a device proves it. ECDSA server certificates have had issues too.
    if (key === "ed25519")
      notes.push("Ed25519 is unproven on Apple devices (API since iOS 13 / macOS 10.15; Keychain import failures reported): use RSA or ECDSA P-256");
    const extra = key?.startsWith("ecdsa-") ? ["ECDSA server certificates have had iOS/macOS issues: RSA is the safest for Apple"] : [];
    return { platform: "apple", ok: notes.length === 0, notes: [...notes, ...(notes.length ? [] : [...extra, ...dnId, ...trustNote(p)])] };
  };
  const android: Verdict =
    p.auth === "psk"
      ? { platform: "android-strongswan", ok: false, notes: ["the strongSwan app always authenticates the server by certificate: no PSK"] }
      : {
          platform: "android-strongswan",
          ok: true,
          notes: key === "ed25519" ? ["Ed25519 is verified by the app's own strongSwan crypto; not tried on a device here"] : [],
        };
  const nm: Verdict = {
    platform: "networkmanager",
    ok: true,
    notes: p.auth === "psk" ? ["charon-nm refuses a PSK shorter than 20 characters"] : [],
  };
  return [windows(), apple(), android, nm, { platform: "linux-swanctl", ok: true, notes: [] }];
}

/** One line per platform: "  windows            no   reason; reason". */
export function formatVerdicts(title: string, list: readonly Verdict[]): string {
  const rows = list.map((v) => `  ${v.platform.padEnd(19)} ${v.ok ? "yes" : "no "}  ${v.notes.join("; ")}`.trimEnd());
  return `${title}\n${rows.join("\n")}\n`;
}
