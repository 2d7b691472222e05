import { Concern } from "../host/types";
import { RenderContext } from "../model/context";
import { GatewayModel } from "../model/gateway";
import { renderWireguard, wgConfigPath, wgInterface, wgKeyPath } from "./render";

/**
 * Checks the staged file with wg-quick's parser (strip) and then wg's own: `wg setconf` parses the whole config
 * before it looks for the device, so on a name that does not exist it fails either with a parse error (bad
 * file) or with "Unable to modify interface" (file fine).
 */
export const WIREGUARD_VALIDATE =
  'stripped=$(wg-quick strip "$STAGED") || exit 1; ' +
  'out=$(printf "%s\\n" "$stripped" | wg setconf stage2-check /dev/stdin 2>&1); ' +
  'case "$out" in "Unable to modify interface"*) exit 0;; esac; printf "%s\\n" "$out"; exit 1';

/**
 * The hitless reload. `wg syncconf` treats a missing PrivateKey as "no key" and would clear it (checked with
 * wireguard-go: the key becomes "(none)"), and so would `systemctl reload wg-quick@`; so the key is spliced into
 * the stripped config from its file, inside the process substitution: never on a command line.
 */
export function wireguardSyncCommand(gw: GatewayModel): string {
  const ifname = wgInterface(gw);
  const splice = `awk -v keyfile=${wgKeyPath(gw)} '{ print } /^\\[Interface\\]/ { getline key < keyfile; print "PrivateKey = " key }'`;
  return `wg syncconf ${ifname} <(wg-quick strip ${ifname} | ${splice})`;
}

/**
 * MTU, addresses and AllowedIPs routes, which syncconf does not touch, made what the config file on disk says:
 * re-activating after a rollback put the previous file back restores the previous state and removes what the
 * change added. Routes are the ones wg-quick up adds: AllowedIPs not already covered by the device's own subnet.
 */
export function wireguardStateCommands(ifname: string, conf: string): string[] {
  const field = (name: string) => `awk -F' *= *' '$1 == "${name}" { print $2 }' ${conf} | tr ',\\n' '  '`;
  return [
    `ip link set dev ${ifname} mtu $(${field("MTU")})`,
    `wg_addrs=" $(${field("Address")}) "; for a in $wg_addrs; do ip address replace "$a" dev ${ifname}; done`,
    `ip -o address show dev ${ifname} scope global | awk '{ print $4 }' | while read -r a; do case "$wg_addrs" in *" $a "*) ;; *) ip address del "$a" dev ${ifname};; esac; done`,
    `wg_routes=" $(${field("AllowedIPs")}) "; for p in $wg_routes; do case $p in *:*) f=-6;; *) f=-4;; esac; [ -n "$(ip $f route show dev ${ifname} match "$p")" ] || ip $f route add "$p" dev ${ifname}; done`,
    `for f in -4 -6; do ip $f route show dev ${ifname} proto boot | awk '{ print $1 }' | while read -r r; do case $r in default) [ $f = -4 ] && r=0.0.0.0/0 || r=::/0;; */*) ;; *:*) r=$r/128;; *) r=$r/32;; esac; case "$wg_routes" in *" $r "*) [ -n "$(ip $f route show dev ${ifname} proto kernel match "$r")" ] || continue;; esac; ip $f route del "$r" dev ${ifname}; done; done`,
  ];
}

/**
 * WireGuard, the default VPN. The key is generated on the host by `prepare` (only if absent) and loaded by
 * PostUp; changes are applied by `wg syncconf` (existing sessions keep their handshakes) plus MTU, addresses and
 * routes, which syncconf does not touch.
 */
export function wireguardConcern(gw: GatewayModel, ctx: RenderContext): Concern {
  const ifname = wgInterface(gw);
  const key = wgKeyPath(gw);
  return {
    name: "wireguard",
    packages: ["wireguard-tools"],
    prepare: [`[ -s ${key} ] || { mkdir -p -m 0700 /etc/wireguard && (umask 077 && wg genkey > ${key}.tmp) && mv ${key}.tmp ${key}; }`],
    files: [{ path: wgConfigPath(gw), content: renderWireguard(gw, ctx), mode: "0600", validate: WIREGUARD_VALIDATE }],
    services: [
      {
        unit: `wg-quick@${ifname}`,
        onChange: "none",
        direct: {
          running: `wg show ${ifname}`,
          // Without the kernel module wg-quick falls back to this userspace implementation.
          start: `WG_QUICK_USERSPACE_IMPLEMENTATION=wireguard-go wg-quick up ${ifname}`,
        },
      },
    ],
    activate: [wireguardSyncCommand(gw), ...wireguardStateCommands(ifname, wgConfigPath(gw))],
  };
}
