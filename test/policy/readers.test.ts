import * as assert from "assert";
import { configuredAddresses } from "../../policy/host/interface-addresses";
import { parseWgConf } from "../../policy/host/wg-conf";
import { Finding } from "../../policy/model/finding";
import { GatewayFiles, readGatewayFiles } from "../../policy/model/gateway-files";
import { heredocFiles } from "../../policy/model/heredoc";
import { HostFileView } from "../../policy/model/host-files";
import { rangeContains, rangesOverlap } from "../../policy/model/ranges";
import { lookup, normalize, Sealed, UNKNOWN } from "../../policy/model/values";
import { readSwanctlText } from "../../components/strongswan/swanctl";
import { swanctlConfigs } from "../../policy/swanctl/config";

describe("policy readers", () => {
  it("heredocFiles: `cat >`, `cat <<EOF >`, `tee`, `<<-` with tabs, and the chmod of the same path", () => {
    const script = [
      "set -e",
      "cat > /etc/swanctl/swanctl.conf <<'EOF'",
      "connections {",
      "}",
      "EOF",
      'cat <<"END" >/etc/nftables.conf',
      "table inet t {}",
      "END",
      "tee /etc/network/interfaces.d/fip <<-X",
      "\taddress 198.51.100.139/32",
      "\tX",
      "chmod 600 /etc/swanctl/swanctl.conf",
      "cat <<EOF",
      "to stdout, not a file",
      "EOF",
    ].join("\n");
    assert.deepStrictEqual(heredocFiles(script), [
      { path: "/etc/swanctl/swanctl.conf", content: "connections {\n}\n", mode: "0600" },
      { path: "/etc/nftables.conf", content: "table inet t {}\n", mode: undefined },
      { path: "/etc/network/interfaces.d/fip", content: "address 198.51.100.139/32\n", mode: undefined },
    ]);
  });

  it("parseWgConf: addresses, port, peers' AllowedIPs, and whether a private key is inline", () => {
    const conf = parseWgConf(
      "/etc/wireguard/wg1.conf",
      "[Interface]\nAddress = 10.8.0.1/24, fd00::1/64\nListenPort = 51821\nPrivateKey = x\n\n[Peer]\nPublicKey = a\nAllowedIPs = 10.8.0.10/32,10.9.0.0/24 # two\n[Peer]\nAllowedIPs = 10.8.0.11/32\n",
    );
    assert.deepStrictEqual(conf, {
      iface: "wg1",
      addresses: ["10.8.0.1/24", "fd00::1/64"],
      listenPort: 51821,
      peers: [{ publicKey: "a", allowedIps: ["10.8.0.10/32", "10.9.0.0/24"] }, { allowedIps: ["10.8.0.11/32"] }],
      hasPrivateKey: true,
      hooks: [],
    });
  });

  it("configuredAddresses: ifupdown address + netmask, networkd Address=, netplan list items, `ip addr add`", () => {
    assert.deepStrictEqual(
      configuredAddresses(
        "/etc/network/interfaces.d/a",
        "iface eth0:1 inet static\n  address 198.51.100.139\n  netmask 255.255.255.255\n# address 192.0.2.1\n  up ip -4 addr add 198.51.100.140/32 dev eth0\n",
      ),
      [
        { address: "198.51.100.139", prefix: 32, path: "/etc/network/interfaces.d/a" },
        { address: "198.51.100.140", prefix: 32, path: "/etc/network/interfaces.d/a" },
      ],
    );
    assert.deepStrictEqual(configuredAddresses("/etc/systemd/network/10-eth0.network", "[Network]\nAddress=198.51.100.141/32\n"), [
      { address: "198.51.100.141", prefix: 32, path: "/etc/systemd/network/10-eth0.network" },
    ]);
  });

  it("swanctlConfigs: the typed document's lists (commas only, as swanctl splits them), values unquoted, includes read through the given reader and split by the file that defines them", () => {
    const asked: string[] = [];
    const read = readSwanctlText(
      'connections {\n  a {\n    local_addrs = 198.51.100.139\n    remote_addrs = "203.0.113.20, 203.0.113.21"\n    children {\n      a {\n        remote_ts = 172.20.0.0/16 172.21.0.0/16\n        start_action = trap|start\n      }\n    }\n  }\n}\nsecrets {\n  ike-a {\n    secret = "a b\\"c"\n  }\n  private-k {\n    file = k.pem\n  }\n}\ninclude conf.d/*.conf\n',
      "/etc/swanctl/swanctl.conf",
      {
        readInclude: (pattern, from) => {
          asked.push(`${from}: ${pattern}`);
          return [{ file: "/etc/swanctl/conf.d/b.conf", text: "connections {\n  b {\n    local_addrs = 198.51.100.140\n  }\n}\n" }];
        },
      },
    );
    assert.deepStrictEqual(asked, ["/etc/swanctl/swanctl.conf: /etc/swanctl/conf.d/*.conf"]);
    const parts = swanctlConfigs(read);
    assert.deepStrictEqual(
      parts.map((p) => [p.file, p.config.connections.map((c) => c.name)]),
      [
        ["/etc/swanctl/swanctl.conf", ["a"]],
        ["/etc/swanctl/conf.d/b.conf", ["b"]],
      ],
    );
    const [config, included] = parts.map((p) => p.config);
    assert.deepStrictEqual(config.connections[0].remoteAddrs, ["203.0.113.20", "203.0.113.21"]);
    // swanctl splits lists at commas only: a blank inside an item does not make two (charon refuses the item)
    assert.deepStrictEqual(config.connections[0].children[0].remoteTs, ["172.20.0.0/16 172.21.0.0/16"]);
    assert.strictEqual(config.connections[0].children[0].startAction, "trap|start");
    assert.deepStrictEqual(config.secrets, [
      { name: "ike-a", inline: true, values: ['a b"c'] },
      { name: "private-k", inline: false, values: [] },
    ]);
    assert.deepStrictEqual(included.connections[0].localAddrs, ["198.51.100.140"]);
  });

  it("readGatewayFiles: a swanctl include reads the stack's own files (never this machine's); findings name the file that holds the fault", () => {
    const view = (name: string, path: string, content: string): HostFileView => ({
      path,
      content,
      secretFlag: false,
      via: "script",
      subject: { type: "command:remote:Command", name, urn: `urn:${name}`, props: {}, dependencies: [] },
    });
    const read = (...files: HostFileView[]) => {
      const gw: GatewayFiles = { files, swanctl: [], rulesets: [], wireguard: [], addresses: [] };
      const out: Finding[] = [];
      readGatewayFiles(gw, [], out);
      return { parts: gw.swanctl.map((s) => [s.file.subject.name, s.file.path, s.config.connections.map((c) => c.name)]), out: out.map((f) => f.message) };
    };
    const main = view("main", "/etc/swanctl/swanctl.conf", "connections {\n  a {\n  }\n}\ninclude conf.d/*.conf\ninclude /etc/swanctl/x/*.conf\n");
    const extra = view("extra", "/etc/swanctl/conf.d/b.conf", "connections {\n  b {\n  }\n}\n");
    const got = read(extra, main);
    // b.conf is read once, as part of swanctl.conf, and its connection stays its own
    assert.deepStrictEqual(got.parts, [
      ["main", "/etc/swanctl/swanctl.conf", ["a"]],
      ["extra", "/etc/swanctl/conf.d/b.conf", ["b"]],
    ]);
    assert.strictEqual(got.out.length, 1);
    assert.match(got.out[0], /^\/etc\/swanctl\/swanctl\.conf: includes \/etc\/swanctl\/x\/\*\.conf, which matches no file this stack writes/);
    const broken = read(main, view("extra", "/etc/swanctl/conf.d/b.conf", "connections {\n  b }\n}\n"));
    assert.strictEqual(broken.out.length, 1);
    assert.match(broken.out[0], /^\/etc\/swanctl\/conf\.d\/b\.conf: could not be read as swanctl\.conf \(a syntax error at line 2\)/);
  });

  it("normalize/lookup: secret and unknown markers in the spellings the engine and the mocks use", () => {
    const tree = normalize({
      connection: { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value: { host: "198.51.100.10", privateKey: "k" } },
      stdin: { __pulumiUnknown: true },
      create: "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
      sealed: new Sealed("s"),
    });
    assert.deepStrictEqual(lookup(tree, "connection.host"), { kind: "known", value: "198.51.100.10", secret: true });
    assert.deepStrictEqual(lookup(tree, "stdin"), { kind: "unknown" });
    assert.deepStrictEqual(lookup(tree, "create"), { kind: "unknown" });
    assert.deepStrictEqual(lookup(tree, "sealed"), { kind: "known", value: "s", secret: true });
    assert.deepStrictEqual(lookup(tree, "missing.path"), { kind: "absent" });
    assert.strictEqual(normalize(undefined), UNKNOWN);
  });

  it("ranges: prefixes, bare addresses and a-b ranges overlap and contain as address sets", () => {
    assert.strictEqual(rangesOverlap("10.8.0.1/24", "10.8.0.200-10.8.1.5"), true);
    assert.strictEqual(rangesOverlap("10.8.0.0/24", "10.8.1.0-10.8.1.5"), false);
    assert.strictEqual(rangesOverlap("%any", "10.8.0.0/24"), false);
    assert.strictEqual(rangeContains("10.0.0.0/8", "10.3.0.0/24"), true);
    assert.strictEqual(rangeContains("10.3.0.0/25", "10.3.0.0/24"), false);
  });
});

