import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { bigGatewayStack, scaledSize, siteName, stackYaml } from "../../bench/big-gateway";
import { decodePayload } from "../../components/host/payload";
import { parseGateway } from "../../components/model/gateway";
import { poolAddresses, poolWarnings } from "../../components/model/pool-capacity";
import { RecordedResource } from "../../preview/runtime";
import { SWANCTL_CONF, SWANCTL_SECRETS } from "../../components/strongswan/gateway-swanctl";
import { previewConfig } from "../helpers/preview";
import { parseStackYaml } from "../../stacks/stack-yaml";

/** Behaviour at scale, not time: figures come from `npm run bench -- --only scale`. */

const BIN = path.resolve(__dirname, "..", "..", "bin", "stage2");

const commands = (resources: RecordedResource[]): Map<string, string> =>
  new Map(resources.filter((r) => r.type === "command:remote:Command").map((r) => [r.name, JSON.stringify(r.inputs)]));

function fileOf(resources: RecordedResource[], command: string, file: string): string {
  const res = resources.find((r) => r.type === "command:remote:Command" && r.name === command);
  assert.ok(res, `no resource ${command}`);
  const found = decodePayload(String(res.inputs.stdin))?.find((f) => f.path === file);
  assert.ok(found, `${command} carries no ${file}`);
  return found.content;
}

