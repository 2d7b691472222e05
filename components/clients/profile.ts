import { createHash, X509Certificate } from "crypto";
import { GatewayModel, RoadWarriorModel } from "../model/gateway";

/**
 * What every client profile of one road-warrior user is built from: read from the same gateway model the gateway's
 * swanctl.conf is rendered from (components/strongswan/gateway-swanctl.ts), so a profile and the gateway cannot
 * disagree on proposals, identities, pool DNS or split-tunnel routes.
 */

export type ClientAuthKind = RoadWarriorModel["clients"]["kind"];

export interface ClientProfile {
  readonly gateway: string;
  readonly connection: string;
  /** The user this profile is for: an EAP identity, a PSK identity, or the class name for certificate users. */
  readonly user: string;
  readonly auth: ClientAuthKind;
  /** The floating IP: where IKE goes. */
  readonly floatingIp: string;
  /** What Apple and Windows dial: the gateway certificate's first DNS name (they check it against the SAN), else the floating IP. */
  readonly dialAddress: string;
  /** The identity the gateway proves (charon's local id: local.id, else the certificate's subject, else the floating IP). */
  readonly serverId: string;
  /** The identity the client sends, when the model names one (EAP identity, PSK identity, certificate id). */
  readonly clientId?: string;
  /** PEM the client trusts the gateway by: the clients' CA when the model has one, else the gateway certificate itself. */
  readonly trust?: { readonly pem: string; readonly kind: "ca" | "gateway-cert" };
  /** Key type of the gateway's certificate (ed25519, ec-P-256, rsa-2048, ...), when it proves itself by one. */
  readonly gatewayKeyType?: string;
  readonly ike: readonly string[];
  readonly esp: readonly string[];
  readonly dns: readonly string[];
  /** Split tunnel: the networks routed through the tunnel (the child's local_ts on the gateway). */
  readonly routes: readonly string[];
  /** Secret config key the client needs (PSK or EAP password); its value is never part of a profile. */
  readonly secretRef?: string;
}

/** strongSwan's rendering of a subject: "C=DE, O=Example, CN=vpn.example.com". */
function subjectOf(cert: X509Certificate): string {
  return cert.subject.split("\n").join(", ");
}

export function keyTypeOf(pem: string): string {
  const key = new X509Certificate(pem).publicKey;
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === "ec") return `ecdsa-${details.namedCurve ?? "unknown"}`;
  if (key.asymmetricKeyType === "rsa" || key.asymmetricKeyType === "rsa-pss") return `${key.asymmetricKeyType}-${details.modulusLength ?? 0}`;
  return key.asymmetricKeyType ?? "unknown";
}

function dnsNamesOf(cert: X509Certificate): string[] {
  return (cert.subjectAltName ?? "")
    .split(", ")
    .filter((s) => s.startsWith("DNS:"))
    .map((s) => s.slice(4));
}

/** A stable UUID (version-4 layout) from a name: profiles re-imported on a device replace, never duplicate. */
export function stableUuid(name: string): string {
  const h = createHash("sha256").update(name).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${((parseInt(h[16], 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function classProfiles(gw: GatewayModel, rw: RoadWarriorModel, floatingIp: string): ClientProfile[] {
  const cert = rw.local.kind === "pubkey" ? new X509Certificate(rw.local.cert) : undefined;
  const serverId = rw.local.id ?? (cert ? subjectOf(cert) : floatingIp);
  const base = {
    gateway: gw.name,
    connection: rw.name,
    auth: rw.clients.kind,
    floatingIp,
    dialAddress: (cert && dnsNamesOf(cert)[0]) ?? floatingIp,
    serverId,
    trust:
      rw.clients.kind === "pubkey"
        ? { pem: rw.clients.ca, kind: "ca" as const }
        : rw.local.kind === "pubkey"
          ? { pem: rw.local.cert, kind: "gateway-cert" as const }
          : undefined,
    gatewayKeyType: rw.local.kind === "pubkey" ? keyTypeOf(rw.local.cert) : undefined,
    ike: rw.proposals.ike,
    esp: rw.proposals.esp,
    dns: rw.dns,
    routes: rw.localTs ?? gw.private.networks,
  };
  const c = rw.clients;
  if (c.kind === "eap-mschapv2") return c.users.map((u) => ({ ...base, user: u.id, clientId: u.id, secretRef: u.passwordSecret }));
  if (c.kind === "psk") return c.ids.map((id) => ({ ...base, user: id, clientId: id, secretRef: c.secret }));
  return [{ ...base, user: rw.name, clientId: c.id !== undefined && !c.id.includes("*") ? c.id : undefined }];
}

/** Every road-warrior user of a gateway, optionally only one user id. */
export function gatewayProfiles(gw: GatewayModel, floatingIp: string, user?: string): ClientProfile[] {
  return gw.ipsec.roadWarriors.flatMap((rw) => classProfiles(gw, rw, floatingIp)).filter((p) => user === undefined || p.user === user);
}

/** A file name part from a user id (alice@acme.example → alice-at-acme.example). */
export function fileStem(profile: ClientProfile): string {
  return `${profile.connection}-${profile.user.replace(/@/g, "-at-").replace(/[^A-Za-z0-9._-]/g, "_")}`;
}
