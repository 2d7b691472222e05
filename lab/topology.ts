import { X509Certificate } from "crypto";
import { GatewayModel } from "../components/model/gateway";
import { addressOf, contains, isIPv4, networkOf, overlaps } from "../components/model/net";
import { ipsecNetworks } from "../components/nftables/networks";
import { DOC_RANGES, hostIn, isDocAddress, prefixLength } from "./address";
import { LayoutError } from "./layout";
import { NetHost } from "./netns";

/**
 * The namespace lab's topology for a whole stack: every gateway in one internet (own floating IP, private network,
 * WireGuard), the kube-router nodes of their private networks, and a peer for every connection (a NAT'd client per
 * road-warrior class, a peer gateway with its LANs per site, a client per WireGuard peer). Pure data.
 */

type RoadWarrior = GatewayModel["ipsec"]["roadWarriors"][number];

export interface HostSpec extends NetHost {
  readonly managed: boolean;
}

export interface LinkSpec {
  readonly a: { readonly role: string; readonly ifname: string };
  readonly b: { readonly role: string; readonly ifname: string };
}

export interface GatewayLab {
  readonly name: string;
  readonly role: string;
  readonly publicAddr: string;
  readonly floatingIp: string;
  readonly privateAddr: string;
  readonly publicInterface: string;
  readonly wgInterface: string;
  readonly wgAddr: string;
  /** What BIRD announces: pools and sites' networks (and the tunnels' routes inside them). */
  readonly exported: readonly string[];
  /** The BGP neighbours' roles. */
  readonly nodes: readonly string[];
}

/** How a lab client proves itself; the secrets are named by key, their values are the run's. */
export type ClientAuth =
  | { readonly kind: "psk"; readonly id: string; readonly secretKey: string }
  | { readonly kind: "eap-mschapv2"; readonly id: string; readonly secretKey: string }
  | { readonly kind: "pubkey"; readonly id: string };

export interface ClientLab {
  readonly role: string;
  readonly gateway: string;
  readonly conn: string;
  readonly pool: string;
  /** What the class offers: exactly these traffic selectors, nothing else. */
  readonly localTs: readonly string[];
  readonly auth: ClientAuth;
  /** The gateway's IKE identity as the client expects it. */
  readonly gatewayId: string;
  /** The gateway proves itself with a certificate (the client trusts the lab CA). */
  readonly gatewayCert: boolean;
  readonly floatingIp: string;
  readonly ike: readonly string[];
  readonly esp: readonly string[];
}

export interface SiteLab {
  readonly role: string;
  readonly gateway: string;
  readonly conn: string;
  readonly addrs: readonly string[];
  /** One LAN per remoteTs: its prefix, the peer's address on it and the host living there. */
  readonly lans: readonly { readonly net: string; readonly router: string; readonly host: string; readonly hostAddr: string }[];
  /** The gateway's side (localTs, default the private networks). */
  readonly gatewayTs: readonly string[];
  readonly startAction: "trap" | "none" | "start";
  readonly auth: { readonly secretKey: string; readonly localId: string; readonly remoteId: string };
  readonly floatingIp: string;
  readonly ike: readonly string[];
  readonly esp: readonly string[];
}

export interface WgPeerLab {
  readonly role: string;
  readonly gateway: string;
  readonly name: string;
  readonly publicAddr: string;
  /** The peer's tunnel address with the gateway's prefix length. */
  readonly address: string;
  readonly allowedIps: readonly string[];
  readonly gatewayTunnel: string;
  readonly endpoint: string;
}

export interface NodeLab {
  readonly role: string;
  readonly addr: string;
  readonly asn: number;
  /** Every gateway that lists this node: its private address and ASN. */
  readonly peers: readonly { readonly gateway: string; readonly addr: string; readonly asn: number }[];
}

export interface Topology {
  readonly prefix: string;
  readonly hosts: readonly HostSpec[];
  readonly links: readonly LinkSpec[];
  readonly internet: string;
  readonly ops: string;
  readonly nat: string;
  readonly gateways: readonly GatewayLab[];
  readonly nodes: readonly NodeLab[];
  readonly clients: readonly ClientLab[];
  readonly sites: readonly SiteLab[];
  readonly wgPeers: readonly WgPeerLab[];
  /** Short names for the first of each kind ("gw", "rw", "node", "site", "sitehost", "wgpeer", "nat"). */
  readonly aliases: Readonly<Record<string, string>>;
}

