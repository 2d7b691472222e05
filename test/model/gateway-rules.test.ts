import { strict as assert } from "assert";
import { formatProblem, parseGateway } from "../../components/model/gateway";
import { renderGatewaySwanctl } from "../../components/strongswan/gateway-swanctl";
import { CERT, fixtureGateway } from "../fixtures/gateway";

/** The fixture gateway changed by `mutate`, checked; every problem as the CLI prints it. */
function problems(mutate: (gw: any) => void): string[] {
  const gw = JSON.parse(JSON.stringify(fixtureGateway()));
  mutate(gw);
  const r = parseGateway(gw, "gateways[0]");
  return r.ok ? [] : r.problems.map(formatProblem);
}

const CA_B = CERT.replace("MIIBqjCC", "MIIBqzCC");
const pskClass = (name: string, pool: string, clients: Record<string, unknown>) => ({
  name,
  pool,
  local: { kind: "psk", id: "vpn.example.com" },
  clients: { kind: "psk", secret: `psk-${name}`, ...clients },
});
const certClass = (name: string, pool: string, clients: Record<string, unknown>) => ({
  name,
  pool,
  local: { kind: "pubkey", cert: CERT, keySecret: "gw-key" },
  clients: { kind: "pubkey", ca: CERT, ...clients },
});

