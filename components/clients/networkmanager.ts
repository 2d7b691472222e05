import { ClientProfile, fileStem, stableUuid } from "./profile";

/**
 * A NetworkManager keyfile for the strongSwan plugin (network-manager-strongswan 1.6, charon-nm): the vpn setting's
 * keys are those the plugin and charon-nm 5.9.8 read (address, certificate, method, user, remote-identity, proposal,
 * ike, esp, remote-ts; lists separated by ';').
 * The password or PSK stays out (password-flags=2: asked on every connect). Certificates are referenced by path
 * under CLIENT_CERT_DIR, where the profile's README puts them.
 */

export const CLIENT_CERT_DIR = "/etc/stage2/clients";

export function nmCertPaths(p: ClientProfile): { trust: string; cert: string; key: string } {
  const stem = fileStem(p);
  return { trust: `${CLIENT_CERT_DIR}/${p.connection}-trust.pem`, cert: `${CLIENT_CERT_DIR}/${stem}.crt`, key: `${CLIENT_CERT_DIR}/${stem}.key` };
}

export function renderNmKeyfile(p: ClientProfile): string {
  const paths = nmCertPaths(p);
  const method = p.auth === "eap-mschapv2" ? "eap" : p.auth === "psk" ? "psk" : "key";
  const vpn: [string, string | undefined][] = [
    ["service-type", "org.freedesktop.NetworkManager.strongswan"],
    ["address", p.floatingIp],
    ["certificate", p.trust ? paths.trust : undefined],
    ["method", method],
    ["user", p.auth === "eap-mschapv2" ? p.user : undefined],
    ["usercert", p.auth === "pubkey" ? paths.cert : undefined],
    ["userkey", p.auth === "pubkey" ? paths.key : undefined],
    ["local-identity", p.clientId],
    ["remote-identity", p.serverId],
    ["virtual", "yes"],
    ["encap", "no"],
    ["ipcomp", "no"],
    ["proposal", "yes"],
    ["ike", p.ike.join(";")],
    ["esp", p.esp.join(";")],
    // charon-nm narrows the CHILD_SA to these (its remote-ts key), as the gateway's local_ts does.
    ["remote-ts", p.routes.join(";")],
    ["password-flags", p.auth === "pubkey" ? undefined : "2"],
  ];
  const full = p.routes.includes("0.0.0.0/0");
  const lines = [
    "[connection]",
    `id=${p.connection} (${p.gateway})`,
    `uuid=${stableUuid(`stage2.${p.gateway}.${p.connection}.${p.user}/nm`)}`,
    "type=vpn",
    "autoconnect=false",
    "",
    "[vpn]",
    ...vpn.filter((e): e is [string, string] => e[1] !== undefined).map(([k, v]) => `${k}=${v}`),
    "",
    "[ipv4]",
    "method=auto",
    ...(p.dns.length ? [`dns=${p.dns.join(";")};`] : []),
    ...(full ? [] : ["never-default=true", ...p.routes.map((r, i) => `route${i + 1}=${r}`)]),
    "",
    "[ipv6]",
    "method=ignore",
  ];
  return `${lines.join("\n")}\n`;
}