/** strongSwan's form of a certificate's subject ("C=DE, O=Example, CN=vpn.example.com"). */
export function certSubject(pem: string): string {
  return new X509Certificate(pem).subject.split("\n").join(", ");
}

/** The subjectAltNames of a certificate, as `pki --san` takes them. */
export function certSans(pem: string): string[] {
  return (new X509Certificate(pem).subjectAltName ?? "")
    .split(", ")
    .filter(Boolean)
    .map((s) => s.replace(/^(DNS|IP Address|email):/, ""));
}

const HOME_LANS = Array.from({ length: 40 }, (_, i) => `192.168.${100 + i}.0/24`);

/** Free documentation-range addresses, in order, skipping every address or prefix in `taken`. */
function* freeDocAddresses(taken: readonly string[]): Generator<string> {
  for (const range of ["198.51.100.0/24", "192.0.2.0/24", "203.0.113.0/24"]) {
    for (let n = 2; n < 255; n++) {
      const a = hostIn(range, n);
      if (!taken.some((t) => t === a || (t.includes("/") && contains(t, a)))) yield a;
    }
  }
}

const docCheck = (gw: GatewayModel, field: string, addr: string): void => {
  if (!isDocAddress(addr)) {
    throw new LayoutError(`${gw.name}: ${field} ${addr} is not in a documentation range (${DOC_RANGES.join(", ")}); the lab never uses real public addresses`);
  }
};

/** The gateway's IKE identity as a client sees it: local.id, else the certificate's subject, else the floating IP. */
export function gatewayIdentity(rw: RoadWarrior, floatingIp: string): string {
  if (rw.local.id) return rw.local.id;
  return rw.local.kind === "pubkey" ? certSubject(rw.local.cert) : floatingIp;
}

function clientAuth(gw: GatewayModel, rw: RoadWarrior): ClientAuth {
  const c = rw.clients;
  if (c.kind === "psk") return { kind: "psk", id: c.ids[0], secretKey: c.secret };
  if (c.kind === "eap-mschapv2") return { kind: "eap-mschapv2", id: c.users[0].id, secretKey: c.users[0].passwordSecret };
  const id = c.id && !c.id.includes("%") && !c.id.includes("*") ? c.id : `${rw.name}@${gw.name}.lab.example`;
  return { kind: "pubkey", id };
}

/**
 * kernel-libipsec installs a route per policy with a source address from the local traffic selector, and fails the
 * CHILD_SA when the gateway has none there (XFRM does not need one). So the lab gives the gateway the last address
 * of every local traffic-selector network it has no address in, on lo.
 */
export function selectorSources(gw: GatewayModel): string[] {
  const local = [...gw.ipsec.roadWarriors.map((r) => r.localTs ?? gw.private.networks), ...gw.ipsec.sites.map((s) => s.localTs ?? gw.private.networks)].flat();
  const nets = [...new Set(local)].filter((n) => isIPv4(addressOf(n)) && prefixLength(n) < 31 && !contains(n, addressOf(gw.private.address)));
  return nets.map((n) => hostIn(n, 2 ** (32 - prefixLength(n)) - 2));
}

/**
 * `dataplane` is the gateways' IPsec dataplane in this lab: the namespace lab's kernel-libipsec needs selectorSources,
 * the kernel lab's XFRM does not (its gateways get only what the cloud gives a server).
 */
