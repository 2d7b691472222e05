/**
 * The corpus scenarios the runner takes by default, each one that charon 5.9.8 loads, that runs on this machine's
 * userspace dataplane, and whose evaltest has `swanctl --list-sas` and `ping` lines.
 *
 * Net-to-net comes from the corpus's own `libipsec/` folder: the same net2net/host2host scenarios for strongSwan's
 * userspace ESP. Their ikev2/ twins expect plain ESP (`local-port=500`), which kernel-libipsec cannot do — it
 * always encapsulates ESP in UDP (port 4500, `nat-remote=yes` by a faked NAT) — so they fail here on exactly that
 * line (see docs/scenarios.md for the measured list).
 */
export const DEFAULT_SCENARIOS: readonly string[] = [
  // road warriors: certificates, PSK, mixed
  "rw-cert",
  "rw-cert-pss",
  "rw-psk-ipv4",
  "rw-psk-fqdn",
  "rw-psk-no-idr",
  "rw-psk-rsa-mixed",
  "rw-psk-rsa-split",
  // road warriors: EAP
  "rw-eap-md5-id-rsa",
  "rw-eap-md5-rsa",
  "rw-eap-mschapv2-id-rsa",
  // virtual IPs
  "ip-pool",
  "ip-two-pools",
  "config-payload",
  // through NAT (moon and sun as NAT routers, DNAT to bob)
  "double-nat",
  "double-nat-net",
  // net-to-net and host-to-host
  "libipsec/net2net-cert",
  "libipsec/net2net-null",
  "libipsec/host2host-cert",
];
