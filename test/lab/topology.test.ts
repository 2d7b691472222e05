import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { GatewayModel } from "../../components/model/gateway";
import { swanctlSecretRefs } from "../../components/strongswan/gateway-swanctl";
import { coveredBy } from "../../lab/checks";
import { LayoutError } from "../../lab/layout";
import { applyLabOverrides } from "../../lab/model";
import { PEER_HEADER, renderClientLabDropIn, renderNodeGobgpd } from "../../lab/peers";
import { labSecrets, pkiRequest } from "../../lab/secrets";
import { loadStackGateways, stackFilePath } from "../../lab/stack";
import { certSans, certSubject, labTopology, selectorSources } from "../../lab/topology";

const prod = (): readonly GatewayModel[] => loadStackGateways(stackFilePath("prod"));

describe("lab topology of a whole stack (pure: every gateway, every connection of stacks/Pulumi.prod.yaml)", () => {
  it("brings every gateway into one internet with its floating IP, one private network with every node, a peer per connection", () => {
    const t = labTopology(prod(), "s2x");
    assert.deepEqual(
      t.gateways.map((g) => [g.role, g.publicAddr, g.floatingIp, g.privateAddr, g.nodes.join(" ")]),
      [
        ["gw-fsn1", "203.0.113.20", "203.0.113.120", "10.0.0.2", "node-1 node-2 node-3"],
        ["gw-nbg1", "203.0.113.30", "203.0.113.130", "10.0.0.3", "node-1 node-2 node-3"],
      ],
    );
    assert.deepEqual(
      t.nodes.map((n) => [n.role, n.addr, n.peers.map((p) => `${p.gateway}@${p.addr}/${p.asn}`).join(" ")]),
      ["node-1", "node-2", "node-3"].map((n, i) => [n, `10.0.1.${i + 1}`, "gw-fsn1@10.0.0.2/64512 gw-nbg1@10.0.0.3/64512"]),
    );
    // One client per road-warrior class, each with the auth kind its class uses.
    assert.deepEqual(
      t.clients.map((c) => [c.gateway, c.conn, c.auth.kind, c.auth.id, c.localTs.join(","), c.gatewayCert]),
      [
        ["gw-fsn1", "acme-rw", "eap-mschapv2", "alice@acme.example", "10.0.0.0/16,10.244.0.0/16", true],
        ["gw-fsn1", "globex-rw", "psk", "laptop-1@globex.example", "10.0.0.0/16", false],
        ["gw-nbg1", "acme-rw-nbg", "eap-mschapv2", "alice@acme.example", "10.0.0.0/16,10.244.0.0/16", true],
        ["gw-nbg1", "initech-rw", "pubkey", "initech-rw@gw-nbg1.lab.example", "10.0.0.0/16,10.244.0.0/16", true],
      ],
    );
    // Identities kept: a certificate gateway is known by its certificate's subject.
    assert.equal(t.clients[0].gatewayId, "C=DE, O=Example Platform, CN=vpn-fsn1.example.com");
    assert.equal(t.clients[1].gatewayId, "vpn-fsn1.example.com");
    // A site: a peer holding every remote address, a LAN host per remoteTs.
    assert.deepEqual(
      t.sites.map((s) => [s.conn, s.startAction, s.addrs.join(","), s.lans.map((l) => `${l.host}=${l.hostAddr}`).join(" "), s.gatewayTs.join(",")]),
      [
        ["acme-hq", "trap", "198.51.100.20", "site-acme-hq-lan1=172.20.0.2", "10.0.0.0/16"],
        ["globex-dc", "trap", "198.51.100.40,198.51.100.41", "site-globex-dc-lan1=172.21.0.2 site-globex-dc-lan2=172.22.0.2", "10.0.0.0/16,10.244.0.0/16"],
        ["initech-office", "none", "198.51.100.60", "site-initech-office-lan1=172.23.0.2", "10.0.0.0/16"],
      ],
    );
    assert.deepEqual(
      t.wgPeers.map((p) => [p.gateway, p.name, p.address, p.endpoint]),
      [
        ["gw-fsn1", "ops-laptop", "10.8.0.10/24", "203.0.113.20:51820"],
        ["gw-fsn1", "ci-runner", "10.8.0.11/24", "203.0.113.20:51820"],
        ["gw-nbg1", "ops-laptop", "10.8.1.10/24", "203.0.113.30:51820"],
      ],
    );
    // The internet routes each floating IP to its own gateway, as Hetzner does.
    const internet = t.hosts.find((h) => h.role === "internet")!;
    const port = (addr: string) => internet.routes.find((r) => r[0] === `${addr}/32`)![2];
    assert.deepEqual(
      internet.routes.filter((r) => r[1] === "via"),
      [
        ["203.0.113.120/32", "via", "203.0.113.20", "dev", port("203.0.113.20")],
        ["203.0.113.130/32", "via", "203.0.113.30", "dev", port("203.0.113.30")],
      ],
    );
    const privnet = t.hosts.find((h) => h.role === "privnet")!;
    assert.equal(privnet.bridge?.length, 5, "two gateways and three nodes on one switch");
    assert.deepEqual(t.aliases, {
      gw: "gw-fsn1",
      node: "node-1",
      nat: "nat",
      rw: "rw-acme-rw",
      site: "site-acme-hq",
      sitehost: "site-acme-hq-lan1",
      wgpeer: "wg-gw-fsn1-ops-laptop",
    });
    for (const h of t.hosts) for (const i of h.ifaces) assert.ok(i.name.length <= 15, `${h.role}/${i.name}`);
  });

  it("refuses a real public address anywhere in the stack, naming the gateway and the field", () => {
    const gws = prod();
    const bad = (change: (g: GatewayModel) => GatewayModel, field: RegExp) =>
      assert.throws(
        () => labTopology([gws[0], change(gws[1])], "s2x"),
        (e: Error) => e instanceof LayoutError && field.test(e.message),
      );
    bad((g) => ({ ...g, server: { ...g.server, ipv4: "8.8.8.8" } }), /^gw-nbg1: server\.ipv4 8\.8\.8\.8 is not in a documentation range/);
    bad((g) => ({ ...g, floatingIp: { ...g.floatingIp, address: "1.1.1.1" } }), /^gw-nbg1: floatingIp\.address 1\.1\.1\.1 is not/);
    bad(
      (g) => ({ ...g, ipsec: { ...g.ipsec, sites: [{ ...g.ipsec.sites[0], remoteAddrs: ["9.9.9.9"] }] } }),
      /^gw-nbg1: ipsec\.sites\[0\]\.remoteAddrs\[0\] 9\.9\.9\.9 is not/,
    );
  });

  it("gives each gateway a source address in every local traffic selector it has none in (kernel-libipsec's routes)", () => {
    assert.deepEqual(prod().map(selectorSources), [["10.244.255.254"], ["10.244.255.254"]]);
  });

  it("makes every secret for the run: random PSKs and passwords, the lab CA's keys; the stack's values are never read", () => {
    const gws = prod();
    const pki = { caCert: "CA", gateways: { "gw-fsn1-cert-key": { cert: "C1", key: "K1" }, "gw-nbg1-cert-key": { cert: "C2", key: "K2" } }, clients: {} };
    const s = labSecrets(gws, pki);
    const refs = [...new Set(gws.flatMap((g) => swanctlSecretRefs(g).map((r) => r.ref)))].sort();
    assert.deepEqual(Object.keys(s).sort(), refs);
    assert.equal(s["gw-fsn1-cert-key"], "K1");
    for (const k of ["psk-acme-hq", "eap-acme-alice"]) assert.match(s[k], /^[A-Za-z0-9_-]{32}$/);
    assert.notEqual(labSecrets(gws, pki)["psk-acme-hq"], s["psk-acme-hq"], "a new run, new values");
    assert.equal(labSecrets(gws, pki, s)["psk-acme-hq"], s["psk-acme-hq"], "the same run keeps its values");
    const text = fs.readFileSync(stackFilePath("prod"), "utf8");
    for (const [k, v] of Object.entries(s)) if (!k.endsWith("cert-key")) assert.ok(!text.includes(v), k);
  });

  it("asks the lab CA for each gateway key's certificate with the stack certificate's identities, and each certificate client's", () => {
    const gws = prod();
    const req = pkiRequest(gws, labTopology(gws, "s2x"));
    assert.deepEqual(req.gateways, [
      { keySecret: "gw-fsn1-cert-key", subject: "C=DE, O=Example Platform, CN=vpn-fsn1.example.com", sans: ["vpn-fsn1.example.com"] },
      { keySecret: "gw-nbg1-cert-key", subject: "C=DE, O=Example Platform, CN=vpn-nbg1.example.com", sans: ["vpn-nbg1.example.com"] },
    ]);
    assert.deepEqual(req.clients, [{ role: "rw-initech-rw", id: "initech-rw@gw-nbg1.lab.example" }]);
    const rw = gws[0].ipsec.roadWarriors[0];
    assert.ok(rw.local.kind === "pubkey");
    assert.equal(certSubject(rw.local.cert), "C=DE, O=Example Platform, CN=vpn-fsn1.example.com");
    assert.deepEqual(certSans(rw.local.cert), ["vpn-fsn1.example.com"]);
  });

  it("changes only the run's keys, certificates, CA and dataplane in the gateway's model", () => {
    const gw = prod()[1];
    const pki = {
      caCert: "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n",
      gateways: { "gw-nbg1-cert-key": { cert: "CERT", key: "KEY" } },
      clients: {},
    };
    const o = applyLabOverrides(gw, { hostKey: "ssh-ed25519 AAAA", wgKeys: { "ops-laptop": "WG" } }, pki);
    const back = {
      ...o,
      server: { ...o.server, hostKey: gw.server.hostKey },
      ipsec: { ...o.ipsec, dataplane: gw.ipsec.dataplane, roadWarriors: gw.ipsec.roadWarriors },
      wireguard: { ...o.wireguard, peers: gw.wireguard.peers },
    };
    assert.deepEqual(back, gw);
    assert.equal(o.ipsec.dataplane, "libipsec");
    assert.deepEqual(
      o.ipsec.roadWarriors.map((r) => (r.local.kind === "pubkey" ? r.local.cert : "")),
      ["CERT", "CERT"],
    );
    assert.equal(o.ipsec.roadWarriors[1].clients.kind === "pubkey" && o.ipsec.roadWarriors[1].clients.ca, pki.caCert);
    assert.equal(o.wireguard.peers[0].publicKey, "WG");
  });

  it("a client loads its Linux profile plus the lab's drop-in: asks for everything (the gateway must narrow it), DPD every 2 s, redials", () => {
    const t = labTopology(prod(), "s2x");
    assert.deepEqual(renderClientLabDropIn(t.clients[3].conn).split("\n"), [
      PEER_HEADER,
      "",
      "connections {",
      "\tinitech-rw {",
      "\t\tdpd_delay = 2s",
      "\t\tchildren {",
      "\t\t\tinitech-rw {",
      "\t\t\t\tremote_ts = 0.0.0.0/0",
      "\t\t\t\tclose_action = restart",
      "\t\t\t}",
      "\t\t}",
      "\t}",
      "}",
      "",
    ]);
    assert.match(
      renderNodeGobgpd(t.nodes[0]),
      /neighbor-address = "10\.0\.0\.2"\n {4}peer-as = 64512\n[^]*neighbor-address = "10\.0\.0\.3"\n {4}peer-as = 64512\n/,
    );
  });

  it("BGP coverage: a prefix lies inside the union of the exported networks, or it is something stage2 never meant to export", () => {
    assert.ok(coveredBy("10.3.0.0/23", ["10.3.0.0/24", "10.3.1.0/24"]));
    assert.ok(coveredBy("10.3.0.7/32", ["10.3.0.0/24"]));
    assert.ok(!coveredBy("10.3.0.0/22", ["10.3.0.0/24", "10.3.1.0/24"]));
    assert.ok(!coveredBy("10.0.0.0/16", ["10.3.0.0/24"]));
  });

  it("the dev and lab stacks lay out too", () => {
    for (const env of ["dev", "lab"]) {
      const t = labTopology(loadStackGateways(path.join(path.dirname(stackFilePath("prod")), `Pulumi.${env}.yaml`)), "s2x");
      assert.equal(t.gateways.length, 1, env);
    }
  });
});
