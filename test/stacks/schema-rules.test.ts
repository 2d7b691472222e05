import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { formatProblem } from "../../components/model/gateway";
import { loadStackFile, stackFilePath } from "../../stacks/load";
import { parseStack } from "../../stacks/schema";

/** The prod stack's config (two gateways), changed by `mutate`; every problem as the CLI prints it. */
function problems(mutate: (config: any) => void, keys?: (present: Set<string>) => void): string[] {
  const file = loadStackFile(stackFilePath("prod"));
  const config = JSON.parse(JSON.stringify(file.config));
  mutate(config);
  const present = new Set([...file.secureKeys, ...Object.keys(config)]);
  keys?.(present);
  const r = parseStack(config, (key) => present.has(key));
  return r.ok ? [] : r.problems.map(formatProblem);
}

describe("stack rules across gateways", () => {
  it("the prod stack passes", () =>
    assert.deepEqual(
      problems(() => undefined),
      [],
    ));

  it("duplicate gateway names, server ids and addresses, floating IPs and their ids", () => {
    assert.deepEqual(
      problems((c) => {
        const [a, b] = c.gateways;
        b.name = a.name;
        b.server.id = a.server.id;
        b.server.ipv4 = a.server.ipv4;
        b.floatingIp.address = a.floatingIp.address;
        b.floatingIp.id = a.floatingIp.id;
      }),
      [
        'gateways[1].name: duplicate gateway name (also at gateways[0].name) (got "gw-fsn1")',
        "gateways[1].server.id: duplicate server id (also at gateways[0].server.id) (got 41000101)",
        'gateways[1].server.ipv4: duplicate server address (also at gateways[0].server.ipv4) (got "203.0.113.20")',
        'gateways[1].floatingIp.address: duplicate floating IP (also at gateways[0].floatingIp.address) (got "203.0.113.120")',
        "gateways[1].floatingIp.id: duplicate floating IP id (also at gateways[0].floatingIp.id) (got 1100101)",
      ],
    );
  });

  it("a pool overlapping another gateway's pool", () => {
    assert.deepEqual(
      problems((c) => (c.gateways[1].ipsec.roadWarriors[1].pool = "10.3.1.0/25")),
      [
        'gateways[1].ipsec.roadWarriors[1].pool: overlaps the pool at gateways[0].ipsec.roadWarriors[1].pool (10.3.1.0/24) of another gateway (got "10.3.1.0/25")',
      ],
    );
  });

  it("a site's remoteTs or an extraSwanctl pool inside another gateway's pool", () => {
    assert.deepEqual(
      problems((c) => (c.gateways[0].ipsec.sites[0].remoteTs = ["10.3.16.128/25"])),
      [
        'gateways[0].ipsec.sites[0].remoteTs[0]: overlaps the pool at gateways[1].ipsec.roadWarriors[0].pool (10.3.16.0/24) of another gateway (got "10.3.16.128/25")',
      ],
    );
    assert.deepEqual(
      problems((c) => (c.gateways[1].ipsec.extraSwanctl = { pools: { spare: { addrs: "10.3.0.10-10.3.0.20" } } })),
      [
        'gateways[1].ipsec.extraSwanctl.pools.spare.addrs: overlaps the pool at gateways[0].ipsec.roadWarriors[0].pool (10.3.0.0/24) of another gateway (got "10.3.0.10-10.3.0.20")',
      ],
    );
  });

  it("a missing sshPrivateKey or gateway secret is named with the command that sets it", () => {
    assert.deepEqual(
      problems(
        () => undefined,
        (present) => {
          present.delete("sshPrivateKey");
          present.delete("psk-acme-hq");
        },
      ),
      [
        "sshPrivateKey: is not set: pulumi config set --secret stage2:sshPrivateKey < key",
        "gateways[0] → stage2:psk-acme-hq: secret for acme-hq: pre-shared key is not set: pulumi config set --secret stage2:psk-acme-hq",
      ],
    );
  });
});

