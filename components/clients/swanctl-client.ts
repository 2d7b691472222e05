import { renderSettings, section } from "../strongswan/settings";
import { ClientProfile, fileStem } from "./profile";

/**
 * A Linux road warrior's swanctl.conf (strongSwan 5.9.8), laid out like /etc/swanctl: the connection asks for a
 * virtual IP, proposes the gateway's proposals and routes the gateway's split-tunnel networks. The trust anchor is
 * x509ca/<class>-ca.pem, or the gateway certificate pinned as x509/<class>-gateway.pem when the model has no CA.
 * Secrets live in conf.d/stage2-secrets.conf (mode 0600), written only when the secret's value is at hand, and
 * loaded by the include at the end.
 */

export const CLIENT_HEADER = "# Written by stage2 clients from the gateway's model; re-run it after the gateway changes.";

export function clientTrustFile(p: ClientProfile): { dir: "x509ca" | "x509"; name: string } | undefined {
  if (!p.trust) return undefined;
  return p.trust.kind === "ca" ? { dir: "x509ca", name: `${p.connection}-ca.pem` } : { dir: "x509", name: `${p.connection}-gateway.pem` };
}

export const clientCertName = (p: ClientProfile): string => `${fileStem(p)}.pem`;

export function renderClientSwanctl(p: ClientProfile): string {
  const trust = clientTrustFile(p);
  const local =
    p.auth === "eap-mschapv2"
      ? section({ auth: "eap-mschapv2", eap_id: p.user, id: p.user })
      : p.auth === "psk"
        ? section({ auth: "psk", id: p.clientId })
        : section({ auth: "pubkey", certs: [clientCertName(p)], id: p.clientId });
  const remote =
    p.auth === "psk"
      ? section({ auth: "psk", id: p.serverId })
      : section({
          auth: "pubkey",
          id: p.serverId,
          cacerts: trust?.dir === "x509ca" ? [trust.name] : undefined,
          certs: trust?.dir === "x509" ? [trust.name] : undefined,
        });
  const conn = section({
    version: 2,
    remote_addrs: [p.floatingIp],
    vips: ["0.0.0.0"],
    proposals: p.ike,
    // A gateway whose certificate class shares its address with another class picks the other one first, and moves
    // to the certificate class only on a certificate sent unasked (found by the whole-stack lab, docs/lab.md).
    ...(p.auth === "pubkey" ? { send_cert: "always" } : {}),
    local,
    remote,
    children: section({
      [p.connection]: section({ remote_ts: p.routes, esp_proposals: p.esp, start_action: "none", dpd_action: "restart" }),
    }),
  });
  // The profile replaces Debian's swanctl.conf, whose last line loads conf.d/: the secrets file lives there.
  return `${renderSettings(section({ connections: section({ [p.connection]: conn }) }), CLIENT_HEADER)}\n${CLIENT_INCLUDE}\n`;
}

/** What the profile's swanctl.conf loads after its connection: the secrets file and any local drop-in. */
const CLIENT_INCLUDE = "include conf.d/*.conf";

/** The user's secrets file, relative to the profile's swanctl.conf (/etc/swanctl on the client). */
export const CLIENT_SECRETS_FILE = "conf.d/stage2-secrets.conf";

/** conf.d/stage2-secrets.conf for this user: only with the secret's value, which the caller holds and writes 0600. */
export function renderClientSecrets(p: ClientProfile, value: string): string {
  const entry =
    p.auth === "eap-mschapv2"
      ? { [`eap-${p.connection}`]: section({ id: p.user, secret: value }) }
      : { [`ike-${p.connection}`]: section({ id: p.serverId, secret: value }) };
  return renderSettings(section({ secrets: section(entry) }), CLIENT_HEADER);
}
