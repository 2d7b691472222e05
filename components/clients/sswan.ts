import { derBase64 } from "./pem";
import { ClientProfile, stableUuid } from "./profile";

/**
 * The strongSwan Android app's profile (.sswan, JSON; keys per strongSwan's "VPN Profile Import for the Android
 * VPN Client"). The app always authenticates the server by certificate and offers no PSK, so PSK classes get none.
 * The app takes one proposal per kind: the gateway's first, as its strongSwan proposal string.
 */
export function renderSswan(p: ClientProfile): string {
  if (p.auth === "psk") throw new Error(`${p.gateway}/${p.connection}: the strongSwan Android app has no PSK authentication`);
  const profile = {
    uuid: stableUuid(`stage2.${p.gateway}.${p.connection}.${p.user}/sswan`),
    name: `${p.connection} (${p.gateway})`,
    type: p.auth === "eap-mschapv2" ? "ikev2-eap" : "ikev2-cert",
    remote: {
      addr: p.floatingIp,
      id: p.serverId,
      ...(p.trust ? { cert: derBase64(p.trust.pem) } : {}),
    },
    local: p.auth === "eap-mschapv2" ? { eap_id: p.user } : p.clientId ? { id: p.clientId } : {},
    "ike-proposal": p.ike[0],
    "esp-proposal": p.esp[0],
    ...(p.dns.length ? { "dns-servers": p.dns.join(" ") } : {}),
    "split-tunneling": { subnets: p.routes.join(" ") },
  };
  return `${JSON.stringify(profile, null, 2)}\n`;
}