describe("stack rules: secret values reach strongSwan as written, and are never shown", () => {
  const SITE = "gateways[0].ipsec.sites[0].auth.secret → stage2:psk-acme-hq";
  const withPsk = (value: unknown, encoding?: string) => (c: any) => {
    c["psk-acme-hq"] = value;
    if (encoding) c.gateways[0].ipsec.sites[0].auth.secretEncoding = encoding;
  };

  it("a PSK given as a YAML number, empty, or null", () => {
    assert.deepEqual(problems(withPsk(123456)), [`${SITE}: is a YAML number, not text: quote the value`]);
    assert.deepEqual(problems(withPsk("")), [`${SITE}: is empty`]);
    assert.deepEqual(problems(withPsk(null)), [`${SITE}: is a YAML null, not text: quote the value`]);
    assert.deepEqual(
      problems((c) => (c.sshPrivateKey = 42)),
      ["stage2:sshPrivateKey: is a YAML number, not text: quote the value"],
    );
  });

  it("a PSK beginning with 0x or 0s written bare, and deliberately encoded ones", () => {
    assert.deepEqual(problems(withPsk("0xdeadbeef-secret")), [
      `${SITE}: begins with 0x, so strongSwan would decode the rest as hex instead of using the text: if it is hex, set gateways[0].ipsec.sites[0].auth.secretEncoding: hex; if it is text, choose one that does not begin with 0x or 0s (or give it hex-encoded)`,
    ]);
    assert.deepEqual(problems(withPsk("0sesame-open")), [
      `${SITE}: begins with 0s, so strongSwan would decode the rest as base64 instead of using the text: if it is base64, set gateways[0].ipsec.sites[0].auth.secretEncoding: base64; if it is text, choose one that does not begin with 0x or 0s (or give it hex-encoded)`,
    ]);
    assert.deepEqual(problems(withPsk("0xdeadbeef", "hex")), []);
    assert.deepEqual(problems(withPsk("0sc2VjcmV0LXBzaw==", "base64")), []);
    assert.deepEqual(problems(withPsk("0xdeadbee", "hex")), [
      `${SITE}: must be 0x followed by pairs of hex digits (gateways[0].ipsec.sites[0].auth.secretEncoding is hex)`,
    ]);
    assert.deepEqual(problems(withPsk("not-base64", "base64")), [
      `${SITE}: must be 0s followed by base64 (gateways[0].ipsec.sites[0].auth.secretEncoding is base64)`,
    ]);
  });

  it("an EAP password beginning with 0x", () => {
    assert.deepEqual(
      problems((c) => (c["eap-acme-bob"] = "0x1234")),
      [
        "gateways[0].ipsec.roadWarriors[0].clients.users[1].passwordSecret → stage2:eap-acme-bob: begins with 0x, so strongSwan would decode the rest as hex instead of using the text: choose a password that does not begin with 0x or 0s",
        "gateways[1].ipsec.roadWarriors[0].clients.users[1].passwordSecret → stage2:eap-acme-bob: begins with 0x, so strongSwan would decode the rest as hex instead of using the text: choose a password that does not begin with 0x or 0s",
      ],
    );
  });
});

describe("stack rules through the CLI: render and policy refuse, name field and value, write nothing", function () {
  this.timeout(120000);
  const BIN = path.resolve(__dirname, "..", "..", "bin", "stage2");
  let tmp: string;
  before(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), "stage2-rules-"))));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("a copy of prod with a dangerous gateway and a bare 0x PSK", () => {
    const doc = YAML.parse(fs.readFileSync(stackFilePath("prod"), "utf8"));
    const gws = doc.config["stage2:gateways"];
    gws[0].private.interface = "eth0";
    gws[1].wireguard.listenPort = 4500;
    gws[1].ipsec.sites[0].remoteTs = ["10.3.0.0/24"];
    const marker = "0xCANARY-5b1e";
    doc.config["stage2:psk-acme-hq"] = marker;
    const file = path.join(tmp, "Pulumi.bad.yaml");
    fs.writeFileSync(file, YAML.stringify(doc));
    const expected = [
      'gateways[0].private.interface: must differ from publicInterface (eth0): the firewall tells the private network from the internet by interface (got "eth0")',
      "gateways[1].wireguard.listenPort: is one of IKE's ports (500, 4500), which charon owns (got 4500)",
    ];
    const out = path.join(tmp, "out");
    for (const args of [
      ["render", "--config-file", file, "--out", out],
      ["policy", "--config-file", file],
    ]) {
      const r = spawnSync(BIN, args, { encoding: "utf8" });
      assert.equal(r.status, 1, `${args[0]}: ${r.stdout}${r.stderr}`);
      for (const line of expected) assert.ok((r.stdout + r.stderr).includes(line), `${args[0]} does not say: ${line}\n${r.stdout}${r.stderr}`);
      assert.ok(!(r.stdout + r.stderr).includes("CANARY"), `${args[0]} printed the PSK`);
    }
    assert.equal(fs.existsSync(out), false, "render wrote something");
    // Model problems stop the stack before the secret checks; with the model fixed, the PSK is named by its key.
    gws[0].private.interface = "enp7s0";
    gws[1].wireguard.listenPort = 51820;
    fs.writeFileSync(file, YAML.stringify(doc));
    const r = spawnSync(BIN, ["policy", "--config-file", file], { encoding: "utf8" });
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stdout + r.stderr, /gateways\[0\]\.ipsec\.sites\[0\]\.auth\.secret → stage2:psk-acme-hq: begins with 0x/);
    assert.match(
      r.stdout + r.stderr,
      /gateways\[1\]\.ipsec\.sites\[0\]\.remoteTs\[0\]: overlaps the pool at gateways\[0\]\.ipsec\.roadWarriors\[0\]\.pool \(10\.3\.0\.0\/24\) of another gateway \(got "10\.3\.0\.0\/24"\)/,
    );
    assert.ok(!(r.stdout + r.stderr).includes("CANARY"), "policy printed the PSK");
  });
});
