import { RenderContext } from "../model/context";
import { GatewayModel } from "../model/gateway";
import { isIPv4 } from "../model/net";
import { LIBIPSEC_DEVICE } from "../strongswan/drop-in";
import { ByFamily, byFamily, ipsecNetworks } from "./networks";
import { NAME_RE } from "../model/names";
import { METRICS_PORTS } from "../metrics/render";

/** The only table stage2 owns; everything else in the ruleset is left alone. */
export const NFT_TABLE = "inet stage2";

/** Comment of the counted rule that drops pool-sourced packets which did not arrive through IPsec (the lab reads it). */
export const POOL_WITHOUT_IPSEC = "stage2: pool without ipsec";

/**
 * Bytes an IPsec tunnel may add: NAT-T ESP in tunnel mode is outer IPv4 20 + UDP 8 + ESP header 8 + IV 16 +
 * padding up to 17 + ICV 16 = 85, rounded up.
 */
const IPSEC_OVERHEAD = 100;
/** Inner IP + TCP headers without options. */
const TCP_HEADERS = { 4: 40, 6: 60 } as const;

/**
 * The MSS clamped on IPsec paths: public MTU − 100 − 40 (IPv4) or − 60 (IPv6); 1360 at MTU 1500, which is
 * algo's "1400 − 40".
 */
export function ipsecMss(gw: GatewayModel, family: 4 | 6): number {
  return gw.publicMtu - IPSEC_OVERHEAD - TCP_HEADERS[family];
}

/** The MSS clamped on WireGuard paths: the wg interface MTU already excludes WireGuard's own overhead. */
export function wireguardMss(gw: GatewayModel, family: 4 | 6): number {
  return gw.wireguard.mtu - TCP_HEADERS[family];
}

const IFNAME_RE = /^[A-Za-z0-9_.-]{1,15}$/;
const COMMENT_RE = /^[a-z0-9 :-]{1,100}$/;

/** An interface name as a quoted nft string; a name that could end the string or the rule is rejected. */
export function nftIfname(name: string): string {
  if (!IFNAME_RE.test(name)) throw new Error(`nftables: interface name ${JSON.stringify(name)} is not a Linux interface name`);
  return `"${name}"`;
}

function nftName(name: string): string {
  if (!NAME_RE.test(name)) throw new Error(`nftables: name ${JSON.stringify(name)} must be lower-case letters, digits and '-'`);
  return name;
}

function comment(text: string): string {
  if (!COMMENT_RE.test(text)) throw new Error(`nftables: comment ${JSON.stringify(text)} has characters nft strings cannot hold`);
  return `comment "${text}"`;
}

function port(value: number): number {
  if (!Number.isInteger(value) || value < 1 || value > 65535) throw new Error(`nftables: port ${value} is not an integer in 1..65535`);
  return value;
}

function anyOf(items: readonly string[]): string {
  return items.length === 1 ? items[0] : `{ ${items.join(", ")} }`;
}

/** One match per address family present: `ip saddr …`, `ip6 saddr …`. */
function matches(nets: ByFamily, dir: "saddr" | "daddr"): string[] {
  return [...(nets.v4.length ? [`ip ${dir} ${anyOf(nets.v4)}`] : []), ...(nets.v6.length ? [`ip6 ${dir} ${anyOf(nets.v6)}`] : [])];
}

function clamp(match: string, mss: number, path: string): string {
  return `${match} tcp flags syn / syn,rst tcp option maxseg size > ${mss} tcp option maxseg size set ${mss} ${comment(`stage2: mss for ${path}`)}`;
}

function inputRules(gw: GatewayModel, ctx: RenderContext): string[] {
  if (!isIPv4(ctx.floatingIp)) throw new Error(`nftables: floating IP ${JSON.stringify(ctx.floatingIp)} is not an IPv4 address`);
  const pub = nftIfname(gw.publicInterface);
  const priv = nftIfname(gw.private.interface);
  const privateNets = byFamily(gw.private.networks);
  const sshFrom = byFamily(gw.sshFrom);
  const ssh = port(gw.server.port);
  const publicSsh =
    gw.sshFrom.length === 0 ? [`iifname ${pub} tcp dport ${ssh}`] : matches(sshFrom, "saddr").map((m) => `iifname ${pub} ${m} tcp dport ${ssh}`);
  return [
    'iif "lo" accept',
    "ct state established,related accept",
    "ct state invalid drop",
    // Type-number order, as nft lists them: the loaded ruleset reads back exactly as rendered.
    "icmp type { destination-unreachable, echo-request, time-exceeded, parameter-problem } accept",
    "icmpv6 type { destination-unreachable, packet-too-big, time-exceeded, parameter-problem, echo-request, nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert } accept",
    `iifname ${pub} ip daddr ${ctx.floatingIp} udp dport { 500, 4500 } accept ${comment("stage2: ike")}`,
    `iifname ${pub} ip daddr ${ctx.floatingIp} meta l4proto esp accept ${comment("stage2: esp")}`,
    `iifname ${pub} udp dport ${port(gw.wireguard.listenPort)} accept ${comment("stage2: wireguard")}`,
    ...publicSsh.map((m) => `${m} accept ${comment("stage2: ssh")}`),
    ...matches(privateNets, "saddr").map((m) => `iifname ${priv} ${m} tcp dport ${ssh} accept ${comment("stage2: ssh from the private network")}`),
    ...(gw.bgp ? matches(privateNets, "saddr").map((m) => `iifname ${priv} ${m} tcp dport 179 accept ${comment("stage2: bgp")}`) : []),
    ...matches(privateNets, "saddr").map((m) => `iifname ${priv} ${m} tcp dport ${anyOf(METRICS_PORTS.map(String))} accept ${comment("stage2: metrics")}`),
  ];
}

