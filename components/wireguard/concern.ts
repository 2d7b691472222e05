import { Concern } from "../host/types";
import { RenderContext } from "../model/context";
import { GatewayModel } from "../model/gateway";
import { renderWireguard, wgAddress, wgConfigPath, wgInterface, wgKeyPath } from "./render";

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
 * WireGuard, the default VPN. The key is generated on the host by `prepare` (only if absent) and loaded by
 * PostUp; changes are applied by `wg syncconf` (existing sessions keep their handshakes) plus MTU and address,
 * which syncconf does not touch.
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
    activate: [
      wireguardSyncCommand(gw),
      `ip link set dev ${ifname} mtu ${gw.wireguard.mtu}`,
      `ip address replace ${wgAddress(gw)} dev ${ifname}`,
    ],
  };
}
