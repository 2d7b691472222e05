import { GatewayModel } from "../components/model/gateway";
import { addressOf, contains, isIPv4, overlaps } from "../components/model/net";
import { DOC_RANGES, hostIn, isDocAddress, pickFree, prefixLength } from "./address";

/**
 * The lab's topology, derived from one gateway of a stack: which namespaces exist, how they are wired,
 * and every address the converge and the checks need. Pure data, so it can be checked without root and
 * reused by another runner (the kernel lab builds the same layout around a VM).
 */

export type Role = "internet" | "ops" | "gw" | "nat" | "rw" | "site" | "sitehost" | "node" | "wgpeer";

export interface LabIface {
  readonly name: string;
  /** Addresses with prefix length ("203.0.113.10/32"). */
  readonly addrs: readonly string[];
}

export interface LabHostLayout {
  readonly role: Role;
  /** Network namespace name: `${prefix}-${role}`. */
  readonly ns: string;
  readonly ifaces: readonly LabIface[];
  /** Arguments of `ip route replace`, in order. */
  readonly routes: readonly (readonly string[])[];
  /** Routes packets between its interfaces (net.ipv4.ip_forward = 1). */
  readonly forward: boolean;
  /** Masquerades everything leaving this interface (the home router). */
  readonly masqueradeOut?: string;
  /** Managed by stage2 (converged over SSH) rather than configured by the lab. */
  readonly managed: boolean;
}

export interface LabLink {
  readonly a: { readonly role: Role; readonly ifname: string };
  readonly b: { readonly role: Role; readonly ifname: string };
}

export interface RoadWarriorPeer {
  readonly conn: string;
  readonly pool: string;
  /** What the road warrior may reach (the gateway's local traffic selectors). */
  readonly remoteTs: readonly string[];
  /**
   * How the road warrior proves itself: a PSK, or EAP-MSCHAPv2 (then the gateway proves itself with a certificate,
   * and `gatewayCertKey` names the secret holding its private key). `secretKey` names the PSK or EAP password.
   */
  readonly auth:
    | { readonly kind: "psk"; readonly id: string; readonly secretKey: string }
    | { readonly kind: "eap-mschapv2"; readonly id: string; readonly secretKey: string; readonly gatewayCertKey: string };
  /** The identity the gateway shows (default: the floating IP). */
  readonly gatewayId: string;
  readonly ike: readonly string[];
  readonly esp: readonly string[];
}

export interface SitePeer {
  readonly conn: string;
  readonly localTs: readonly string[];
  readonly remoteTs: readonly string[];
  readonly auth: { readonly kind: "psk"; readonly secretKey: string; readonly localId: string; readonly remoteId: string };
  readonly ike: readonly string[];
  readonly esp: readonly string[];
}

export interface WireguardPeerLab {
  readonly name: string;
  /** The peer's tunnel address with the gateway's tunnel prefix length ("10.8.0.2/24"). */
  readonly address: string;
  readonly gatewayTunnel: string;
  readonly endpoint: string;
  readonly listenPort: number;
  readonly interface: string;
}

export interface LabLayout {
  readonly prefix: string;
  readonly gateway: string;
  readonly hosts: readonly LabHostLayout[];
  readonly links: readonly LabLink[];
  readonly addrs: {
    readonly internet: string;
    readonly ops: string;
    readonly gwPublic: string;
    readonly floatingIp: string;
    readonly gwPrivate: string;
    readonly nat: string;
    readonly homeLan: string;
    readonly rw: string;
    readonly node: string;
    readonly site?: string;
    readonly siteLan?: string;
    readonly sitehost?: string;
    readonly wgpeer?: string;
  };
  readonly publicInterface: string;
  readonly privateInterface: string;
  readonly rw: RoadWarriorPeer;
  readonly site?: SitePeer;
  readonly wg?: WireguardPeerLab;
  readonly bgp: { readonly nodeAsn: number; readonly gatewayAsn: number; readonly gatewayAddr: string };
}

export class LayoutError extends Error {}