function forwardRules(gw: GatewayModel): string[] {
  const priv = nftIfname(gw.private.interface);
  const wg = nftIfname(gw.wireguard.interface);
  const libipsec = gw.ipsec.dataplane === "libipsec";
  // xfrm marks decrypted packets with a secpath and routes tunnel-bound ones through an xfrm bundle;
  // libipsec does neither, but its packets enter and leave on its TUN device.
  const decrypted = libipsec ? `iifname ${nftIfname(LIBIPSEC_DEVICE)}` : "meta ipsec exists";
  const encrypted = libipsec ? `oifname ${nftIfname(LIBIPSEC_DEVICE)}` : "rt ipsec exists";
  const tunnels = byFamily(ipsecNetworks(gw));
  const wgFamilies = byFamily([gw.wireguard.address, ...gw.wireguard.peers.flatMap((p) => p.allowedIps)]);
  const mss = ([4, 6] as const).flatMap((f) => {
    const nets = f === 4 ? { v4: tunnels.v4, v6: [] } : { v4: [], v6: tunnels.v6 };
    const ipsec = [...matches(nets, "saddr"), ...matches(nets, "daddr")].map((m) => clamp(m, ipsecMss(gw, f), "ipsec"));
    const wireguard = (f === 4 ? wgFamilies.v4 : wgFamilies.v6).length
      ? [`iifname ${wg}`, `oifname ${wg}`].map((m) => clamp(`${m} meta nfproto ipv${f}`, wireguardMss(gw, f), "wireguard"))
      : [];
    return [...ipsec, ...wireguard];
  });
  const peers = [
    ...gw.ipsec.roadWarriors.map((rw) => ({ nets: byFamily([rw.pool]), what: `road warrior ${nftName(rw.name)}` })),
    ...gw.ipsec.sites.map((site) => ({ nets: byFamily(site.remoteTs), what: `site ${nftName(site.name)}` })),
  ];
  const pools = byFamily(gw.ipsec.roadWarriors.map((rw) => rw.pool));
  return [
    ...mss,
    "ct state established,related accept",
    "ct state invalid drop",
    ...peers.flatMap(({ nets, what }) => [
      ...matches(nets, "saddr").map((m) => `${decrypted} ${m} counter accept ${comment(`stage2: from ${what}`)}`),
      ...matches(nets, "daddr").map((m) => `iifname ${priv} ${encrypted} ${m} accept ${comment(`stage2: to ${what}`)}`),
    ]),
    `iifname ${wg} accept ${comment("stage2: from wireguard")}`,
    `iifname ${priv} oifname ${wg} accept ${comment("stage2: to wireguard")}`,
    ...(pools.v4.length ? [`ip saddr ${anyOf(pools.v4)} counter drop ${comment(POOL_WITHOUT_IPSEC)}`] : []),
    ...(pools.v6.length ? [`ip6 saddr ${anyOf(pools.v6)} counter drop ${comment(`${POOL_WITHOUT_IPSEC} ipv6`)}`] : []),
  ];
}

function postroutingRules(gw: GatewayModel): string[] {
  const pub = nftIfname(gw.publicInterface);
  const masq = matches(byFamily(gw.masquerade), "saddr");
  if (masq.length === 0) return [];
  // With xfrm, tunnel-bound packets pass postrouting before encryption; NAT would break their policy match.
  const keep = gw.ipsec.dataplane === "xfrm" ? [`oifname ${pub} rt ipsec exists accept ${comment("stage2: never nat into a tunnel")}`] : [];
  return [...keep, ...masq.map((m) => `oifname ${pub} ${m} masquerade ${comment("stage2: masquerade")}`)];
}

function chain(name: string, hook: string, rules: readonly string[]): string[] {
  return [`\tchain ${name} {`, `\t\t${hook}`, ...rules.map((r) => `\t\t${r}`), "\t}"];
}

/**
 * /etc/nftables.conf: one `table inet stage2`, replaced in a single transaction. The empty declaration makes the
 * delete succeed on first load; there is no `flush ruleset`, so other tables (Docker, kube-proxy) survive.
 */
export function renderNftables(gw: GatewayModel, ctx: RenderContext): string {
  const postrouting = postroutingRules(gw);
  const chains = [
    chain("input", "type filter hook input priority filter; policy drop;", inputRules(gw, ctx)),
    chain("forward", "type filter hook forward priority filter; policy drop;", forwardRules(gw)),
    ...(postrouting.length ? [chain("postrouting", "type nat hook postrouting priority srcnat; policy accept;", postrouting)] : []),
  ];
  const lines = [
    "#!/usr/sbin/nft -f",
    "# managed by stage2: do not edit, every apply overwrites it",
    `# Replaces only table ${NFT_TABLE}, in one transaction; other tables are left alone.`,
    `table ${NFT_TABLE} {}`,
    `delete table ${NFT_TABLE}`,
    "",
    `table ${NFT_TABLE} {`,
    ...chains.flatMap((c, i) => (i === 0 ? c : ["", ...c])),
    "}",
  ];
  return lines.join("\n") + "\n";
}
