import { appleSa, firstExpressible, proposalParts } from "./algorithms";
import { commonNameOf, derBase64 } from "./pem";
import { ClientProfile, keyTypeOf, stableUuid } from "./profile";

/**
 * Apple configuration profile (.mobileconfig, an XML property list) for macOS and iOS: a certificate payload with
 * the trust anchor and a com.apple.vpn.managed payload of VPNType IKEv2 whose IKE and child SA parameters are the
 * first gateway proposals Apple can name. No EAP password is written (the device asks on connect). A PSK class's
 * profile must carry the key (Apple's SharedSecret): it is written only when the caller passes it, and the caller
 * writes that file 0600.
 */

type Plist = string | number | boolean | Plist[] | { readonly [key: string]: Plist | undefined } | { readonly data: string };

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

function plist(value: Plist, indent: string): string {
  if (typeof value === "string") return `${indent}<string>${esc(value)}</string>`;
  if (typeof value === "number") return `${indent}<integer>${value}</integer>`;
  if (typeof value === "boolean") return `${indent}<${value}/>`;
  if (Array.isArray(value)) return `${indent}<array>\n${value.map((v) => plist(v, `${indent}  `)).join("\n")}\n${indent}</array>`;
  if ("data" in value && typeof value.data === "string") return `${indent}<data>${value.data}</data>`;
  const entries = Object.entries(value).filter((e): e is [string, Plist] => e[1] !== undefined);
  return `${indent}<dict>\n${entries.map(([k, v]) => `${indent}  <key>${esc(k)}</key>\n${plist(v, `${indent}  `)}`).join("\n")}\n${indent}</dict>`;
}

const APPLE_CERT_TYPE: Readonly<Record<string, string>> = {
  "rsa-2048": "RSA",
  "rsa-3072": "RSA",
  "rsa-4096": "RSA",
  "ecdsa-prime256v1": "ECDSA256",
  "ecdsa-secp384r1": "ECDSA384",
  "ecdsa-secp521r1": "ECDSA521",
  ed25519: "Ed25519",
};

export function renderMobileconfig(p: ClientProfile, sharedSecret?: string): string {
  const id = `stage2.${p.gateway}.${p.connection}.${p.user}`;
  const ike = firstExpressible(p.ike, (x) => appleSa(x, "ike"));
  const esp = firstExpressible(p.esp, (x) => appleSa(x, "esp"));
  if (!ike || !esp) throw new Error(`${p.gateway}/${p.connection}: no ${!ike ? "IKE" : "ESP"} proposal Apple's IKEv2 client can use`);
  const certUuid = stableUuid(`${id}/trust`);
  const auth =
    p.auth === "eap-mschapv2"
      ? { AuthenticationMethod: "None", ExtendedAuthEnabled: 1, AuthName: p.user }
      : p.auth === "psk"
        ? { AuthenticationMethod: "SharedSecret", SharedSecret: sharedSecret }
        : {
            AuthenticationMethod: "Certificate",
            CertificateType: p.trust ? APPLE_CERT_TYPE[keyTypeOf(p.trust.pem)] : undefined,
            ServerCertificateIssuerCommonName: p.trust ? commonNameOf(p.trust.pem) : undefined,
          };
  const fullTunnel = p.routes.some((r) => r === "0.0.0.0/0");
  const vpn: Plist = {
    PayloadType: "com.apple.vpn.managed",
    PayloadIdentifier: `${id}.vpn`,
    PayloadUUID: stableUuid(`${id}/vpn`),
    PayloadVersion: 1,
    PayloadDisplayName: `${p.connection} (${p.gateway})`,
    UserDefinedName: `${p.connection} (${p.gateway})`,
    VPNType: "IKEv2",
    IKEv2: {
      RemoteAddress: p.dialAddress,
      RemoteIdentifier: p.serverId,
      LocalIdentifier: p.clientId,
      ...auth,
      IKESecurityAssociationParameters: { ...ike.value },
      ChildSecurityAssociationParameters: { ...esp.value },
      EnablePFS: proposalParts(esp.proposal)?.dh !== undefined ? 1 : 0,
      DeadPeerDetectionRate: "Medium",
    },
    IPv4: { OverridePrimary: fullTunnel ? 1 : 0 },
    DNS: p.dns.length ? { ServerAddresses: [...p.dns] } : undefined,
  };
  const content: Plist[] = [];
  if (p.trust) {
    content.push({
      PayloadType: p.trust.kind === "ca" ? "com.apple.security.root" : "com.apple.security.pkcs1",
      PayloadIdentifier: `${id}.trust`,
      PayloadUUID: certUuid,
      PayloadVersion: 1,
      PayloadDisplayName: p.trust.kind === "ca" ? "VPN CA" : "VPN gateway certificate",
      PayloadContent: { data: derBase64(p.trust.pem) },
    });
  }
  content.push(vpn);
  const top: Plist = {
    PayloadType: "Configuration",
    PayloadVersion: 1,
    PayloadIdentifier: id,
    PayloadUUID: stableUuid(id),
    PayloadDisplayName: `VPN ${p.connection} via ${p.gateway}`,
    PayloadDescription: `IKEv2 to ${p.dialAddress}; routes ${p.routes.join(", ")} through the tunnel.`,
    PayloadContent: content,
  };
  return `<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n<plist version="1.0">\n${plist(top, "")}\n</plist>\n`;
}
