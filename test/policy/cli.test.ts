import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { run } from "../../cli/commands/policy";

const ROOT = path.resolve(__dirname, "..", "..");
const FIXTURES = path.join(__dirname, "fixtures");

/** Runs `stage2 policy` in-process and captures what it prints. */
async function policy(...argv: string[]): Promise<{ code: number; out: string[] }> {
  const chunks: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array) => (chunks.push(String(chunk)), true)) as typeof process.stdout.write;
  try {
    const code = await run(argv);
    return { code, out: chunks.join("").trimEnd().split("\n") };
  } finally {
    process.stdout.write = write;
  }
}

describe("stage2 policy", () => {
  it("--stack dev: no mandatory violation, exit 0", async () => {
    const { code, out } = await policy("--stack", "dev");
    assert.strictEqual(code, 0);
    assert.ok(
      out.every((l) => !l.startsWith("[mandatory]")),
      out.join("\n"),
    );
    assert.match(out[out.length - 1], /^stack dev: \d+ resources, 15 policies, 0 mandatory and \d+ advisory finding\(s\)$/);
  });

  it("--stack prod: no mandatory violation, exit 0", async () => {
    const { code, out } = await policy("--stack", "prod");
    assert.strictEqual(code, 0);
    assert.match(out[out.length - 1], /^stack prod: \d+ resources, 15 policies, 0 mandatory and \d+ advisory finding\(s\)$/);
  });

  it("--program with a foreign stack that binds IKE to the WireGuard address: exit 1, naming the policy and the resource", async () => {
    const { code, out } = await policy("--program", path.join(FIXTURES, "foreign-wg-local-addrs.ts"));
    assert.strictEqual(code, 1);
    assert.deepStrictEqual(
      out.filter((l) => l.startsWith("[mandatory]")),
      [
        '[mandatory] ipsec-binds-floating-ip: vpn-config: /etc/swanctl/swanctl.conf: connection "home": local_addrs 10.8.0.1 is inside the WireGuard subnet 10.8.0.1/24 (wg0): IKE would be offered over WireGuard. Set local_addrs = 198.51.100.139.',
      ],
    );
  });

  it("--config-file whose swanctl local_addrs is the WireGuard address: exit 1 naming ipsec-binds-floating-ip (the model rejects it first)", async () => {
    const dev = fs.readFileSync(path.join(ROOT, "stacks", "Pulumi.dev.yaml"), "utf8");
    const bad = dev.replace(
      "      - name: acme-rw\n        pool: 10.3.0.0/24\n",
      "      - name: acme-rw\n        pool: 10.3.0.0/24\n        localAddrs:\n        - 10.8.0.1\n",
    );
    assert.notStrictEqual(bad, dev);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stage2-policy-"));
    try {
      const file = path.join(dir, "Pulumi.wg-local-addrs.yaml");
      fs.writeFileSync(file, bad);
      const { code, out } = await policy("--config-file", file);
      assert.strictEqual(code, 1);
      assert.deepStrictEqual(out, [
        '[mandatory] ipsec-binds-floating-ip: gateways[0].ipsec.roadWarriors[0].localAddrs: must be exactly the floating IP [203.0.113.100] (IKE must bind the public floating IP, never %any or the WireGuard tunnel); leave it out (got ["10.8.0.1"]); the stage2 model rejects it before any resource exists.',
        "stack wg-local-addrs: config rejected, nothing previewed, 15 policies, 1 mandatory and 0 advisory finding(s)",
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("--program with the good foreign stack: exit 0", async () => {
    assert.strictEqual((await policy("--program", path.join(FIXTURES, "foreign-good.ts"))).code, 0);
  });

  it("--policy-pack-config lowers gateway-commands-readable to advisory, as `pulumi preview --policy-pack-config` does", async () => {
    process.env.STAGE2_HOSTILE_SHAPE = "sed-i-after-the-here-document";
    const program = path.join(FIXTURES, "hostile.ts");
    const strict = await policy("--program", program);
    assert.strictEqual(strict.code, 1);
    const finding = strict.out.find((l) => l.startsWith("[mandatory] gateway-commands-readable: vpn-config: create, line "));
    assert.ok(finding, strict.out.join("\n"));
    assert.match(finding, /`sed` edits in place \/etc\/swanctl\/swanctl\.conf/);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stage2-policy-"));
    try {
      const config = path.join(dir, "policy-config.json");
      fs.writeFileSync(config, JSON.stringify({ "gateway-commands-readable": { enforcementLevel: "advisory" } }));
      const lowered = await policy("--program", program, "--policy-pack-config", config);
      assert.strictEqual(lowered.code, 0);
      assert.ok(lowered.out.includes(finding.replace("[mandatory]", "[advisory]")), lowered.out.join("\n"));
      fs.writeFileSync(config, JSON.stringify({ "gateway-commands-readble": "advisory" }));
      await assert.rejects(policy("--program", program, "--policy-pack-config", config), /"gateway-commands-readble" is not a policy of this pack/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the bin script exits 1 on a mandatory violation (end to end, its own process)", function () {
    this.timeout(120000);
    const res = spawnSync(path.join(ROOT, "bin", "stage2"), ["policy", "--program", path.join(FIXTURES, "foreign-wg-local-addrs.ts"), "--json"], {
      encoding: "utf8",
    });
    assert.strictEqual(res.status, 1, res.stderr);
    const report = JSON.parse(res.stdout) as { violations: { policy: string; enforcementLevel: string; resource: string }[] };
    assert.deepStrictEqual(
      report.violations.filter((v) => v.enforcementLevel === "mandatory").map((v) => [v.policy, v.resource]),
      [["ipsec-binds-floating-ip", "vpn-config"]],
    );
  });
});
