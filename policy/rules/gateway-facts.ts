import { LIBIPSEC_DEVICE } from "../../components/strongswan/drop-in";
import { GatewayView } from "../model/gateways";
import { HostFileView } from "../model/host-files";
import { Match } from "../nft/rule";
import { SwanConnection, SwanctlConfig } from "../swanctl/config";

/** Facts several policies share, read from one gateway's files. */

export const LIBIPSEC_DEVICES = [LIBIPSEC_DEVICE];

export interface ConnectionAt {
  readonly conn: SwanConnection;
  readonly config: SwanctlConfig;
  readonly file: HostFileView;
}

export function connectionsOf(gw: GatewayView): ConnectionAt[] {
  return gw.swanctl.flatMap(({ file, config }) => config.connections.map((conn) => ({ conn, config, file })));
}

/** The WireGuard interface's own subnet(s) and every peer's AllowedIPs, with what each is. */
export function wireguardRanges(gw: GatewayView): { range: string; what: string }[] {
  return gw.wireguard.flatMap(({ conf }) => [
    ...conf.addresses.map((a) => ({ range: a, what: `the WireGuard subnet ${a} (${conf.iface})` })),
    ...conf.peers.flatMap((p, i) => p.allowedIps.map((a) => ({ range: a, what: `WireGuard peer ${i + 1}'s AllowedIPs ${a} (${conf.iface})` }))),
  ]);
}

export function wireguardInterfaces(gw: GatewayView): string[] {
  const names = gw.wireguard.map((w) => w.conf.iface);
  return names.length ? names : ["wg0"];
}

/** Virtual-IP pools defined in the host's swanctl files. */
export function poolsOf(gw: GatewayView): { name: string; addrs: string[]; file: HostFileView }[] {
  return gw.swanctl.flatMap(({ file, config }) => config.pools.map((p) => ({ ...p, file })));
}

/** A traffic selector without its protocol/port part: "10.0.0.0/16[tcp/80]" → "10.0.0.0/16". */
export const selectorAddress = (ts: string): string => ts.replace(/\[.*\]$/, "");

/** True when the matches say the packet came out of IPsec: `meta ipsec exists` (= `meta secpath exists`), `ipsec in`, or the libipsec TUN device. */
export function isDecryptedOnly(matches: readonly Match[]): boolean {
  return matches.some(
    (m) =>
      (m.selector === "meta ipsec" && !m.negate && m.values.includes("exists")) ||
      (m.selector === "meta ipsec" && m.negate && m.values.includes("missing")) ||
      m.selector === "ipsec in" ||
      ((m.selector === "iifname" || m.selector === "iif") && !m.negate && m.values.length > 0 && m.values.every((v) => LIBIPSEC_DEVICES.includes(v))),
  );
}

/** True when the matches say the packet did NOT come out of IPsec (`meta ipsec missing`). */
export function isNotDecrypted(matches: readonly Match[]): boolean {
  return matches.some((m) => m.selector === "meta ipsec" && ((!m.negate && m.values.includes("missing")) || (m.negate && m.values.includes("exists"))));
}

/** Only established/related packets (replies), never a new flow. */
export function isReplyOnly(matches: readonly Match[]): boolean {
  return matches.some((m) => m.selector === "ct state" && !m.negate && m.values.length > 0 && m.values.every((v) => v === "established" || v === "related"));
}

export const nftText = (rule: { text: string }): string => rule.text.replace(/\s+/g, " ").trim();
