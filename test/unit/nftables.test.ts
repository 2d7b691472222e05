import { strict as assert } from "assert";
import { nftablesConcern } from "../../components/nftables/concern";
import { ipsecMss, POOL_WITHOUT_IPSEC, renderNftables, wireguardMss } from "../../components/nftables/render";
import { byFamily } from "../../components/nftables/networks";
import { GatewayModel } from "../../components/model/gateway";
import { FIXTURE_CONTEXT, fixtureModel, fixtureGateway, gatewayFrom, withIpv6Class } from "../fixtures/gateway";

const HEAD = [
  "#!/usr/sbin/nft -f",
  "# managed by stage2: do not edit, every apply overwrites it",
  "# Replaces only table inet stage2, in one transaction; other tables are left alone.",
  "table inet stage2 {}",
  "delete table inet stage2",
  "",
  "table inet stage2 {",
];

const INPUT = [
  "\tchain input {",
  "\t\ttype filter hook input priority filter; policy drop;",
  '\t\tiif "lo" accept',
  "\t\tct state established,related accept",
  "\t\tct state invalid drop",
  "\t\ticmp type { destination-unreachable, echo-request, time-exceeded, parameter-problem } accept",
  "\t\ticmpv6 type { destination-unreachable, packet-too-big, time-exceeded, parameter-problem, echo-request, nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert } accept",
  '\t\tiifname "eth0" ip daddr 203.0.113.100 udp dport { 500, 4500 } accept comment "stage2: ike"',
  '\t\tiifname "eth0" ip daddr 203.0.113.100 meta l4proto esp accept comment "stage2: esp"',
  '\t\tiifname "eth0" udp dport 51820 accept comment "stage2: wireguard"',
  '\t\tiifname "eth0" ip saddr 198.51.100.0/24 tcp dport 22 accept comment "stage2: ssh"',
  '\t\tiifname "enp7s0" ip saddr 10.0.0.0/16 tcp dport 22 accept comment "stage2: ssh from the private network"',
  '\t\tiifname "enp7s0" ip saddr 10.0.0.0/16 tcp dport 179 accept comment "stage2: bgp"',
  '\t\tiifname "enp7s0" ip saddr 10.0.0.0/16 tcp dport { 9100, 9324 } accept comment "stage2: metrics"',
  "\t}",
];

const MSS = [
  '\t\tip saddr { 10.3.0.0/24, 172.20.0.0/16 } tcp flags syn / syn,rst tcp option maxseg size > 1360 tcp option maxseg size set 1360 comment "stage2: mss for ipsec"',
  '\t\tip daddr { 10.3.0.0/24, 172.20.0.0/16 } tcp flags syn / syn,rst tcp option maxseg size > 1360 tcp option maxseg size set 1360 comment "stage2: mss for ipsec"',
  '\t\tiifname "wg0" meta nfproto ipv4 tcp flags syn / syn,rst tcp option maxseg size > 1380 tcp option maxseg size set 1380 comment "stage2: mss for wireguard"',
  '\t\toifname "wg0" meta nfproto ipv4 tcp flags syn / syn,rst tcp option maxseg size > 1380 tcp option maxseg size set 1380 comment "stage2: mss for wireguard"',
];

const forward = (tunnelRules: string[]) => [
  "\tchain forward {",
  "\t\ttype filter hook forward priority filter; policy drop;",
  ...MSS,
  "\t\tct state established,related accept",
  "\t\tct state invalid drop",
  ...tunnelRules,
  '\t\tiifname "wg0" accept comment "stage2: from wireguard"',
  '\t\tiifname "enp7s0" oifname "wg0" accept comment "stage2: to wireguard"',
  '\t\tip saddr 10.3.0.0/24 counter drop comment "stage2: pool without ipsec"',
  "\t}",
];

const postrouting = (keep: string[]) => [
  "\tchain postrouting {",
  "\t\ttype nat hook postrouting priority srcnat; policy accept;",
  ...keep,
  '\t\toifname "eth0" ip saddr 10.3.0.0/24 masquerade comment "stage2: masquerade"',
  "\t}",
];

const text = (...blocks: string[][]) => blocks.flatMap((b, i) => (i <= 1 ? b : ["", ...b])).join("\n") + "\n}\n";

