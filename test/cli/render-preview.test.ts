import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { stackFilePath } from "../../stacks/load";

const BIN = path.resolve(__dirname, "..", "..", "bin", "stage2");

function stage2(...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(BIN, args, { encoding: "utf8" });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

function listFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: false })
    .map(String)
    .filter((f) => fs.statSync(path.join(dir, f)).isFile())
    .sort();
}

describe("stage2 render / preview (the CLI, as a user runs it)", function () {
  this.timeout(60000);
  let tmp: string;
  before(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), "stage2-cli-"))));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("render writes every file at <host>/<absolute path> and a manifest of validate/activate commands", () => {
    const r = stage2("render", "--stack", "dev", "--out", path.join(tmp, "a"));
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out.split("\n")[0], "gw-dev: 9 concerns, 18 files");
    const files = listFiles(path.join(tmp, "a"));
    for (const f of [
      "gw-dev/etc/swanctl/swanctl.conf",
      "gw-dev/etc/swanctl/conf.d/stage2-secrets.conf",
      "gw-dev/etc/nftables.conf",
      "gw-dev/etc/bird/bird.conf",
      "gw-dev/etc/wireguard/wg0.conf",
      "gw-dev/etc/sysctl.d/60-stage2.conf",
      "gw-dev/etc/network/interfaces.d/60-stage2-floating-ip",
      "gw-dev/etc/stage2/strongswan-metrics",
      "gw-dev/etc/systemd/system/stage2-strongswan-metrics.timer",
      "gw-dev/.stage2/swanctl.sh",
      "gw-dev/.stage2/metrics.sh",
      "manifest.json",
    ]) {
      assert.ok(files.includes(f), `missing ${f}`);
    }
    const manifest = JSON.parse(fs.readFileSync(path.join(tmp, "a", "manifest.json"), "utf8"));
    const nft = manifest.hosts["gw-dev"].find((c: any) => c.concern === "nftables");
    assert.deepEqual(nft.files, [{ path: "/etc/nftables.conf", mode: "0755", owner: "root:root", secret: false, validate: 'nft -c -f "$STAGED"' }]);
    assert.deepEqual(nft.services, [{ unit: "nftables", onChange: "reload" }]);
    const secrets = fs.readFileSync(path.join(tmp, "a", "gw-dev/etc/swanctl/conf.d/stage2-secrets.conf"), "utf8");
    assert.match(secrets, /secret = "\(redacted: secret stage2:eap-acme-alice\)"/);
    assert.equal((fs.statSync(path.join(tmp, "a", "gw-dev/etc/swanctl/conf.d/stage2-secrets.conf")).mode & 0o777).toString(8), "600");
  });

  it("a second render of an unchanged stack is byte-identical", () => {
    assert.equal(stage2("render", "--stack", "prod", "--out", path.join(tmp, "p1")).code, 0);
    assert.equal(stage2("render", "--stack", "prod", "--out", path.join(tmp, "p2")).code, 0);
    const one = listFiles(path.join(tmp, "p1"));
    assert.deepEqual(listFiles(path.join(tmp, "p2")), one);
    for (const f of one) assert.ok(fs.readFileSync(path.join(tmp, "p1", f)).equals(fs.readFileSync(path.join(tmp, "p2", f))), f);
  });

  it("bad config exits 1 listing every problem with its field path and value, and renders nothing", () => {
    const doc = YAML.parse(fs.readFileSync(stackFilePath("dev"), "utf8"));
    const gw = doc.config["stage2:gateways"][0];
    gw.bgp.localAsn = 0;
    gw.ipsec.roadWarriors[0].pool = "10.8.0.0/24";
    gw.ipsec.sites[0].name = "acme hq";
    const bad = path.join(tmp, "Pulumi.bad.yaml");
    fs.writeFileSync(bad, YAML.stringify(doc));
    const r = stage2("render", "--config-file", bad, "--out", path.join(tmp, "bad-out"));
    assert.equal(r.code, 1);
    // Shape errors come first, all of them; cross-field rules run once every field has a valid shape.
    assert.match(r.err, /invalid stack configuration \(2 problem\(s\)\)/);
    assert.match(r.err, /gateways\[0\]\.ipsec\.sites\[0\]\.name: sites\[\]\.name must be lower-case .* \(got "acme hq"\)/);
    assert.match(r.err, /gateways\[0\]\.bgp\.localAsn: Number must be greater than or equal to 1 \(got 0\)/);
    assert.equal(fs.existsSync(path.join(tmp, "bad-out")), false);
    gw.bgp.localAsn = 64512;
    gw.ipsec.sites[0].name = "acme-hq";
    fs.writeFileSync(bad, YAML.stringify(doc));
    const cross = stage2("render", "--config-file", bad, "--out", path.join(tmp, "bad-out"));
    assert.equal(cross.code, 1);
    assert.match(cross.err, /gateways\[0\]\.ipsec\.roadWarriors\[0\]\.pool: overlaps the WireGuard subnet 10\.8\.0\.1\/24 \(got "10\.8\.0\.0\/24"\)/);
    assert.equal(fs.existsSync(path.join(tmp, "bad-out")), false);
  });

  it("a secret the stack references but never sets is named with the command that sets it", () => {
    const doc = YAML.parse(fs.readFileSync(stackFilePath("dev"), "utf8"));
    delete doc.config["stage2:psk-acme-hq"];
    const bad = path.join(tmp, "Pulumi.nosecret.yaml");
    fs.writeFileSync(bad, YAML.stringify(doc));
    const r = stage2("preview", "--config-file", bad);
    assert.equal(r.code, 1);
    assert.match(r.err, /gateways\[0\] → stage2:psk-acme-hq: secret for acme-hq: pre-shared key is not set: pulumi config set --secret stage2:psk-acme-hq/);
  });

  it("preview lists each gateway's resources with the inputs that matter", () => {
    const r = stage2("preview", "--stack", "dev");
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^stack dev: 1 gateway\(s\), 21 resources to create$/m);
    assert.match(r.out, /\+ hcloud:index\/floatingIp:FloatingIp {2}gw-dev-fip\n\s+type=ipv4 homeLocation=fsn1 import=1100001 protected/);
    assert.match(
      r.out,
      /\+ command:remote:Command {2}gw-dev-swanctl-secrets\n\s+root@203\.0\.113\.10:22 hostKey pinned .*\n\s+files: \/etc\/swanctl\/conf\.d\/stage2-secrets\.conf 0600 secret, \/etc\/swanctl\/private\/acme-rw\.pem 0600 secret, \/etc\/swanctl\/stage2-admitted\.tsv 0600\n\s+secret inputs: stdin/,
    );
    assert.doesNotMatch(r.out, /NOT PINNED/);
  });

  it("usage errors exit 2 and say what is wrong", () => {
    const r = stage2("render", "--stack", "dev");
    assert.equal(r.code, 1);
    assert.match(r.err, /--out <dir> is required/);
    const u = stage2("preview", "--stack", "dev", "--config-file", "x");
    assert.equal(u.code, 2);
    assert.match(u.err, /give --stack or --config-file, not both/);
  });
});
