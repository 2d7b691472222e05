import { X509Certificate } from "crypto";
import * as path from "path";
import { ClientAuthKind, keyTypeOf } from "../../components/clients/profile";
import { CompatibilityInput, verdicts } from "../../components/clients/compatibility";
import { Finding, violation } from "../model/finding";
import { GatewayView } from "../model/gateways";
import { SwanConnection } from "../swanctl/config";
import { Check } from "./check";
import { connectionsOf } from "./gateway-facts";

/** swanctl's remote `auth` values a native client can meet, as the client profiles name them. */
const CLIENT_AUTH: Readonly<Record<string, ClientAuthKind>> = { psk: "psk", "eap-mschapv2": "eap-mschapv2", pubkey: "pubkey" };

/** A certificate named in swanctl.conf lives in x509/ beside it unless the name is absolute. */
const certFile = (swanctlPath: string, name: string): string => (path.isAbsolute(name) ? name : path.join(path.dirname(swanctlPath), "x509", name));

/** The class as the compatibility table judges it, or why it cannot be judged. */
function inputOf(gw: GatewayView, conn: SwanConnection, swanctlPath: string): CompatibilityInput | string {
  const local = conn.local[0];
  const remoteAuth = conn.remote[0]?.auth ?? "pubkey";
  const auth = CLIENT_AUTH[remoteAuth];
  if (!auth) return `clients authenticate by ${remoteAuth}, which no native client profile covers`;
  let gatewayKeyType: string | undefined;
  let subject: string | undefined;
  const cert = local?.certs[0];
  if (cert !== undefined) {
    const file = gw.files.find((f) => f.path === certFile(swanctlPath, cert));
    if (!file) return `its gateway certificate ${certFile(swanctlPath, cert)} is not among the gateway's files`;
    try {
      const x509 = new X509Certificate(file.content);
      gatewayKeyType = keyTypeOf(file.content);
      subject = x509.subject.split("\n").join(", ");
    } catch {
      return `its gateway certificate ${file.path} is not a readable certificate`;
    }
  }
  // Without proposals charon offers its compiled-in defaults, which the table does not describe.
  const esp = conn.children[0]?.espProposals ?? [];
  if (conn.proposals.length === 0 || esp.length === 0) return "its IKE or ESP proposals are not set (charon's defaults)";
  const cacerts = conn.remote[0]?.cacerts ?? [];
  return {
    auth,
    ike: conn.proposals,
    esp,
    serverId: local?.id ?? subject ?? conn.localAddrs?.[0] ?? "",
    gatewayKeyType,
    ...(cert !== undefined ? { trust: { kind: cacerts.length ? ("ca" as const) : ("gateway-cert" as const) } } : {}),
  };
}

export const clientCompatibility: Check = {
  name: "client-compatibility",
  description: "Every road-warrior class says which native clients (Windows, Apple, Android's strongSwan app, NetworkManager) cannot connect to it.",
  enforcementLevel: "advisory",
  why: "A class's proposals, client authentication and certificate key type decide which native clients can connect (docs/clients.md holds the table and its sources): Windows falls back to MODP1024 unless its proposals are set, Apple's client cannot use every key type, the strongSwan app has no PSK.",
  check: (view) =>
    view.gateways.flatMap((gw) =>
      connectionsOf(gw)
        .filter(({ conn }) => conn.pools.length > 0)
        .flatMap(({ conn, file }): Finding[] => {
          const where = `${file.path}: road-warrior class "${conn.name}"`;
          const input = inputOf(gw, conn, file.path);
          if (typeof input === "string") return [violation(file.subject, `${where}: client compatibility not judged: ${input}.`)];
          const all = verdicts(input);
          const no = all.filter((v) => !v.ok);
          if (no.length === 0) return [];
          const kind = `${input.auth}${input.gatewayKeyType ? `, gateway key ${input.gatewayKeyType}` : ""}`;
          const yes = all.filter((v) => v.ok).map((v) => v.platform);
          return [
            violation(
              file.subject,
              `${where} (${kind}): ${no.map((v) => `${v.platform} cannot connect (${v.notes.join("; ")})`).join("; ")}. Clients that can: ${yes.join(", ") || "none"}.`,
            ),
          ];
        }),
    ),
};
