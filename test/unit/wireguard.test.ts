import { strict as assert } from "assert";
import { WIREGUARD_VALIDATE, wireguardConcern, wireguardStateCommands, wireguardSyncCommand } from "../../components/wireguard/concern";
import { renderWireguard, wireguardPublicKeyCommand } from "../../components/wireguard/render";
import { GatewayModel } from "../../components/model/gateway";
import { FIXTURE_CONTEXT, fixtureModel } from "../fixtures/gateway";

const EXPECTED = [
  "# managed by stage2: do not edit, every apply overwrites it",
  "# The private key stays on this host in /etc/wireguard/wg0.key; PostUp loads it.",
  "[Interface]",
  "Address = 10.8.0.1/24",
  "ListenPort = 51820",
  "MTU = 1420",
  "PostUp = wg set %i private-key /etc/wireguard/wg0.key",
  "",
  "[Peer]",
  "# laptop",
  "PublicKey = C/d28GCXPCU2eKCaxlZeuZo4boQVoTUIxGd4b3DrO3M=",
  "AllowedIPs = 10.8.0.2/32",
  "PersistentKeepalive = 25",
  "",
  "[Peer]",
  "# branch",
  "PublicKey = /sof+Mu7JtVt2k02YyhOpuB0jj0RgwUWFuPBFwBfA1E=",
  "AllowedIPs = 10.8.0.3/32, 172.16.5.0/24",
  "Endpoint = 198.51.100.30:51820",
];

function hostile(mutate: (gw: GatewayModel) => void): GatewayModel {
  const gw = fixtureModel();
  mutate(gw);
  return gw;
}

describe("WireGuard renderer", () => {
  it("renders wg0.conf without any private key, for both dataplanes", () => {
    for (const dataplane of ["xfrm", "libipsec"] as const) {
      const out = renderWireguard(fixtureModel(dataplane), FIXTURE_CONTEXT);
      assert.equal(out, EXPECTED.join("\n") + "\n");
      assert.ok(!/PrivateKey/.test(out));
    }
  });

  it("is deterministic", () => {
    assert.equal(renderWireguard(fixtureModel(), FIXTURE_CONTEXT), renderWireguard(fixtureModel(), FIXTURE_CONTEXT));
  });

  it("rejects values that could add a line or a section", () => {
    const cases: [string, (gw: GatewayModel) => void][] = [
      ["peer name with a newline", (gw) => (gw.wireguard.peers[0].name = "laptop\n[Peer]")],
      ["public key with a newline", (gw) => (gw.wireguard.peers[0].publicKey = "C/d28GCXPCU2eKCaxlZeuZo4boQVoTUIxGd4b3DrO3M=\nEndpoint = x:1")],
      ["allowed IPs with a newline", (gw) => (gw.wireguard.peers[0].allowedIps = ["10.8.0.2/32\nPostUp = rm -rf /"])],
      ["endpoint with a newline", (gw) => (gw.wireguard.peers[1].endpoint = "198.51.100.30:51820\nPostUp = id")],
      ["address that is not a prefix", (gw) => (gw.wireguard.address = "10.8.0.1/24; id")],
      ["interface name with a slash", (gw) => (gw.wireguard.interface = "../wg0")],
      ["keepalive that is not an integer", (gw) => (gw.wireguard.peers[0].persistentKeepalive = 2.5)],
    ];
    for (const [what, mutate] of cases) assert.throws(() => renderWireguard(hostile(mutate), FIXTURE_CONTEXT), /wireguard/, what);
  });

  it("prints the public key from the host's key file", () => {
    assert.equal(wireguardPublicKeyCommand(fixtureModel()), "wg pubkey < /etc/wireguard/wg0.key");
  });

  it("concern: key generated once on the host; hitless syncconf that keeps the key; wg-quick@wg0 is never reloaded", () => {
    const c = wireguardConcern(fixtureModel(), FIXTURE_CONTEXT);
    assert.equal(c.name, "wireguard");
    assert.deepEqual(c.packages, ["wireguard-tools"]);
    assert.deepEqual(c.prepare, [
      "[ -s /etc/wireguard/wg0.key ] || { mkdir -p -m 0700 /etc/wireguard && (umask 077 && wg genkey > /etc/wireguard/wg0.key.tmp) && mv /etc/wireguard/wg0.key.tmp /etc/wireguard/wg0.key; }",
    ]);
    assert.deepEqual(
      c.files.map((f) => [f.path, f.mode, f.secret, f.validate]),
      [["/etc/wireguard/wg0.conf", "0600", undefined, WIREGUARD_VALIDATE]],
    );
    assert.deepEqual(c.services, [
      {
        unit: "wg-quick@wg0",
        onChange: "none",
        direct: { running: "wg show wg0", start: "WG_QUICK_USERSPACE_IMPLEMENTATION=wireguard-go wg-quick up wg0" },
      },
    ]);
    assert.deepEqual(c.activate, [
      `wg syncconf wg0 <(wg-quick strip wg0 | awk -v keyfile=/etc/wireguard/wg0.key '{ print } /^\\[Interface\\]/ { getline key < keyfile; print "PrivateKey = " key }')`,
      ...wireguardStateCommands("wg0", "/etc/wireguard/wg0.conf"),
    ]);
    assert.equal(c.activate?.[0], wireguardSyncCommand(fixtureModel()));
  });
});
