import { RenderContext } from "../model/context";
import { GatewayModel } from "../model/gateway";
import { addressOf, isIP, isIPv4 } from "../model/net";
import { ByFamily, byFamily, ipsecNetworks } from "../nftables/networks";
import { IPSEC_ROUTING_TABLE } from "../strongswan/drop-in";
import { NAME_RE } from "../model/names";

/** A BGP protocol name: BIRD symbols cannot hold '-', and the prefix keeps keywords ("table") out. */
export function bgpProtocolName(neighbor: string): string {
  if (!NAME_RE.test(neighbor)) throw new Error(`bird: neighbor name ${JSON.stringify(neighbor)} must be lower-case letters, digits and '-'`);
  return `bgp_${neighbor.replace(/-/g, "_")}`;
}

function address(text: string): string {
  if (!isIP(text)) throw new Error(`bird: ${JSON.stringify(text)} is not an IP address`);
  return text;
}

function uint(value: number, max: number): number {
  if (!Number.isInteger(value) || value < 0 || value > max) throw new Error(`bird: ${value} is not an integer in 0..${max}`);
  return value;
}

/** BIRD's router id: the configured one, else the private address, else the floating IP (it must be IPv4). */
export function routerId(gw: GatewayModel, ctx: RenderContext): string {
  const candidates = [gw.bgp?.routerId, addressOf(gw.private.address), ctx.floatingIp];
  const id = candidates.find((c): c is string => c !== undefined && isIPv4(c));
  if (id === undefined) throw new Error("bird: no IPv4 router id: set bgp.routerId");
  return id;
}

interface Family {
  readonly ip: "ipv4" | "ipv6";
  readonly table: string;
  readonly master: string;
  readonly filter: string;
  readonly nets: readonly string[];
}

function families(nets: ByFamily): Family[] {
  const v4: Family = { ip: "ipv4", table: "ipsec4", master: "master4", filter: "stage2_tunnels4", nets: nets.v4 };
  const v6: Family = { ip: "ipv6", table: "ipsec6", master: "master6", filter: "stage2_tunnels6", nets: nets.v6 };
  // IPv4 always: even with no tunnel yet, the chain is in place for the first one.
  return nets.v6.length ? [v4, v6] : [v4];
}

function familyBlocks(f: Family): string[][] {
  const test = f.nets.length ? [`\tif net ~ [ ${f.nets.map((n) => `${n}+`).join(", ")} ] then accept;`] : [];
  const statics = f.nets.length
    ? [
        [
          "# The gateway owns its pools and the sites' networks: announce them whole, whatever charon installs. With the",
          "# kernel's IPsec, charon's table-220 routes go via the public next hop, which BIRD rejects as strange on a /32",
          "# public interface (found by the kernel lab). Blackholes stay in BIRD: no protocol exports them to the kernel.",
          `protocol static static_${f.table} {`,
          `	${f.ip} { table ${f.table}; };`,
          ...f.nets.map((n) => `	route ${n} blackhole;`),
          "}",
        ],
      ]
    : [];
  return [
    ...statics,
    [
      `protocol kernel kernel_${f.table} {`,
      `\tkernel table ${IPSEC_ROUTING_TABLE};`,
      "\t# strongSwan's routes are not BIRD's own: without learn, BIRD ignores them.",
      "\tlearn;",
      `\t${f.ip} {`,
      `\t\ttable ${f.table};`,
      "\t\timport all;",
      "\t\texport none;",
      "\t};",
      "}",
    ],
    [`filter ${f.filter} {`, ...test, "\treject;", "}"],
    [`protocol pipe pipe_${f.table} {`, `\ttable ${f.table};`, `\tpeer table ${f.master};`, "\timport none;", `\texport filter ${f.filter};`, "}"],
  ];
}

function bgpBlocks(gw: GatewayModel, fams: readonly Family[]): string[][] {
  const bgp = gw.bgp;
  if (!bgp) return [];
  const why = "# multihop: Hetzner private networks route even same-subnet packets via the network's gateway, so no neighbour is on-link.";
  return bgp.neighbors.map((nb, i) => [
    ...(i === 0 ? [why] : []),
    `protocol bgp ${bgpProtocolName(nb.name)} {`,
    `\tlocal as ${uint(bgp.localAsn, 4294967294)};`,
    `\tneighbor ${address(nb.address)} as ${uint(nb.asn, 4294967294)};`,
    "\tmultihop;",
    `\thold time ${uint(bgp.holdTime, 65535)};`,
    ...fams.flatMap((f) => [`\t${f.ip} {`, "\t\timport none;", `\t\texport filter ${f.filter};`, "\t\tnext hop self;", "\t};"]),
    "}",
  ]);
}

/**
 * /etc/bird/bird.conf: the pools and sites' remote_ts as static blackholes plus strongSwan's table 220 learned into
 * ipsec4 (and ipsec6); pipe only those prefixes into master4, announce exactly those over BGP, import nothing,
 * write nothing to the kernel.
 */
export function renderBird(gw: GatewayModel, ctx: RenderContext): string {
  const fams = families(byFamily(ipsecNetworks(gw)));
  const blocks: string[][] = [
    ["# managed by stage2: do not edit, every apply overwrites it", "log syslog all;", `router id ${routerId(gw, ctx)};`],
    fams.map((f) => `${f.ip} table ${f.table};`),
    ["protocol device {", "}"],
    ...fams.flatMap(familyBlocks),
    ...bgpBlocks(gw, fams),
  ];
  return blocks.map((b) => b.join("\n")).join("\n\n") + "\n";
}