describe("gateway model: dangerous gateways are refused before anything renders", () => {
  describe("interfaces", () => {
    it("private.interface equal to publicInterface", () => {
      assert.deepEqual(
        problems((gw) => (gw.private.interface = "eth0")),
        [
          'gateways[0].private.interface: must differ from publicInterface (eth0): the firewall tells the private network from the internet by interface (got "eth0")',
        ],
      );
    });

    it("wireguard.interface naming the public or private NIC, another NIC or the loopback", () => {
      assert.deepEqual(
        problems((gw) => (gw.wireguard.interface = "eth0")),
        ['gateways[0].wireguard.interface: must differ from publicInterface (eth0): it names the WireGuard device stage2 creates (got "eth0")'],
      );
      assert.deepEqual(
        problems((gw) => (gw.wireguard.interface = "enp7s0")),
        ['gateways[0].wireguard.interface: must differ from private.interface (enp7s0): it names the WireGuard device stage2 creates (got "enp7s0")'],
      );
      for (const nic of ["eth1", "ens3", "lo"]) {
        assert.deepEqual(
          problems((gw) => (gw.wireguard.interface = nic)),
          [`gateways[0].wireguard.interface: names a network card or the loopback, not a WireGuard device (use e.g. wg0) (got "${nic}")`],
        );
      }
      assert.deepEqual(
        problems((gw) => (gw.wireguard.interface = "wg-ops")),
        [],
      );
    });
  });

  describe("ports and paths", () => {
    it("WireGuard listenPort on IKE's ports", () => {
      for (const port of [500, 4500]) {
        assert.deepEqual(
          problems((gw) => (gw.wireguard.listenPort = port)),
          [`gateways[0].wireguard.listenPort: is one of IKE's ports (500, 4500), which charon owns (got ${port})`],
        );
      }
    });

    it("a WireGuard peer endpoint with port 0 or above 65535", () => {
      const peer = (endpoint: string) => (gw: any) =>
        (gw.wireguard.peers = [{ name: "ops", publicKey: "Ys69zRWIcDIDkNI/LPGRrRc8OafMCC73r4fH8R+ufDA=", allowedIps: ["10.8.0.10/32"], endpoint }]);
      assert.deepEqual(problems(peer("198.51.100.5:0")), ['gateways[0].wireguard.peers[0].endpoint: port must be 1-65535 (got "198.51.100.5:0")']);
      assert.deepEqual(problems(peer("vpn.example.com:99999")), [
        'gateways[0].wireguard.peers[0].endpoint: port must be 1-65535 (got "vpn.example.com:99999")',
      ]);
      assert.deepEqual(problems(peer("[2001:db8::1]:51820")), []);
    });

    it("ipsec.logFile outside /var/log or climbing out of it", () => {
      for (const file of ["/etc/shadow", "/var/log/../../etc/shadow", "/var/log/./charon.log", "/var/logs/charon.log", "/var/log/"]) {
        assert.deepEqual(
          problems((gw) => (gw.ipsec.logFile = file)),
          [`gateways[0].ipsec.logFile: must be a file under /var/log/ (no '.', '..' or empty path segments) (got "${file}")`],
        );
      }
      assert.deepEqual(
        problems((gw) => (gw.ipsec.logFile = "/var/log/strongswan/charon.log")),
        [],
      );
    });
  });

  describe("BGP", () => {
    it("a neighbour with the gateway's own address", () => {
      assert.deepEqual(
        problems((gw) => (gw.bgp.neighbors[0].address = "10.0.0.2")),
        ['gateways[0].bgp.neighbors[0].address: is the gateway\'s own address (private.address) (got "10.0.0.2")'],
      );
      assert.deepEqual(
        problems((gw) => {
          gw.private.networks.push("203.0.113.0/24");
          gw.bgp.neighbors.push({ name: "fip", address: "203.0.113.100", asn: 64513 }, { name: "pub", address: "203.0.113.10", asn: 64513 });
        }),
        [
          'gateways[0].bgp.neighbors[2].address: is the gateway\'s own address (floatingIp.address) (got "203.0.113.100")',
          'gateways[0].bgp.neighbors[3].address: is the gateway\'s own address (server.ipv4) (got "203.0.113.10")',
        ],
      );
    });

    it("AS 23456 (AS_TRANS), local or neighbour", () => {
      assert.deepEqual(
        problems((gw) => {
          gw.bgp.localAsn = 23456;
          gw.bgp.neighbors[0].asn = 23456;
        }),
        [
          "gateways[0].bgp.localAsn: is AS_TRANS (RFC 6793), a placeholder for 4-byte ASNs, never a real AS (got 23456)",
          "gateways[0].bgp.neighbors[0].asn: is AS_TRANS (RFC 6793), a placeholder for 4-byte ASNs, never a real AS (got 23456)",
        ],
      );
    });
  });

  describe("ranges with one owner", () => {
    it("WireGuard allowedIps equal or overlapping across peers", () => {
      const peers = (a: string[], b: string[]) => (gw: any) =>
        (gw.wireguard.peers = [
          { name: "one", publicKey: "Ys69zRWIcDIDkNI/LPGRrRc8OafMCC73r4fH8R+ufDA=", allowedIps: a },
          { name: "two", publicKey: "gnrazfxGCOR9rHT11BgD44EpWrttTnkAe2gWdEhKADI=", allowedIps: b },
        ]);
      assert.deepEqual(problems(peers(["10.8.0.10/32"], ["10.8.0.10/32"])), [
        'gateways[0].wireguard.peers[1].allowedIps[0]: overlaps wireguard.peers[0].allowedIps[0] (10.8.0.10/32): WireGuard routes each address to one peer (got "10.8.0.10/32")',
      ]);
      assert.deepEqual(problems(peers(["10.8.0.10/32"], ["10.8.0.11/32", "10.8.0.8/29"])), [
        'gateways[0].wireguard.peers[1].allowedIps[1]: overlaps wireguard.peers[0].allowedIps[0] (10.8.0.10/32): WireGuard routes each address to one peer (got "10.8.0.8/29")',
      ]);
      assert.deepEqual(problems(peers(["10.8.0.10/32"], ["10.8.0.11/32"])), []);
    });

    it("two sites with the same or overlapping remoteTs", () => {
      const second = (remoteTs: string[]) => (gw: any) =>
        gw.ipsec.sites.push({ name: "acme-dc", remoteAddrs: ["198.51.100.30"], remoteTs, auth: { kind: "psk", secret: "psk-dc" } });
      assert.deepEqual(problems(second(["172.20.0.0/16"])), [
        'gateways[0].ipsec.sites[1].remoteTs[0]: overlaps ipsec.sites[0].remoteTs[0] (172.20.0.0/16): charon would send the traffic into whichever tunnel it finds first (got "172.20.0.0/16")',
      ]);
      assert.deepEqual(problems(second(["172.21.0.0/16", "172.20.5.0/24"])), [
        'gateways[0].ipsec.sites[1].remoteTs[1]: overlaps ipsec.sites[0].remoteTs[0] (172.20.0.0/16): charon would send the traffic into whichever tunnel it finds first (got "172.20.5.0/24")',
      ]);
    });
  });

  describe("customer isolation among road-warrior classes", () => {
    it("PSK client ids that match any client", () => {
      for (const id of ["%any", "%any6"]) {
        assert.deepEqual(
          problems((gw) => (gw.ipsec.roadWarriors = [pskClass("globex-rw", "10.3.1.0/24", { ids: ["laptop@globex.example", id] })])),
          [`gateways[0].ipsec.roadWarriors[0].clients.ids[1]: would share the PSK with every client: list the clients' identities (got "${id}")`],
        );
      }
    });

    it("two PSK classes sharing the local identity with no client identity", () => {
      const out = problems((gw) => {
        gw.ipsec.roadWarriors = [
          pskClass("globex-rw", "10.3.1.0/24", { ids: ["a@globex.example", "b@globex.example"] }),
          pskClass("initech-rw", "10.3.2.0/24", { ids: ["a@initech.example", "b@initech.example"] }),
        ];
      });
      assert.deepEqual(out, [
        "gateways[0].ipsec.roadWarriors[0].clients.id: must be set: ipsec.roadWarriors[1] also takes PSK clients on this gateway, and only the client identity each connection requires keeps their customers apart (e.g. *@customer.example)",
        "gateways[0].ipsec.roadWarriors[1].clients.id: must be set: ipsec.roadWarriors[0] also takes PSK clients on this gateway, and only the client identity each connection requires keeps their customers apart (e.g. *@customer.example)",
      ]);
    });

    it("distinct local identities do not make two PSK classes safe: the client need not name the gateway", () => {
      const out = problems((gw) => {
        gw.ipsec.roadWarriors = [
          pskClass("globex-rw", "10.3.1.0/24", { ids: ["a@globex.example", "b@globex.example"] }),
          { ...pskClass("initech-rw", "10.3.2.0/24", { ids: ["a@initech.example", "b@initech.example"] }), local: { kind: "psk", id: "vpn2.example.com" } },
        ];
      });
      assert.equal(out.length, 2);
    });

    it("two PSK classes whose client identities overlap; disjoint ones pass", () => {
      const two = (a: Record<string, unknown>, b: Record<string, unknown>) => (gw: any) =>
        (gw.ipsec.roadWarriors = [pskClass("globex-rw", "10.3.1.0/24", a), pskClass("initech-rw", "10.3.2.0/24", b)]);
      assert.deepEqual(problems(two({ ids: ["a@globex.example"], id: "*@globex.test" }, { ids: ["x@initech.example"], id: "*@initech.example" })), [
        'gateways[0].ipsec.roadWarriors[0].clients.ids[0]: does not match clients.id (*@globex.test): charon would refuse this client (got "a@globex.example")',
      ]);
      assert.deepEqual(
        problems(two({ ids: ["a@globex.example"], id: "*@globex.example" }, { ids: ["bob-sales@globex.example"], id: "*-sales@globex.example" })),
        [
          "gateways[0].ipsec.roadWarriors[1].clients.id: accepts clients that ipsec.roadWarriors[0] (*@globex.example) also accepts: charon could give one customer's client the other's connection (got \"*-sales@globex.example\")",
        ],
      );
      assert.deepEqual(problems(two({ ids: ["Laptop@Globex.example"] }, { ids: ["laptop@globex.example"] })), [
        "gateways[0].ipsec.roadWarriors[1].clients.ids[0]: accepts clients that ipsec.roadWarriors[0] (Laptop@Globex.example) also accepts: charon could give one customer's client the other's connection (got \"laptop@globex.example\")",
      ]);
      assert.deepEqual(problems(two({ ids: ["a@globex.example", "b@globex.example"], id: "*@globex.example" }, { ids: ["a@initech.example"] })), []);
    });

    it("a PSK class's client identity is what charon checks: the connection's remote id", () => {
      const gw = JSON.parse(JSON.stringify(fixtureGateway()));
      gw.ipsec.roadWarriors = [
        pskClass("globex-rw", "10.3.1.0/24", { ids: ["a@globex.example", "b@globex.example"], id: "*@globex.example" }),
        pskClass("initech-rw", "10.3.2.0/24", { ids: ["a@initech.example"] }),
      ];
      const r = parseGateway(gw);
      assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
      const conf = renderGatewaySwanctl(r.gateway, { floatingIp: "203.0.113.100" });
      const remotes = [...conf.matchAll(/remote \{\n\s*auth = psk\n\s*id = (.*)\n/g)].map((m) => m[1]);
      assert.deepEqual(remotes, ["*@globex.example", "a@initech.example", "hq.acme.example"]);
    });

    it("two certificate classes under one CA need distinct client identities; different CAs stand apart", () => {
      const two = (a: Record<string, unknown>, b: Record<string, unknown>) => (gw: any) =>
        (gw.ipsec.roadWarriors = [certClass("acme-rw", "10.3.1.0/24", a), certClass("initech-rw", "10.3.2.0/24", b)]);
      assert.deepEqual(problems(two({}, { id: "*@initech.example" })), [
        "gateways[0].ipsec.roadWarriors[0].clients.id: must be set: ipsec.roadWarriors[1] also takes certificate clients of the same CA on this gateway, and only the client identity each connection requires keeps their customers apart (e.g. *@customer.example)",
      ]);
      assert.deepEqual(problems(two({}, { ca: CA_B })), []);
      assert.deepEqual(problems(two({ id: "*@acme.example" }, { id: "*@initech.example" })), []);
    });

    it("one EAP identity in two road-warrior classes", () => {
      assert.deepEqual(
        problems((gw) =>
          gw.ipsec.roadWarriors.push({
            ...gw.ipsec.roadWarriors[0],
            name: "acme-rw2",
            pool: "10.3.1.0/24",
            clients: {
              kind: "eap-mschapv2",
              users: [
                { id: "bob@acme.example", passwordSecret: "eap-bob" },
                { id: "ALICE@acme.example", passwordSecret: "eap-alice2" },
              ],
            },
          }),
        ),
        [
          'gateways[0].ipsec.roadWarriors[1].clients.users[1].id: is also the EAP identity at ipsec.roadWarriors[0].clients.users[0].id: charon keeps one password per identity, so the user could land in either class (got "ALICE@acme.example")',
        ],
      );
    });
  });

  describe("ipsec.extraSwanctl, checked merged with what stage2 renders", () => {
    it("a connection without local_addrs, or bound elsewhere", () => {
      const extra = (conn: Record<string, unknown>) => (gw: any) =>
        (gw.ipsec.extraSwanctl = { connections: { backdoor: { remote_addrs: "198.51.100.66", ...conn, local: { auth: "psk" }, remote: { auth: "psk" } } } });
      assert.deepEqual(problems(extra({})), [
        "gateways[0].ipsec.extraSwanctl.connections.backdoor: adds a connection without local_addrs: it must be exactly the floating IP [203.0.113.100]: IKE binds the floating IP only; set local_addrs",
      ]);
      assert.deepEqual(problems(extra({ local_addrs: "10.8.0.1" })), [
        'gateways[0].ipsec.extraSwanctl.connections.backdoor.local_addrs: must be exactly the floating IP [203.0.113.100]: IKE binds the floating IP only; leave it out (got ["10.8.0.1"])',
      ]);
      assert.deepEqual(problems(extra({ local_addrs: "203.0.113.100" })), []);
    });

    it("a pool moved into the WireGuard subnet or the private network", () => {
      assert.deepEqual(
        problems((gw) => (gw.ipsec.extraSwanctl = { pools: { "acme-rw-pool": { addrs: "10.8.0.128/25" } } })),
        ['gateways[0].ipsec.extraSwanctl.pools.acme-rw-pool.addrs: overlaps the WireGuard subnet 10.8.0.1/24 or a peer\'s allowedIps (got "10.8.0.128/25")'],
      );
      assert.deepEqual(
        problems((gw) => (gw.ipsec.extraSwanctl = { pools: { extra: { addrs: "10.0.5.1-10.0.5.50" } } })),
        ['gateways[0].ipsec.extraSwanctl.pools.extra.addrs: overlaps the private network 10.0.0.0/16 (got "10.0.5.1-10.0.5.50")'],
      );
    });

    it("a remote_ts inside WireGuard's ranges or another connection's pool; remote_addrs inside WireGuard", () => {
      const out = problems((gw) => {
        gw.ipsec.extraSwanctl = {
          connections: {
            "acme-hq": { remote_addrs: "10.8.0.7", children: { "acme-hq": { remote_ts: ["172.20.0.0/16", "10.8.0.0/24[udp/51820]", "10.3.0.0/28"] } } },
          },
        };
      });
      assert.deepEqual(out, [
        'gateways[0].ipsec.extraSwanctl.connections.acme-hq.remote_addrs: is inside the WireGuard subnet: IPsec must not run over WireGuard (got "10.8.0.7")',
        'gateways[0].ipsec.extraSwanctl.connections.acme-hq.children.acme-hq.remote_ts: overlaps the WireGuard subnet or a WireGuard peer\'s allowedIps (got "10.8.0.0/24[udp/51820]")',
        'gateways[0].ipsec.extraSwanctl.connections.acme-hq.children.acme-hq.remote_ts: overlaps the road-warrior pool acme-rw-pool (10.3.0.0/24) (got "10.3.0.0/28")',
      ]);
    });
  });
});