describe("secret material", () => {
  it("recognises key material by its shape, and not a reference to it", async () => {
    const { secretKinds } = await import("../../policy/rules/secret-material");
    assert.deepStrictEqual(secretKinds("[Interface]\nPrivateKey = yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=\n"), ["a WireGuard private or preshared key"]);
    assert.deepStrictEqual(secretKinds("[Interface]\nPrivateKey = $(cat /etc/wireguard/wg0.key)\nPostUp = wg set %i private-key /etc/wireguard/wg0.key\n"), []);
    assert.deepStrictEqual(secretKinds("-----BEGIN EC PRIVATE KEY-----\nMHc=\n-----END EC PRIVATE KEY-----\n"), ["a PEM private key"]);
    assert.deepStrictEqual(secretKinds("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"), []);
    assert.deepStrictEqual(secretKinds(': PSK "hunter22"\n'), ["an ipsec.secrets entry"]);
    assert.deepStrictEqual(secretKinds("secrets {\n  eap-alice {\n    id = alice\n    secret = s3cret\n  }\n}\n"), ["a swanctl secret (PSK or EAP password)"]);
    assert.deepStrictEqual(secretKinds("secrets {\n  private-gw {\n    file = gw.pem\n  }\n}\n"), []);
    assert.deepStrictEqual(secretKinds("wg set wg0 private-key /etc/wireguard/wg0.key"), []);
  });
});