function hostile(mutate: (gw: GatewayModel) => void): GatewayModel {
  const gw = fixtureModel();
  mutate(gw);
  return gw;
}

describe("nftables renderer", () => {
  it("renders the xfrm gateway line by line: secpath and xfrm-route matches, no NAT into a tunnel", () => {
    const expected = text(
      HEAD,
      INPUT,
      forward([
        '\t\tmeta ipsec exists ip saddr 10.3.0.0/24 counter accept comment "stage2: from road warrior acme-rw"',
        '\t\tiifname "enp7s0" rt ipsec exists ip daddr 10.3.0.0/24 accept comment "stage2: to road warrior acme-rw"',
        '\t\tmeta ipsec exists ip saddr 172.20.0.0/16 counter accept comment "stage2: from site acme-hq"',
        '\t\tiifname "enp7s0" rt ipsec exists ip daddr 172.20.0.0/16 accept comment "stage2: to site acme-hq"',
      ]),
      postrouting(['\t\toifname "eth0" rt ipsec exists accept comment "stage2: never nat into a tunnel"']),
    );
    assert.equal(renderNftables(fixtureModel("xfrm"), FIXTURE_CONTEXT), expected);
  });

  it("renders the libipsec gateway: decrypted packets are recognised by the ipsec0 TUN, not a secpath", () => {
    const expected = text(
      HEAD,
      INPUT,
      forward([
        '\t\tiifname "ipsec0" ip saddr 10.3.0.0/24 counter accept comment "stage2: from road warrior acme-rw"',
        '\t\tiifname "enp7s0" oifname "ipsec0" ip daddr 10.3.0.0/24 accept comment "stage2: to road warrior acme-rw"',
        '\t\tiifname "ipsec0" ip saddr 172.20.0.0/16 counter accept comment "stage2: from site acme-hq"',
        '\t\tiifname "enp7s0" oifname "ipsec0" ip daddr 172.20.0.0/16 accept comment "stage2: to site acme-hq"',
      ]),
      postrouting([]),
    );
    assert.equal(renderNftables(fixtureModel("libipsec"), FIXTURE_CONTEXT), expected);
  });

  it("is deterministic and replaces only its own table, without flush ruleset", () => {
    const a = renderNftables(fixtureModel(), FIXTURE_CONTEXT);
    assert.equal(renderNftables(fixtureModel(), FIXTURE_CONTEXT), a);
    assert.ok(!/flush ruleset/.test(a));
    assert.deepEqual(
      a.split("\n").filter((l) => /^(table|delete)/.test(l)),
      ["table inet stage2 {}", "delete table inet stage2", "table inet stage2 {"],
    );
  });

  it("opens SSH to everyone on the public side when sshFrom is empty, and drops BGP and NAT rules that are not configured", () => {
    const input = fixtureGateway();
    input.sshFrom = [];
    input.masquerade = [];
    delete input.bgp;
    const lines = renderNftables(gatewayFrom(input), FIXTURE_CONTEXT).split("\n");
    assert.ok(lines.includes('\t\tiifname "eth0" tcp dport 22 accept comment "stage2: ssh"'));
    assert.ok(lines.includes('\t\tiifname "enp7s0" ip saddr 10.0.0.0/16 tcp dport 22 accept comment "stage2: ssh from the private network"'));
    assert.equal(lines.filter((l) => l.includes("dport 179")).length, 0);
    assert.equal(lines.filter((l) => l.includes("postrouting")).length, 0);
  });

  it("handles IPv6 pools and SSH sources per family, with its own counted drop rule", () => {
    const input = fixtureGateway();
    withIpv6Class(input);
    input.sshFrom = ["198.51.100.0/24", "2001:db8:ff::/48"];
    const lines = renderNftables(gatewayFrom(input), FIXTURE_CONTEXT).split("\n");
    assert.ok(lines.includes('\t\tiifname "eth0" ip6 saddr 2001:db8:ff::/48 tcp dport 22 accept comment "stage2: ssh"'));
    assert.ok(lines.includes('\t\tmeta ipsec exists ip6 saddr 2001:db8:3::/64 counter accept comment "stage2: from road warrior staff6"'));
    assert.ok(
      lines.includes(
        '\t\tip6 saddr 2001:db8:3::/64 tcp flags syn / syn,rst tcp option maxseg size > 1340 tcp option maxseg size set 1340 comment "stage2: mss for ipsec"',
      ),
    );
    assert.ok(lines.includes(`\t\tip6 saddr 2001:db8:3::/64 counter drop comment "${POOL_WITHOUT_IPSEC} ipv6"`));
    assert.ok(lines.includes(`\t\tip saddr 10.3.0.0/24 counter drop comment "${POOL_WITHOUT_IPSEC}"`));
  });

  it("derives the clamped MSS from the MTUs (algo's 1400 − 40 at MTU 1500)", () => {
    const gw = fixtureModel();
    assert.deepEqual([ipsecMss(gw, 4), ipsecMss(gw, 6), wireguardMss(gw, 4), wireguardMss(gw, 6)], [1360, 1340, 1380, 1360]);
    const input = fixtureGateway();
    input.publicMtu = 1450;
    assert.equal(ipsecMss(gatewayFrom(input), 4), 1310);
  });

  it("puts prefixes in nft's canonical form: host bits cleared, sorted, covered dropped, adjacent merged", () => {
    assert.deepEqual(byFamily(["192.0.2.1", "10.0.0.7/16", "10.0.5.0/24", "2001:db8::1/64", "10.0.0.0/16", "10.1.0.0/16"]), {
      v4: ["10.0.0.0/15", "192.0.2.1/32"],
      v6: ["2001:db8::/64"],
    });
    assert.deepEqual(byFamily(["10.1.0.0/16", "10.2.0.0/16"]).v4, ["10.1.0.0/16", "10.2.0.0/16"], "not siblings: 10.1/16 is a right half");
    assert.deepEqual(byFamily(["2001:db8:0:0:1::/80", "2001:0db8:0:0:1:1::/96"]).v6, ["2001:db8:0:0:1::/80"], "RFC 5952: the longest zero run");
    assert.throws(() => byFamily(["10.0.0.0/8 }"]), /not an address prefix/);
  });

  it("rejects hostile names and addresses instead of letting them open a rule", () => {
    const cases: [string, (gw: GatewayModel) => void][] = [
      ["public interface with a quote and newline", (gw) => (gw.publicInterface = 'eth0" accept\n}')],
      ["private interface with a brace", (gw) => (gw.private.interface = "enp7s0}")],
      ["wireguard interface with a space", (gw) => (gw.wireguard.interface = "wg0 accept")],
      ["road-warrior name with a newline", (gw) => (gw.ipsec.roadWarriors[0].name = 'staff"\n}')],
      ["pool that is not a prefix", (gw) => (gw.ipsec.roadWarriors[0].pool = "10.3.0.0/24 } accept")],
      ["masquerade prefix with a rule in it", (gw) => (gw.masquerade = ["0.0.0.0/0 accept;"])],
      ["sshFrom with a newline", (gw) => (gw.sshFrom = ["10.0.0.0/8\naccept"])],
      ["SSH port that is not an integer", (gw) => (gw.server.port = 22.5)],
    ];
    for (const [what, mutate] of cases) {
      assert.throws(() => renderNftables(hostile(mutate), FIXTURE_CONTEXT), /nftables|prefix/, what);
    }
    assert.throws(() => renderNftables(fixtureModel(), { floatingIp: "203.0.113.100 accept\n" }), /floating IP/);
  });

  it("concern: one file checked by nft -c, reloaded hitlessly by the unit or by nft -f directly", () => {
    const c = nftablesConcern(fixtureModel(), FIXTURE_CONTEXT);
    assert.equal(c.name, "nftables");
    assert.deepEqual(c.packages, ["nftables"]);
    assert.deepEqual(
      c.files.map((f) => [f.path, f.mode, f.validate]),
      [["/etc/nftables.conf", "0755", 'nft -c -f "$STAGED"']],
    );
    assert.equal(c.files[0].content, renderNftables(fixtureModel(), FIXTURE_CONTEXT));
    assert.deepEqual(c.services, [
      {
        unit: "nftables",
        onChange: "reload",
        direct: { running: "nft list table inet stage2", start: "nft -f /etc/nftables.conf", reload: "nft -f /etc/nftables.conf" },
      },
    ]);
  });
});
