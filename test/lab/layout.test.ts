import { strict as assert } from "assert";
import { GatewayModel } from "../../components/model/gateway";
import { hostIn, pickFree } from "../../lab/address";
import { hostOf, labLayout, LayoutError } from "../../lab/layout";
import { LAB_STACK_FILE, loadLabStack } from "../../lab/stack";

const labGateway = (): GatewayModel => loadLabStack(LAB_STACK_FILE).gateways[0];

describe("lab layout of one gateway (pure; the kernel lab builds it around its VM)", () => {
  it("places every host and address the stack implies, public ones in documentation ranges only", () => {
    const l = labLayout(labGateway(), "s2x");
    assert.deepEqual(
      l.hosts.map((h) => `${h.ns}${h.managed ? " (managed)" : ""}`),
      ["s2x-internet", "s2x-ops", "s2x-gw (managed)", "s2x-nat", "s2x-rw", "s2x-node", "s2x-site", "s2x-sitehost", "s2x-wgpeer"],
    );
    assert.deepEqual(l.addrs, {
      internet: "198.51.100.1",
      ops: "192.0.2.1",
      gwPublic: "203.0.113.10",
      floatingIp: "203.0.113.20",
      gwPrivate: "10.0.0.2",
      nat: "198.51.100.2",
      homeLan: "192.168.77.0/24",
      rw: "192.168.77.10",
      node: "10.0.1.1",
      site: "198.51.100.18",
      siteLan: "10.20.0.1",
      sitehost: "10.20.0.2",
      wgpeer: "198.51.100.34",
    });
    assert.deepEqual(
      l.links.map((k) => `${k.a.role}/${k.a.ifname}=${k.b.role}/${k.b.ifname}`),
      [
        "internet/to-ops=ops/eth0",
        "internet/to-gw=gw/eth0",
        "internet/to-nat=nat/wan",
        "nat/lan=rw/eth0",
        "gw/enp7s0=node/eth0",
        "internet/to-site=site/wan",
        "site/lan=sitehost/eth0",
        "internet/to-wgpeer=wgpeer/eth0",
      ],
    );
  });

  it("gives gw only what the cloud gives a server (primary /32, private network); the floating IP is stage2's to add", () => {
    const gw = hostOf(labLayout(labGateway(), "s2x"), "gw");
    assert.deepEqual(gw.ifaces, [
      { name: "eth0", addrs: ["203.0.113.10/32"] },
      { name: "enp7s0", addrs: ["10.0.0.2/16"] },
    ]);
    assert.deepEqual(gw.routes, [
      ["198.51.100.1", "dev", "eth0", "scope", "link"],
      ["default", "via", "198.51.100.1", "dev", "eth0"],
    ]);
    assert.equal(gw.forward, false, "forwarding is the sysctl concern's job");
  });

  it("routes the floating IP to gw's primary address on the internet router, as Hetzner does", () => {
    const internet = hostOf(labLayout(labGateway(), "s2x"), "internet");
    assert.deepEqual(internet.routes[internet.routes.length - 1], ["203.0.113.20/32", "via", "203.0.113.10", "dev", "to-gw"]);
  });

  it("gives node no default route: only BGP can bring answers back to the road warriors", () => {
    const node = hostOf(labLayout(labGateway(), "s2x"), "node");
    assert.deepEqual(node.routes, []);
    assert.deepEqual(node.ifaces, [{ name: "eth0", addrs: ["10.0.1.1/16"] }]);
  });

  it("mirrors the gateway's connections for the peers (ids, traffic selectors, proposals)", () => {
    const l = labLayout(labGateway(), "s2x");
    assert.deepEqual(l.rw, {
      conn: "laptops",
      pool: "10.3.0.0/24",
      remoteTs: ["10.0.0.0/16"],
      auth: { kind: "psk", id: "laptop@lab.example", secretKey: "lab-rw-psk" },
      gatewayId: "vpn.lab.example",
      ike: ["aes256gcm16-prfsha384-ecp384", "aes256-sha256-modp2048"],
      esp: ["aes256gcm16-ecp384", "aes256-sha256", "aes256-sha384"],
    });
    assert.deepEqual(l.site?.localTs, ["10.20.0.0/24"]);
    assert.deepEqual(l.site?.remoteTs, ["10.0.0.0/16"]);
    assert.deepEqual(l.site?.auth, { kind: "psk", secretKey: "lab-site-psk", localId: "198.51.100.18", remoteId: "203.0.113.20" });
    assert.deepEqual(l.wg, {
      name: "phone",
      address: "10.8.0.2/24",
      gatewayTunnel: "10.8.0.1",
      endpoint: "203.0.113.10:51820",
      listenPort: 51820,
      interface: "wg0",
    });
    assert.deepEqual(l.bgp, { nodeAsn: 64512, gatewayAsn: 65010, gatewayAddr: "10.0.0.2" });
  });

  it("refuses real public addresses, a missing floating IP, and stacks without what the lab drives", () => {
    const gw = labGateway();
    assert.throws(
      () => labLayout({ ...gw, server: { ...gw.server, ipv4: "8.8.8.8" } }, "s2x"),
      (e: Error) => e instanceof LayoutError && /8\.8\.8\.8 is not in a documentation range/.test(e.message),
    );
    assert.throws(() => labLayout({ ...gw, floatingIp: { location: "fsn1" } }, "s2x"), /needs floatingIp\.address/);
    assert.throws(() => labLayout({ ...gw, bgp: undefined }, "s2x"), /needs bgp with at least one neighbor/);
    assert.throws(() => labLayout({ ...gw, sshFrom: [] }, "s2x"), /operator SSHes from sshFrom/);
    assert.throws(() => labLayout(gw, "Bad-Prefix"), /2-8 lower-case letters/);
  });

  it("works without a site or a WireGuard peer (those checks then say n/a)", () => {
    const gw = labGateway();
    const l = labLayout({ ...gw, ipsec: { ...gw.ipsec, sites: [] }, wireguard: { ...gw.wireguard, peers: [] } }, "s2x");
    assert.deepEqual(
      l.hosts.map((h) => h.role),
      ["internet", "ops", "gw", "nat", "rw", "node"],
    );
    assert.equal(l.site, undefined);
    assert.equal(l.wg, undefined);
  });

  it("address helpers: n-th host of a prefix, first free candidate", () => {
    assert.equal(hostIn("10.20.0.0/24", 1), "10.20.0.1");
    assert.equal(hostIn("10.3.0.0/24", 254), "10.3.0.254");
    assert.throws(() => hostIn("10.3.0.0/30", 4), /has no address number 4/);
    assert.equal(pickFree(["192.0.2.1", "198.51.100.1"], ["192.0.2.0/28"]), "198.51.100.1");
    assert.throws(() => pickFree(["192.0.2.1"], ["192.0.2.1"]), /no free lab address/);
  });
});