describe("a big gateway (bench/big-gateway.ts), under mocks", function () {
  this.timeout(180000);

  it("2,000 EAP users, 10 classes and 200 sites preview: every user's secret, every site's connection, one command each", async () => {
    const size = scaledSize(200);
    const { config, secureKeys } = bigGatewayStack(size);
    const { resources } = await previewConfig(config, secureKeys);
    const one = bigGatewayStack(scaledSize(1));
    const smallest = (await previewConfig(one.config, one.secureKeys)).resources;
    assert.deepEqual([...commands(resources).keys()].sort(), [...commands(smallest).keys()].sort(), "the same commands as a one-site gateway");
    assert.equal(resources.length, smallest.length, "no resource per user or per site");
    const secretsFile = fileOf(resources, "gw-big-swanctl-secrets", SWANCTL_SECRETS);
    assert.equal(secretsFile.match(/^\teap-rw-\d+-\d+ \{$/gm)?.length, size.users);
    assert.equal(secretsFile.match(/^\tike-site-\d+ \{$/gm)?.length, size.sites);
    assert.match(secretsFile, /secret = "\(redacted: secret stage2:eap-rw-10-02000\)"/);
    const conf = fileOf(resources, "gw-big-swanctl", SWANCTL_CONF);
    assert.equal(conf.match(/^\t(rw-\d+|site-\d+) \{$/gm)?.length, size.classes + size.sites);
    assert.doesNotMatch(conf, /redacted/, "swanctl.conf holds no secret stand-in");
    const secrets = resources.find((r) => r.type === "command:remote:Command" && r.name === "gw-big-swanctl-secrets")!;
    assert.ok(secrets.secretPaths.includes("stdin"), "the secrets travel as a secret input");
  });

  it("a one-site change (the peer moved to a new address) touches exactly one remote command: swanctl", async () => {
    const { config, secureKeys } = bigGatewayStack(scaledSize(20));
    const before = commands((await previewConfig(config, secureKeys)).resources);
    const changed = JSON.parse(JSON.stringify(config));
    const site = changed.gateways[0].ipsec.sites[7];
    assert.equal(site.name, siteName(7));
    site.remoteAddrs = ["100.64.9.9"];
    const after = commands((await previewConfig(changed, secureKeys)).resources);
    assert.deepEqual([...after.keys()].sort(), [...before.keys()].sort());
    assert.deepEqual(
      [...before.keys()].filter((k) => before.get(k) !== after.get(k)),
      ["gw-big-swanctl"],
    );
  });
});

describe("pool capacity (render-time warning)", function () {
  this.timeout(60000);

  it("counts a pool's addresses as charon does: without the block's first and last address", () => {
    assert.equal(poolAddresses("10.3.0.0/24"), 254);
    assert.equal(poolAddresses("10.3.0.0/30"), 2);
    assert.equal(poolAddresses("10.3.0.0/31"), 2);
    assert.equal(poolAddresses("10.3.0.0/32"), 1);
    assert.equal(poolAddresses("fd00::/64"), 2 ** 31 - 2);
  });

  const gatewayWith = (users: number, pool: string) => {
    const { config } = bigGatewayStack({ sites: 1, classes: 1, users });
    const raw = (config.gateways as Record<string, any>[])[0];
    raw.ipsec.roadWarriors[0].pool = pool;
    const parsed = parseGateway(raw);
    assert.ok(parsed.ok, JSON.stringify(!parsed.ok && parsed.problems));
    return parsed.gateway;
  };

  it("warns when a class has more users than its pool holds, and only then", () => {
    assert.deepEqual(poolWarnings(gatewayWith(254, "10.64.0.0/24"), "gateways[0]"), []);
    assert.deepEqual(poolWarnings(gatewayWith(255, "10.64.0.0/24"), "gateways[0]"), [
      "gateways[0].ipsec.roadWarriors[0] (rw-01): 255 EAP users share the pool 10.64.0.0/24 of 254 addresses: with 254 of them connected, charon refuses the next one a virtual IP",
    ]);
  });

  describe("through the CLI", () => {
    let tmp: string;
    before(() => {
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), "stage2-scale-"));
      const stack = bigGatewayStack({ sites: 1, classes: 1, users: 3 });
      ((stack.config.gateways as Record<string, any>[])[0].ipsec.roadWarriors[0] as { pool: string }).pool = "10.64.0.0/30";
      fs.writeFileSync(path.join(tmp, "Pulumi.small-pool.yaml"), stackYaml(stack));
    });
    after(() => fs.rmSync(tmp, { recursive: true, force: true }));
    const stage2 = (...args: string[]) => spawnSync(BIN, [...args, "--config-file", path.join(tmp, "Pulumi.small-pool.yaml")], { encoding: "utf8" });
    const warning = /^warning: gateways\[0\]\.ipsec\.roadWarriors\[0\] \(rw-01\): 3 EAP users share the pool 10\.64\.0\.0\/30 of 2 addresses/m;

    it("render prints the warning on stderr and still renders", () => {
      const r = stage2("render", "--out", path.join(tmp, "out"));
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stderr, warning);
      assert.ok(fs.existsSync(path.join(tmp, "out", "gw-big", "etc", "swanctl", "swanctl.conf")));
    });

    it("preview --json prints it on stderr, its stdout stays one JSON document", () => {
      const r = stage2("preview", "--json");
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stderr, warning);
      assert.ok(Array.isArray(JSON.parse(r.stdout).resources));
    });
  });
});

describe("stack YAML (parsed without the yaml package's quadratic duplicate-key check)", () => {
  it("refuses a duplicate key in any map, at its line, as YAML.parse does", () => {
    for (const [text, line] of [
      ["config:\n  stage2:a: 1\n  stage2:b: 2\n  stage2:a: 3\n", 4],
      ["config:\n  stage2:gateways:\n    - name: a\n      name: b\n", 4],
    ] as const) {
      assert.throws(
        () => parseStackYaml(text),
        (err: Error & { linePos?: { line: number }[] }) => /Map keys must be unique/.test(err.message) && err.linePos?.[0].line === line,
      );
    }
  });

  it("reads the same values as YAML.parse, and a second read is a copy, not the same objects", () => {
    const text = stackYaml(bigGatewayStack(scaledSize(2)));
    const first = parseStackYaml(text) as { config: Record<string, unknown> };
    assert.deepEqual(first, YAML.parse(text));
    first.config["stage2:gateways"] = [];
    assert.notDeepEqual((parseStackYaml(text) as { config: Record<string, unknown> }).config["stage2:gateways"], []);
  });
});