const HOME_LAN_CANDIDATES = ["192.168.77.0/24", "192.168.78.0/24", "172.31.77.0/24"];
const ROUTER_CANDIDATES = ["192.0.2.1", "198.51.100.1", "203.0.113.1", "192.0.2.254"];
const NAT_CANDIDATES = ["198.51.100.2", "198.51.100.3", "192.0.2.2", "203.0.113.2"];
const WGPEER_CANDIDATES = ["198.51.100.34", "198.51.100.35", "192.0.2.34", "203.0.113.34"];

export const nsName = (prefix: string, role: Role): string => `${prefix}-${role}`;

/** Builds the layout for gateway `gw`; throws LayoutError naming what the stack lacks for a lab run. */
export function labLayout(gw: GatewayModel, prefix: string): LabLayout {
  if (!/^[a-z][a-z0-9]{1,7}$/.test(prefix)) throw new LayoutError(`lab prefix ${JSON.stringify(prefix)} must be 2-8 lower-case letters/digits`);
  const fip = gw.floatingIp.address;
  if (!fip) throw new LayoutError(`${gw.name}: the lab needs floatingIp.address (an address in ${DOC_RANGES.join(", ")})`);
  const rwModel = gw.ipsec.roadWarriors[0];
  if (!rwModel) throw new LayoutError(`${gw.name}: the lab needs at least one ipsec.roadWarriors entry`);
  if (rwModel.clients.kind === "pubkey") {
    throw new LayoutError(`${gw.name}: the lab's road warrior authenticates with a PSK or EAP-MSCHAPv2; roadWarriors[0].clients.kind is pubkey`);
  }
  if (rwModel.local.kind === "pubkey" && !rwModel.local.id) {
    throw new LayoutError(`${gw.name}: roadWarriors[0].local.id must be set: the lab issues the gateway's certificate for that identity`);
  }
  const neighbor = gw.bgp?.neighbors[0];
  if (!gw.bgp || !neighbor) throw new LayoutError(`${gw.name}: the lab needs bgp with at least one neighbor (the node)`);
  if (!isIPv4(neighbor.address)) throw new LayoutError(`${gw.name}: bgp.neighbors[0].address must be IPv4 in the lab`);
  const opsNet = gw.sshFrom.find((c) => isIPv4(addressOf(c)) && isDocAddress(addressOf(c)));
  if (!opsNet) throw new LayoutError(`${gw.name}: the lab's operator SSHes from sshFrom[*]; add a documentation-range prefix such as 192.0.2.0/28`);

  const siteModel = gw.ipsec.sites[0];
  const wgModel = gw.wireguard.peers[0];
  const publics = [gw.server.ipv4, fip, ...(siteModel ? [siteModel.remoteAddrs[0]] : [])];
  for (const addr of publics) {
    if (!isDocAddress(addr))
      throw new LayoutError(`${gw.name}: ${addr} is not in a documentation range (${DOC_RANGES.join(", ")}); the lab never uses real public addresses`);
  }
  const inside = [...gw.private.networks, ...gw.ipsec.roadWarriors.map((r) => r.pool), gw.wireguard.address, ...gw.ipsec.sites.flatMap((s) => s.remoteTs)];
  const homeLan = HOME_LAN_CANDIDATES.find((c) => !inside.some((i) => overlaps(i, c)));
  if (!homeLan) throw new LayoutError(`${gw.name}: every home LAN candidate (${HOME_LAN_CANDIDATES.join(", ")}) overlaps the stack's networks`);

  const taken = [...publics, ...gw.sshFrom];
  const internet = pickFree(ROUTER_CANDIDATES, taken);
  const ops = opsNet.includes("/") && prefixLength(opsNet) < 32 ? hostIn(opsNet, 1) : addressOf(opsNet);
  const nat = pickFree(NAT_CANDIDATES, [...taken, internet, ops]);
  const wgpeer = wgModel ? pickFree(WGPEER_CANDIDATES, [...taken, internet, ops, nat]) : undefined;

  const privLen = prefixLength(gw.private.address);
  const pub = (role: Role, ifname: string, addr: string): LabHostLayout => ({
    role,
    ns: nsName(prefix, role),
    ifaces: [{ name: ifname, addrs: [`${addr}/32`] }],
    routes: [
      [internet, "dev", ifname, "scope", "link"],
      ["default", "via", internet, "dev", ifname],
    ],
    forward: false,
    managed: false,
  });
  const toIf = (role: Role): string => `to-${role}`;

  const hosts: LabHostLayout[] = [];
  const links: LabLink[] = [];
  const publicRoles: { role: Role; addr: string }[] = [
    { role: "ops", addr: ops },
    { role: "gw", addr: gw.server.ipv4 },
    { role: "nat", addr: nat },
  ];

  hosts.push(pub("ops", "eth0", ops));
  const gwPub = pub("gw", gw.publicInterface, gw.server.ipv4);
  hosts.push({
    ...gwPub,
    ifaces: [...gwPub.ifaces, { name: gw.private.interface, addrs: [gw.private.address] }],
    managed: true,
  });
  links.push({ a: { role: "internet", ifname: toIf("ops") }, b: { role: "ops", ifname: "eth0" } });
  links.push({ a: { role: "internet", ifname: toIf("gw") }, b: { role: "gw", ifname: gw.publicInterface } });

  const homeLen = prefixLength(homeLan);
  hosts.push({
    role: "nat",
    ns: nsName(prefix, "nat"),
    ifaces: [
      { name: "wan", addrs: [`${nat}/32`] },
      { name: "lan", addrs: [`${hostIn(homeLan, 1)}/${homeLen}`] },
    ],
    routes: [
      [internet, "dev", "wan", "scope", "link"],
      ["default", "via", internet, "dev", "wan"],
    ],
    forward: true,
    masqueradeOut: "wan",
    managed: false,
  });
  links.push({ a: { role: "internet", ifname: toIf("nat") }, b: { role: "nat", ifname: "wan" } });
  const rwAddr = hostIn(homeLan, 10);
  hosts.push({
    role: "rw",
    ns: nsName(prefix, "rw"),
    ifaces: [{ name: "eth0", addrs: [`${rwAddr}/${homeLen}`] }],
    routes: [["default", "via", hostIn(homeLan, 1), "dev", "eth0"]],
    forward: false,
    managed: false,
  });
  links.push({ a: { role: "nat", ifname: "lan" }, b: { role: "rw", ifname: "eth0" } });

  hosts.push({
    role: "node",
    ns: nsName(prefix, "node"),
    ifaces: [{ name: "eth0", addrs: [`${neighbor.address}/${privLen}`] }],
    // No default route: only the routes BGP installs can bring answers back to the road warriors.
    routes: [],
    forward: false,
    managed: false,
  });
  links.push({ a: { role: "gw", ifname: gw.private.interface }, b: { role: "node", ifname: "eth0" } });

  let site: SitePeer | undefined;
  let siteAddrs: { site: string; siteLan: string; sitehost: string } | undefined;
  if (siteModel) {
    if (siteModel.auth.kind !== "psk")
      throw new LayoutError(`${gw.name}: the lab's site peer authenticates with a PSK; sites[0].auth.kind is ${siteModel.auth.kind}`);
    const lan = siteModel.remoteTs[0];
    if (!isIPv4(addressOf(lan)) || prefixLength(lan) > 30) throw new LayoutError(`${gw.name}: sites[0].remoteTs[0] must be an IPv4 network of /30 or larger`);
    const siteWan = siteModel.remoteAddrs[0];
    siteAddrs = { site: siteWan, siteLan: hostIn(lan, 1), sitehost: hostIn(lan, 2) };
    const lanLen = prefixLength(lan);
    hosts.push({
      ...pub("site", "wan", siteWan),
      ifaces: [
        { name: "wan", addrs: [`${siteWan}/32`] },
        { name: "lan", addrs: [`${siteAddrs.siteLan}/${lanLen}`] },
      ],
      forward: true,
    });
    hosts.push({
      role: "sitehost",
      ns: nsName(prefix, "sitehost"),
      ifaces: [{ name: "eth0", addrs: [`${siteAddrs.sitehost}/${lanLen}`] }],
      routes: [["default", "via", siteAddrs.siteLan, "dev", "eth0"]],
      forward: false,
      managed: false,
    });
    links.push({ a: { role: "internet", ifname: toIf("site") }, b: { role: "site", ifname: "wan" } });
    links.push({ a: { role: "site", ifname: "lan" }, b: { role: "sitehost", ifname: "eth0" } });
    publicRoles.push({ role: "site", addr: siteWan });
    const localTs = siteModel.localTs ?? gw.private.networks;
    site = {
      conn: siteModel.name,
      // The peer's view is the mirror image of the gateway's.
      localTs: siteModel.remoteTs,
      remoteTs: localTs,
      auth: {
        kind: "psk",
        secretKey: siteModel.auth.secret,
        localId: siteModel.auth.remoteId ?? siteWan,
        remoteId: siteModel.auth.localId ?? fip,
      },
      ike: siteModel.proposals.ike,
      esp: siteModel.proposals.esp,
    };
  }

  let wg: WireguardPeerLab | undefined;
  if (wgModel && wgpeer) {
    const tunnelAddr = addressOf(wgModel.allowedIps[0]);
    if (!contains(gw.wireguard.address, tunnelAddr)) {
      throw new LayoutError(`${gw.name}: wireguard.peers[0].allowedIps[0] must lie in the WireGuard subnet ${gw.wireguard.address}`);
    }
    hosts.push(pub("wgpeer", "eth0", wgpeer));
    links.push({ a: { role: "internet", ifname: toIf("wgpeer") }, b: { role: "wgpeer", ifname: "eth0" } });
    publicRoles.push({ role: "wgpeer", addr: wgpeer });
    wg = {
      name: wgModel.name,
      address: `${tunnelAddr}/${prefixLength(gw.wireguard.address)}`,
      gatewayTunnel: addressOf(gw.wireguard.address),
      endpoint: `${gw.server.ipv4}:${gw.wireguard.listenPort}`,
      listenPort: gw.wireguard.listenPort,
      interface: gw.wireguard.interface,
    };
  }

  hosts.unshift({
    role: "internet",
    ns: nsName(prefix, "internet"),
    ifaces: publicRoles.map((p) => ({ name: toIf(p.role), addrs: [`${internet}/32`] })),
    routes: [
      ...publicRoles.map((p) => [`${p.addr}/32`, "dev", toIf(p.role), "scope", "link"]),
      // What Hetzner does for a floating IP: route it to the server it is assigned to.
      [`${fip}/32`, "via", gw.server.ipv4, "dev", toIf("gw")],
    ],
    forward: true,
    managed: false,
  });

  return {
    prefix,
    gateway: gw.name,
    hosts,
    links,
    addrs: {
      internet,
      ops,
      gwPublic: gw.server.ipv4,
      floatingIp: fip,
      gwPrivate: addressOf(gw.private.address),
      nat,
      homeLan,
      rw: rwAddr,
      node: neighbor.address,
      ...(siteAddrs ?? {}),
      wgpeer,
    },
    publicInterface: gw.publicInterface,
    privateInterface: gw.private.interface,
    rw: {
      conn: rwModel.name,
      pool: rwModel.pool,
      remoteTs: rwModel.localTs ?? gw.private.networks,
      auth:
        rwModel.clients.kind === "psk"
          ? { kind: "psk", id: rwModel.clients.ids[0], secretKey: rwModel.clients.secret }
          : {
              kind: "eap-mschapv2",
              id: rwModel.clients.users[0].id,
              secretKey: rwModel.clients.users[0].passwordSecret,
              gatewayCertKey: rwModel.local.kind === "pubkey" ? rwModel.local.keySecret : "",
            },
      gatewayId: rwModel.local.id ?? fip,
      ike: rwModel.proposals.ike,
      esp: rwModel.proposals.esp,
    },
    site,
    wg,
    bgp: { nodeAsn: neighbor.asn, gatewayAsn: gw.bgp.localAsn, gatewayAddr: addressOf(gw.private.address) },
  };
}

export const hostOf = (layout: LabLayout, role: Role): LabHostLayout => {
  const h = layout.hosts.find((x) => x.role === role);
  if (!h) throw new Error(`the lab has no ${role} host`);
  return h;
};
