/**
 * The corpus scenarios the runner takes by default: road warriors and net-to-net, PSK, certificates, EAP, virtual
 * IPs and NAT, each one that charon 5.9.8 loads and whose evaltest has `swanctl --list-sas` and `ping` lines.
 */
export const DEFAULT_SCENARIOS: readonly string[] = [
  "rw-cert",
  "rw-psk-ipv4",
  "rw-psk-fqdn",
  "net2net-psk",
  "net2net-cert",
  "net2net-start",
  "host2host-cert",
  "ip-pool",
  "config-payload",
  "rw-eap-md5-id-rsa",
  "rw-eap-mschapv2-id-rsa",
  "nat-rw",
  "nat-rw-psk",
];