export function labTopology(gateways: readonly GatewayModel[], prefix: string, dataplane: "libipsec" | "xfrm" = "libipsec"): Topology {
  if (!/^[a-z][a-z0-9]{1,7}$/.test(prefix)) throw new LayoutError(`lab prefix ${JSON.stringify(prefix)} must be 2-8 lower-case letters/digits`);
  if (gateways.length === 0) throw new LayoutError("the stack has no gateway");
  const ns = (role: string) => `${prefix}-${role}`;

  // Public addresses the stack names: all must be documentation addresses, named by field when not.
  const taken: string[] = [];
  for (const gw of gateways) {
    docCheck(gw, "server.ipv4", gw.server.ipv4);
    const fip = gw.floatingIp.address;
    if (!fip) throw new LayoutError(`${gw.name}: the lab needs floatingIp.address (an address in ${DOC_RANGES.join(", ")})`);
    docCheck(gw, "floatingIp.address", fip);
    gw.ipsec.sites.forEach((s, i) => s.remoteAddrs.forEach((a, j) => docCheck(gw, `ipsec.sites[${i}].remoteAddrs[${j}]`, a)));
    gw.ipsec.sites.forEach((s, i) => {
      if (s.auth.kind !== "psk")
        throw new LayoutError(`${gw.name}: ipsec.sites[${i}].auth.kind is ${s.auth.kind}; the lab's site peers authenticate with a PSK`);
      s.remoteTs.forEach((t, j) => {
        if (!isIPv4(addressOf(t)) || prefixLength(t) > 30)
          throw new LayoutError(`${gw.name}: ipsec.sites[${i}].remoteTs[${j}] must be an IPv4 network of /30 or larger`);
      });
    });
    if (!gw.bgp || gw.bgp.neighbors.length === 0) throw new LayoutError(`${gw.name}: the lab needs bgp with at least one neighbor (a kube-router node)`);
    gw.bgp.neighbors.forEach((n, i) => {
      if (!isIPv4(n.address)) throw new LayoutError(`${gw.name}: bgp.neighbors[${i}].address must be IPv4 in the lab`);
    });
    taken.push(gw.server.ipv4, fip, ...gw.ipsec.sites.flatMap((s) => s.remoteAddrs), ...gw.sshFrom);
  }
  const first = gateways[0];
  const opsNet = first.sshFrom.find((c) => isIPv4(addressOf(c)) && isDocAddress(addressOf(c)));
  if (!opsNet) throw new LayoutError(`${first.name}: the lab's operator SSHes from sshFrom[*]; add a documentation-range prefix such as 192.0.2.0/28`);
  const ops = opsNet.includes("/") && prefixLength(opsNet) < 32 ? hostIn(opsNet, 1) : addressOf(opsNet);
  for (const gw of gateways.slice(1)) {
    if (!gw.sshFrom.some((c) => contains(c.includes("/") ? c : `${c}/32`, ops)))
      throw new LayoutError(`${gw.name}: sshFrom must admit the lab's operator ${ops} (from ${first.name}'s sshFrom)`);
  }
  const free = freeDocAddresses([...taken, ops]);
  const next = (): string => {
    const a = free.next();
    if (a.done) throw new LayoutError("no free documentation-range address left for the lab");
    return a.value;
  };
  const internet = next();
  const nat = next();

  const hosts: HostSpec[] = [];
  const links: LinkSpec[] = [];
  const publics: { role: string; ifname: string; addrs: string[] }[] = [];
  const floating: string[][] = [];
  let port = 0;
  const toInternet = (role: string, ifname: string, addrs: string[]) => {
    const p = `p${port++}`;
    links.push({ a: { role: "internet", ifname: p }, b: { role, ifname } });
    publics.push({ role, ifname: p, addrs });
    return p;
  };
  const upstream = (ifname: string): string[][] => [
    [internet, "dev", ifname, "scope", "link"],
    ["default", "via", internet, "dev", ifname],
  ];
  const plain = (role: string, ifaces: HostSpec["ifaces"], routes: string[][], extra: Partial<HostSpec> = {}): HostSpec => ({
    role,
    ns: ns(role),
    ifaces,
    routes,
    forward: false,
    managed: false,
    ...extra,
  });

  hosts.push(plain("ops", [{ name: "eth0", addrs: [`${ops}/32`] }], upstream("eth0")));
  toInternet("ops", "eth0", [ops]);

  // One switch per private network, with every gateway and node on it.
  const nets = [...new Set(gateways.map((g) => networkOf(g.private.address)))];
  const switchRole = (net: string) => (nets.length === 1 ? "privnet" : `privnet${nets.indexOf(net) + 1}`);
  const switchPorts = new Map<string, string[]>(nets.map((n) => [n, []]));
  const plug = (net: string, role: string, ifname: string) => {
    const ports = switchPorts.get(net)!;
    const p = `p${ports.length}`;
    ports.push(p);
    links.push({ a: { role: switchRole(net), ifname: p }, b: { role, ifname } });
  };

  const nodes: NodeLab[] = [];
  const gwLabs: GatewayLab[] = [];
  const clients: ClientLab[] = [];
  const sites: SiteLab[] = [];
  const wgPeers: WgPeerLab[] = [];
  const usedRoles = new Set<string>(["internet", "ops", "nat", ...nets.map(switchRole)]);
  const unique = (wanted: string): string => {
    let role = wanted;
    for (let i = 2; usedRoles.has(role); i++) role = `${wanted}-${i}`;
    usedRoles.add(role);
    return role;
  };
  const inside = gateways.flatMap((g) => [...g.private.networks, g.private.address, g.wireguard.address, ...ipsecNetworks(g)]);
  const homeLans = HOME_LANS.filter((c) => !inside.some((i) => overlaps(i, c)));
  const natIfaces: { name: string; addrs: string[] }[] = [{ name: "wan", addrs: [`${nat}/32`] }];

  for (const gw of gateways) {
    const role = unique(gw.name);
    const fip = gw.floatingIp.address as string;
    const net = networkOf(gw.private.address);
    hosts.push(
      plain(
        role,
        [
          { name: gw.publicInterface, addrs: [`${gw.server.ipv4}/32`] },
          { name: gw.private.interface, addrs: [gw.private.address] },
          ...(dataplane === "libipsec" ? [{ name: "lo", addrs: selectorSources(gw).map((a) => `${a}/32`) }] : []),
        ],
        upstream(gw.publicInterface),
        { managed: true },
      ),
    );
    toInternet(role, gw.publicInterface, [gw.server.ipv4]);
    floating.push([`${fip}/32`, "via", gw.server.ipv4]);
    plug(net, role, gw.private.interface);

    const nodeRoles: string[] = [];
    for (const n of gw.bgp!.neighbors) {
      let node = nodes.find((x) => x.addr === n.address);
      if (!node) {
        if (!contains(gw.private.address, n.address))
          throw new LayoutError(`${gw.name}: bgp neighbour ${n.name} (${n.address}) is not on the private network ${net}`);
        node = { role: unique(n.name), addr: n.address, asn: n.asn, peers: [] };
        nodes.push(node);
        hosts.push(plain(node.role, [{ name: "eth0", addrs: [`${n.address}/${prefixLength(gw.private.address)}`] }], []));
        plug(net, node.role, "eth0");
      } else if (node.asn !== n.asn) throw new LayoutError(`${gw.name}: bgp neighbour ${n.name} has ASN ${n.asn}, another gateway says ${node.asn}`);
      (node.peers as NodeLab["peers"][number][]).push({ gateway: gw.name, addr: addressOf(gw.private.address), asn: gw.bgp!.localAsn });
      nodeRoles.push(node.role);
    }
    gwLabs.push({
      name: gw.name,
      role,
      publicAddr: gw.server.ipv4,
      floatingIp: fip,
      privateAddr: addressOf(gw.private.address),
      publicInterface: gw.publicInterface,
      wgInterface: gw.wireguard.interface,
      wgAddr: addressOf(gw.wireguard.address),
      exported: ipsecNetworks(gw),
      nodes: nodeRoles,
    });

    for (const rw of gw.ipsec.roadWarriors) {
      const lan = homeLans[clients.length];
      if (!lan) throw new LayoutError("no free home LAN left for another road warrior");
      const crole = unique(`rw-${rw.name}`);
      const lanIf = `lan${clients.length}`;
      natIfaces.push({ name: lanIf, addrs: [`${hostIn(lan, 1)}/24`] });
      links.push({ a: { role: "nat", ifname: lanIf }, b: { role: crole, ifname: "eth0" } });
      hosts.push(plain(crole, [{ name: "eth0", addrs: [`${hostIn(lan, 10)}/24`] }], [["default", "via", hostIn(lan, 1), "dev", "eth0"]]));
      clients.push({
        role: crole,
        gateway: gw.name,
        conn: rw.name,
        pool: rw.pool,
        localTs: rw.localTs ?? gw.private.networks,
        auth: clientAuth(gw, rw),
        gatewayId: gatewayIdentity(rw, fip),
        gatewayCert: rw.local.kind === "pubkey",
        floatingIp: fip,
        ike: rw.proposals.ike,
        esp: rw.proposals.esp,
      });
    }

    gw.ipsec.sites.forEach((s) => {
      const srole = unique(`site-${s.name}`);
      const lans = s.remoteTs.map((t, i) => ({ net: t, router: hostIn(t, 1), host: unique(`${srole}-lan${i + 1}`), hostAddr: hostIn(t, 2) }));
      hosts.push(
        plain(
          srole,
          [
            { name: "wan", addrs: s.remoteAddrs.map((a) => `${a}/32`) },
            ...lans.map((l, i) => ({ name: `lan${i + 1}`, addrs: [`${l.router}/${prefixLength(l.net)}`] })),
          ],
          upstream("wan"),
          {
            forward: true,
          },
        ),
      );
      toInternet(srole, "wan", [...s.remoteAddrs]);
      lans.forEach((l, i) => {
        hosts.push(plain(l.host, [{ name: "eth0", addrs: [`${l.hostAddr}/${prefixLength(l.net)}`] }], [["default", "via", l.router, "dev", "eth0"]]));
        links.push({ a: { role: srole, ifname: `lan${i + 1}` }, b: { role: l.host, ifname: "eth0" } });
      });
      if (s.auth.kind !== "psk") return;
      sites.push({
        role: srole,
        gateway: gw.name,
        conn: s.name,
        addrs: s.remoteAddrs,
        lans,
        gatewayTs: s.localTs ?? gw.private.networks,
        startAction: s.startAction,
        // The peer's view is the mirror image of the gateway's.
        auth: { secretKey: s.auth.secret, localId: s.auth.remoteId ?? s.remoteAddrs[0], remoteId: s.auth.localId ?? fip },
        floatingIp: fip,
        ike: s.proposals.ike,
        esp: s.proposals.esp,
      });
    });

    gw.wireguard.peers.forEach((p, i) => {
      const tunnel = addressOf(p.allowedIps[0]);
      if (!contains(gw.wireguard.address, tunnel))
        throw new LayoutError(`${gw.name}: wireguard.peers[${i}].allowedIps[0] must lie in the WireGuard subnet ${gw.wireguard.address}`);
      const wrole = unique(`wg-${gw.name}-${p.name}`);
      const addr = next();
      hosts.push(plain(wrole, [{ name: "eth0", addrs: [`${addr}/32`] }], upstream("eth0")));
      toInternet(wrole, "eth0", [addr]);
      wgPeers.push({
        role: wrole,
        gateway: gw.name,
        name: p.name,
        publicAddr: addr,
        address: `${tunnel}/${prefixLength(gw.wireguard.address)}`,
        allowedIps: p.allowedIps,
        gatewayTunnel: addressOf(gw.wireguard.address),
        endpoint: `${gw.server.ipv4}:${gw.wireguard.listenPort}`,
      });
    });
  }

  hosts.push(plain("nat", natIfaces, upstream("wan"), { forward: true, masqueradeOut: "wan" }));
  toInternet("nat", "wan", [nat]);
  for (const n of nets) hosts.push(plain(switchRole(n), [], [], { bridge: switchPorts.get(n) }));
  hosts.unshift(
    plain(
      "internet",
      publics.map((p) => ({ name: p.ifname, addrs: [`${internet}/32`] })),
      [
        ...publics.flatMap((p) => p.addrs.map((a) => [`${a}/32`, "dev", p.ifname, "scope", "link"])),
        // What Hetzner does for a floating IP: route it to the server it is assigned to.
        ...floating.map((f) => [...f, "dev", publics.find((p) => p.addrs.includes(f[2]))!.ifname]),
      ],
      { forward: true },
    ),
  );

  const aliases: Record<string, string> = { gw: gwLabs[0].role, node: nodes[0].role, nat: "nat" };
  if (clients[0]) aliases.rw = clients[0].role;
  if (sites[0]) {
    aliases.site = sites[0].role;
    aliases.sitehost = sites[0].lans[0].host;
  }
  if (wgPeers[0]) aliases.wgpeer = wgPeers[0].role;
  return { prefix, hosts, links, internet, ops, nat, gateways: gwLabs, nodes, clients, sites, wgPeers, aliases };
}

export const gatewayOf = (t: Topology, name: string): GatewayLab => {
  const g = t.gateways.find((x) => x.name === name);
  if (!g) throw new Error(`the lab has no gateway ${name}`);
  return g;
};
