import { strict as assert } from "assert";
import { birdConcern } from "../../components/bird/concern";
import { bgpProtocolName, renderBird } from "../../components/bird/render";
import { GatewayModel } from "../../components/model/gateway";
import { FIXTURE_CONTEXT, fixtureModel, fixtureGateway, gatewayFrom, withIpv6Class } from "../fixtures/gateway";

const LEARN = [
  "# managed by stage2: do not edit, every apply overwrites it",
  "log syslog all;",
  "router id 10.0.0.2;",
  "",
  "ipv4 table ipsec4;",
  "",
  "protocol device {",
  "}",
  "",
  "# The gateway owns its pools and the sites' networks: announce them whole, whatever charon installs. With the",
  "# kernel's IPsec, charon's table-220 routes go via the public next hop, which BIRD rejects as strange on a /32",
  "# public interface (found by the kernel lab). Blackholes stay in BIRD: no protocol exports them to the kernel.",
  "protocol static static_ipsec4 {",
  "\tipv4 { table ipsec4; };",
  "\troute 10.3.0.0/24 blackhole;",
  "\troute 172.20.0.0/16 blackhole;",
  "}",
  "",
  "protocol kernel kernel_ipsec4 {",
  "\tkernel table 220;",
  "\t# strongSwan's routes are not BIRD's own: without learn, BIRD ignores them.",
  "\tlearn;",
  "\tipv4 {",
  "\t\ttable ipsec4;",
  "\t\timport all;",
  "\t\texport none;",
  "\t};",
  "}",
  "",
  "filter stage2_tunnels4 {",
  "\tif net ~ [ 10.3.0.0/24+, 172.20.0.0/16+ ] then accept;",
  "\treject;",
  "}",
  "",
  "protocol pipe pipe_ipsec4 {",
  "\ttable ipsec4;",
  "\tpeer table master4;",
  "\timport none;",
  "\texport filter stage2_tunnels4;",
  "}",
];

const bgp = (name: string, address: string) => [
  `protocol bgp ${name} {`,
  "\tlocal as 64512;",
  `\tneighbor ${address} as 64513;`,
  "\tmultihop;",
  "\thold time 90;",
  "\tipv4 {",
  "\t\timport none;",
  "\t\texport filter stage2_tunnels4;",
  "\t\tnext hop self;",
  "\t};",
  "}",
];

const MULTIHOP = "# multihop: Hetzner private networks route even same-subnet packets via the network's gateway, so no neighbour is on-link.";

describe("BIRD 2 renderer", () => {
  it("announces the pools and sites whole, learns table 220, pipes only the tunnel networks into master4 and exports exactly those over BGP", () => {
    const expected = [...LEARN, "", MULTIHOP, ...bgp("bgp_node_1", "10.0.1.1"), "", ...bgp("bgp_node_2", "10.0.1.2")].join("\n") + "\n";
    assert.equal(renderBird(fixtureModel("xfrm"), FIXTURE_CONTEXT), expected);
    // libipsec puts its routes in table 220 too: the same chain serves both dataplanes.
    assert.equal(renderBird(fixtureModel("libipsec"), FIXTURE_CONTEXT), expected);
  });

  it("without BGP still learns table 220 (ready for the first neighbour) and has no session", () => {
    const input = fixtureGateway();
    delete input.bgp;
    assert.equal(renderBird(gatewayFrom(input), FIXTURE_CONTEXT), LEARN.join("\n") + "\n");
  });

  it("uses bgp.routerId when set, and adds an IPv6 table, filter, pipe and channel for IPv6 pools", () => {
    const input = fixtureGateway();
    input.bgp!.routerId = "192.0.2.1";
    withIpv6Class(input);
    const lines = renderBird(gatewayFrom(input), FIXTURE_CONTEXT).split("\n");
    assert.ok(lines.includes("router id 192.0.2.1;"));
    assert.ok(lines.includes("ipv6 table ipsec6;"));
    assert.ok(lines.includes("\tif net ~ [ 2001:db8:3::/64+ ] then accept;"));
    assert.ok(lines.includes("\tpeer table master6;"));
    assert.ok(lines.includes("protocol pipe pipe_ipsec6 {"));
    assert.equal(lines.filter((l) => l === "\texport filter stage2_tunnels6;").length, 1, "the IPv6 pipe");
    assert.equal(lines.filter((l) => l === "\t\texport filter stage2_tunnels6;").length, 2, "one IPv6 channel per neighbour");
  });

  it("renders an empty filter that rejects everything, and no static protocol, when there is no tunnel yet", () => {
    const input = fixtureGateway();
    input.ipsec = { roadWarriors: [], sites: [] };
    const out = renderBird(gatewayFrom(input), FIXTURE_CONTEXT);
    assert.ok(out.includes("filter stage2_tunnels4 {\n\treject;\n}\n"));
    assert.ok(!out.includes("protocol static"));
  });

  it("maps neighbour names to BIRD symbols and rejects what could open a block", () => {
    assert.equal(bgpProtocolName("node-1"), "bgp_node_1");
    assert.equal(bgpProtocolName("table"), "bgp_table");
    const cases: [string, (gw: GatewayModel) => void][] = [
      ["neighbour name with a brace", (gw) => (gw.bgp!.neighbors[0].name = "n1 { }")],
      ["neighbour address with a statement", (gw) => (gw.bgp!.neighbors[0].address = "10.0.1.1; protocol static x {")],
      ["pool that is not a prefix", (gw) => (gw.ipsec.roadWarriors[0].pool = "0.0.0.0/0+ ] then accept; [ 1.0.0.0/8")],
      ["ASN that is not an integer", (gw) => (gw.bgp!.localAsn = 1.5)],
    ];
    for (const [what, mutate] of cases) {
      const gw = fixtureModel();
      mutate(gw);
      assert.throws(() => renderBird(gw, FIXTURE_CONTEXT), /bird|prefix/, what);
    }
  });

  it("concern: checked by bird -p, readable by the bird user, reloaded with birdc configure", () => {
    const c = birdConcern(fixtureModel(), FIXTURE_CONTEXT);
    assert.equal(c.name, "bird");
    assert.deepEqual(c.packages, ["bird2"]);
    assert.deepEqual(
      c.files.map((f) => [f.path, f.mode, f.owner, f.validate]),
      [["/etc/bird/bird.conf", "0640", "root:bird", 'bird -p -c "$STAGED"']],
    );
    assert.deepEqual(c.services, [
      {
        unit: "bird",
        onChange: "reload",
        direct: { running: "birdc show status", start: "mkdir -p /run/bird && bird -c /etc/bird/bird.conf", reload: "birdc configure" },
      },
    ]);
  });
});
