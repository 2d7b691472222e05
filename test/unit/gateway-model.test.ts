import { strict as assert } from "assert";
import { formatProblem, GatewayInput, parseGateway } from "../../components/model/gateway";
import { fixtureGateway } from "../fixtures/gateway";

function problems(mutate: (gw: any) => void): string[] {
  const gw = JSON.parse(JSON.stringify(fixtureGateway())) as GatewayInput;
  mutate(gw);
  const r = parseGateway(gw, "gateways[0]");
  return r.ok ? [] : r.problems.map(formatProblem);
}

describe("gateway model: bad input names the field and the value", () => {
  it("accepts the fixture", () =>
    assert.deepEqual(
      problems(() => undefined),
      [],
    ));

  it("a pool overlapping the WireGuard subnet", () => {
    assert.deepEqual(
      problems((gw) => (gw.ipsec.roadWarriors[0].pool = "10.8.0.0/25")),
      [
        'gateways[0].ipsec.roadWarriors[0].pool: overlaps the WireGuard subnet 10.8.0.1/24 (got "10.8.0.0/25")',
        'gateways[0].ipsec.roadWarriors[0].pool: overlaps wireguard.peers[0].allowedIps (10.8.0.2/32) (got "10.8.0.0/25")',
        'gateways[0].ipsec.roadWarriors[0].pool: overlaps wireguard.peers[1].allowedIps (10.8.0.3/32) (got "10.8.0.0/25")',
      ],
    );
  });

  it("a pool overlapping another pool", () => {
    const out = problems((gw) =>
      gw.ipsec.roadWarriors.push({
        ...gw.ipsec.roadWarriors[0],
        name: "other-rw",
        pool: "10.3.0.128/25",
        clients: { kind: "eap-mschapv2", users: [{ id: "bob@acme.example", passwordSecret: "eap-bob" }] },
      }),
    );
    assert.deepEqual(out, ['gateways[0].ipsec.roadWarriors[1].pool: overlaps the pool at ipsec.roadWarriors[0].pool (10.3.0.0/24) (got "10.3.0.128/25")']);
  });

  it("local_addrs that is not the floating IP (the notes' .39 instead of .139)", () => {
    assert.deepEqual(
      problems((gw) => (gw.ipsec.sites[0].localAddrs = ["203.0.113.39"])),
      [
        'gateways[0].ipsec.sites[0].localAddrs: must be exactly the floating IP [203.0.113.100] (IKE must bind the public floating IP, never %any or the WireGuard tunnel); leave it out (got ["203.0.113.39"])',
      ],
    );
    assert.equal(problems((gw) => (gw.ipsec.roadWarriors[0].localAddrs = ["%any"])).length, 1);
    assert.deepEqual(
      problems((gw) => (gw.ipsec.roadWarriors[0].localAddrs = ["203.0.113.100"])),
      [],
    );
  });

  it("an ASN or MTU out of range", () => {
    assert.deepEqual(
      problems((gw) => (gw.bgp.localAsn = 4294967295)),
      ["gateways[0].bgp.localAsn: Number must be less than or equal to 4294967294 (got 4294967295)"],
    );
    assert.deepEqual(
      problems((gw) => (gw.publicMtu = 576)),
      ["gateways[0].publicMtu: Number must be greater than or equal to 1280 (got 576)"],
    );
  });

  it("duplicate names", () => {
    assert.deepEqual(
      problems((gw) => (gw.ipsec.sites[0].name = "acme-rw")),
      ['gateways[0].ipsec.sites[0].name: duplicate connection name (also at ipsec.roadWarriors[0].name) (got "acme-rw")'],
    );
  });

  it("illegal characters that could open a new section", () => {
    const out = problems((gw) => (gw.ipsec.roadWarriors[0].name = "rw}\nconnections{"));
    assert.equal(out.length, 1);
    assert.match(out[0], /^gateways\[0\]\.ipsec\.roadWarriors\[0\]\.name: roadWarriors\[\]\.name must be lower-case letters.* \(got "rw}\\nconnections{"\)$/);
    assert.match(
      problems((gw) => (gw.ipsec.sites[0].auth.remoteId = 'hq" }'))[0],
      /^gateways\[0\]\.ipsec\.sites\[0\]\.auth\.remoteId: must be one line without quotes/,
    );
  });

  it("IPsec peers and selectors inside WireGuard ranges", () => {
    const out = problems((gw) => {
      gw.ipsec.sites[0].remoteAddrs = ["10.8.0.5"];
      gw.ipsec.sites[0].remoteTs = ["10.8.0.0/16"];
    });
    assert.deepEqual(out, [
      'gateways[0].ipsec.sites[0].remoteAddrs[0]: is inside the WireGuard subnet: IPsec must not run over WireGuard (got "10.8.0.5")',
      'gateways[0].ipsec.sites[0].remoteTs[0]: overlaps the WireGuard subnet or a WireGuard peer\'s allowedIps (got "10.8.0.0/16")',
    ]);
  });

  it("a BGP neighbour outside the private network; unknown keys", () => {
    assert.deepEqual(
      problems((gw) => (gw.bgp.neighbors[0].address = "198.51.100.9")),
      ['gateways[0].bgp.neighbors[0].address: is not in the private network: BGP stays on the private network (got "198.51.100.9")'],
    );
    assert.match(
      problems((gw) => (gw.ipsec.roadWarriors[0].poool = "x"))[0],
      /^gateways\[0\]\.ipsec\.roadWarriors\[0\]: Unrecognized key\(s\) in object: 'poool'/,
    );
  });

  it("lists every problem at once", () => {
    const out = problems((gw) => {
      gw.bgp.localAsn = 0;
      gw.wireguard.listenPort = 70000;
      gw.floatingIp.location = "mars";
    });
    assert.equal(out.length, 3);
  });
});
