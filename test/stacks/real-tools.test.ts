import { strict as assert } from "assert";
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { planGateway } from "../../components/plan";
import { HostFile } from "../../components/host/types";
import { floatingIpOf, loadStack } from "../../cli/stack-source";
import { stackFilePath } from "../../stacks/load";
import { CharonSandbox } from "../../lab/charon-sandbox";
import { requireRoot, requireTools } from "../helpers/env";

/** Secrets for a test converge: random PSKs/passwords and real private keys, so charon loads every credential. */
function testSecrets(refs: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const ref of refs) {
    out[ref] = ref.endsWith("-key")
      ? execFileSync("pki", ["--gen", "--type", "ed25519", "--outform", "pem"], { stdio: ["ignore", "pipe", "ignore"] }).toString()
      : `test-${ref}-${Math.random().toString(36).slice(2)}`;
  }
  return out;
}

function writeTree(root: string, files: readonly HostFile[]): void {
  for (const f of files) {
    const target = path.join(root, f.path);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, f.content, { mode: parseInt(f.mode, 8) });
  }
}

function run(cmd: string, args: string[]): { code: number; out: string } {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

for (const env of ["dev", "prod"]) {
  describe(`stack ${env}: every rendered file passes the daemon's own parser`, function () {
    this.timeout(60000);
    const loaded = loadStack(stackFilePath(env));
    let root: string;
    before(function () {
      requireRoot(this);
      requireTools(this, "nft", "bird", "wg", "wg-quick", "swanctl", "/usr/lib/ipsec/charon", "sysctl", "unshare", "pki");
      root = fs.mkdtempSync(path.join(os.tmpdir(), `stage2-${env}-`));
    });
    after(() => root && fs.rmSync(root, { recursive: true, force: true }));

    for (const gw of loaded.stack.gateways) {
      describe(gw.name, () => {
        const fip = floatingIpOf(gw);
        const secrets = testSecrets(loaded.stack.secretRefs.get(gw.name) ?? []);
        const plan = planGateway(gw, { floatingIp: fip }, secrets);
        const files = plan.concerns.flatMap((c) => c.files);
        const host = () => path.join(root, gw.name);
        const file = (p: string) => path.join(host(), p);
        before(() => writeTree(host(), files));

        it("nft -c accepts /etc/nftables.conf, and it loads in a namespace as table inet stage2", () => {
          const check = run("unshare", ["--net", "nft", "-c", "-f", file("/etc/nftables.conf")]);
          assert.equal(check.code, 0, check.out);
          const listed = run("unshare", ["--net", "sh", "-c", `nft -f ${file("/etc/nftables.conf")} && nft list table inet stage2`]);
          assert.equal(listed.code, 0, listed.out);
          assert.match(listed.out, new RegExp(`ip daddr ${fip.replace(/\./g, "\\.")} udp dport \\{ 500, 4500 \\} accept`));
        });

        it("bird -p accepts /etc/bird/bird.conf", () => {
          const r = run("bird", ["-p", "-c", file("/etc/bird/bird.conf")]);
          assert.equal(r.code, 0, r.out);
        });

        it("wg parses /etc/wireguard/wg0.conf (the concern's own validate: wg-quick strip | wg setconf)", () => {
          const validate = plan.concerns.find((c) => c.name === "wireguard")!.files[0].validate!;
          const ok = spawnSync("bash", ["-c", validate], { env: { ...process.env, STAGED: file("/etc/wireguard/wg0.conf") }, encoding: "utf8" });
          assert.equal(ok.status, 0, ok.stdout + ok.stderr);
          const broken = path.join(host(), "broken-wg0.conf");
          fs.writeFileSync(broken, fs.readFileSync(file("/etc/wireguard/wg0.conf"), "utf8").replace("AllowedIPs = ", "AllowedIPs = 999.1.1.1/33,"));
          const bad = spawnSync("bash", ["-c", validate], { env: { ...process.env, STAGED: broken }, encoding: "utf8" });
          assert.notEqual(bad.status, 0, "a broken AllowedIPs must be rejected");
        });

        it("sysctl -p applies /etc/sysctl.d/60-stage2.conf in a network namespace", () => {
          const r = run("unshare", ["--net", "sysctl", "-p", file("/etc/sysctl.d/60-stage2.conf")]);
          assert.equal(r.code, 0, r.out);
          assert.match(r.out, /net\.ipv4\.ip_forward = 1/);
        });

        it("a running charon loads swanctl.conf and lists local_addrs = the floating IP for every connection", async () => {
          const charon = await CharonSandbox.start();
          try {
            const load = charon.load(file("/etc/swanctl/swanctl.conf"));
            assert.ok(load.accepted, `${load.output}\n${charon.log()}`);
            const unreadable = load.credentialNotes.filter((n) => !/^opening directory .* No such file/.test(n));
            assert.deepEqual(unreadable, [], "every certificate and key rendered must load");
            const conns = [...gw.ipsec.roadWarriors, ...gw.ipsec.sites].map((c) => c.name);
            assert.equal(load.connections, conns.length);
            const listed = charon.swanctl(["--list-conns"]).out;
            for (const name of conns) {
              assert.match(listed, new RegExp(`^${name}: IKEv2[^\\n]*\\n  local:  ${fip.replace(/\./g, "\\.")}\\n`, "m"), listed);
            }
            if (gw.ipsec.roadWarriors.length) {
              const pools = charon.swanctl(["--list-pools"]).out;
              for (const rw of gw.ipsec.roadWarriors) assert.match(pools, new RegExp(`${rw.name}-pool +${rw.pool.split("/")[0]}`));
            }
          } finally {
            await charon.stop();
          }
        });
      });
    }
  });
}

describe("strongSwan files: libstrongswan's own parser as the validate step", () => {
  before(function () {
    requireTools(this, "swanctl");
  });
  const validate = (text: string) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stage2-sw-"));
    try {
      fs.writeFileSync(path.join(dir, "swanctl.conf"), text);
      const { SETTINGS_VALIDATE } = require("../../components/strongswan/concerns") as typeof import("../../components/strongswan/concerns");
      const r = spawnSync("bash", ["-c", SETTINGS_VALIDATE], { env: { ...process.env, STAGED: path.join(dir, "swanctl.conf") }, encoding: "utf8" });
      return { code: r.status, out: r.stdout + r.stderr };
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };
  it("accepts every strongSwan file rendered for prod", () => {
    const loaded = loadStack(stackFilePath("prod"));
    for (const gw of loaded.stack.gateways) {
      for (const c of planGateway(gw, { floatingIp: floatingIpOf(gw) }, loaded.secrets).concerns) {
        for (const f of c.files.filter((x) => x.validate?.includes("STRONGSWAN_CONF"))) {
          const r = validate(f.content);
          assert.equal(r.code, 0, `${gw.name} ${f.path}: ${r.out}`);
        }
      }
    }
  });
  it("rejects an unterminated string and an unclosed section with libstrongswan's message", () => {
    const r = validate('connections {\n\ta {\n\t\tremote_addrs = "198.51.100.1\n');
    assert.equal(r.code, 64);
    assert.match(r.out, /unterminated string detected/);
    assert.match(validate("connections {\n").out, /syntax error, unexpected end of file/);
  });
});
