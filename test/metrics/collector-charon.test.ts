import * as assert from "assert";
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { CharonSandbox, charonMissing } from "../../lab/charon-sandbox";
import { renderCollector } from "../../components/metrics/collector";
import { requireTools, skipUnless } from "../helpers/env";

/**
 * The collector against a real charon 5.9.8 (sealed, lab/charon-sandbox.ts) holding connections, a pool, the
 * gateway's certificate with its key, the CA and a CRL, all made here with strongSwan's pki: the dates it writes are
 * the ones openssl reads from the same files. SAs of a connected road warrior: test/lab/kernel-metrics.test.ts.
 */
describe("metrics: the strongSwan collector against a real charon", function () {
  this.timeout(60_000);
  let box: CharonSandbox | undefined;
  let dir = "";

  before(async function () {
    skipUnless(this, charonMissing() === undefined, charonMissing() ?? "");
    requireTools(this, "pki", "openssl");
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "stage2-metrics-charon-"));
    const sw = path.join(dir, "swanctl");
    for (const d of ["x509", "x509ca", "x509crl", "private"]) fs.mkdirSync(path.join(sw, d), { recursive: true });
    const pki = (args: string[], out: string, input?: Buffer): Buffer => {
      const data = execFileSync("pki", args, { input, stdio: ["pipe", "pipe", "pipe"] });
      fs.writeFileSync(path.join(sw, out), data);
      return data;
    };
    const at = (f: string) => path.join(sw, f);
    pki(["--gen", "--type", "ecdsa", "--size", "256"], "private/ca.key");
    pki(["--self", "--in", at("private/ca.key"), "--dn", "CN=stage2 metrics CA", "--ca", "--lifetime", "40"], "x509ca/ca.der");
    pki(["--gen", "--type", "ecdsa", "--size", "256"], "private/gw.key");
    const pub = execFileSync("pki", ["--pub", "--in", at("private/gw.key")]);
    pki(["--issue", "--cacert", at("x509ca/ca.der"), "--cakey", at("private/ca.key"), "--dn", "CN=gw.metrics.example", "--lifetime", "10"], "x509/gw.der", pub);
    pki(["--signcrl", "--cacert", at("x509ca/ca.der"), "--cakey", at("private/ca.key"), "--lifetime", "5"], "x509crl/ca.crl");
    fs.writeFileSync(
      at("swanctl.conf"),
      [
        "connections {",
        "  rw { pools = rw-pool",
        "    local { auth = pubkey\n      certs = gw.der }",
        "    remote { auth = pubkey }",
        "    children { rw { local_ts = 10.0.0.0/16 } } }",
        "  branch { remote_addrs = 198.51.100.18",
        "    local { auth = pubkey\n      certs = gw.der }",
        "    remote { auth = pubkey }",
        "    children { branch { remote_ts = 10.20.0.0/24 } } }",
        "}",
        "pools { rw-pool { addrs = 10.3.0.0/28 } }",
        "",
      ].join("\n"),
    );
    box = await CharonSandbox.start();
    const load = box.load(at("swanctl.conf"));
    assert.ok(load.accepted, load.output);
  });

  after(async () => {
    await box?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** notAfter / nextUpdate as openssl reads them from the DER files. */
  const opensslDate = (kind: "x509" | "crl", file: string): number => {
    const out = execFileSync(
      "openssl",
      [kind, "-inform", "DER", "-in", path.join(dir, "swanctl", file), "-noout", kind === "x509" ? "-enddate" : "-nextupdate"],
      {
        encoding: "utf8",
      },
    );
    return Date.parse(out.replace(/^[^=]+=/, "").trim()) / 1000;
  };

  it("writes the loaded connections, the pool and the certificate dates charon holds", () => {
    assert.ok(box);
    // swanctl finds charon's socket through its own settings: the collector runs unchanged.
    const conf = path.join(dir, "strongswan.conf");
    fs.writeFileSync(conf, `swanctl {\n\tsocket = unix://${path.join(box.dir, "charon.vici")}\n}\n`);
    fs.writeFileSync(path.join(dir, "collector"), renderCollector(), { mode: 0o755 });
    const out = path.join(dir, "textfile", "stage2_strongswan.prom");
    const res = spawnSync("bash", [path.join(dir, "collector"), out], { env: { PATH: process.env.PATH, STRONGSWAN_CONF: conf }, encoding: "utf8" });
    assert.strictEqual(res.status, 0, res.stderr);
    const lines = fs
      .readFileSync(out, "utf8")
      .split("\n")
      .filter((l) => l !== "" && !l.startsWith("#") && !l.includes("collected_timestamp"));
    assert.deepStrictEqual(lines, [
      "stage2_strongswan_up 1",
      'stage2_strongswan_ike_sas{conn="rw",state="ESTABLISHED"} 0',
      'stage2_strongswan_ike_sas{conn="branch",state="ESTABLISHED"} 0',
      'stage2_strongswan_connection_info{conn="rw",kind="roadwarrior"} 1',
      'stage2_strongswan_connection_info{conn="branch",kind="site"} 1',
      'stage2_strongswan_pool_size{pool="rw-pool"} 14',
      'stage2_strongswan_pool_online_leases{pool="rw-pool"} 0',
      'stage2_strongswan_pool_offline_leases{pool="rw-pool"} 0',
      `stage2_strongswan_certificate_not_after_seconds{kind="gateway",subject="CN=gw.metrics.example"} ${opensslDate("x509", "x509/gw.der")}`,
      `stage2_strongswan_certificate_not_after_seconds{kind="ca",subject="CN=stage2 metrics CA"} ${opensslDate("x509", "x509ca/ca.der")}`,
      `stage2_strongswan_crl_next_update_seconds{issuer="CN=stage2 metrics CA"} ${opensslDate("crl", "x509crl/ca.crl")}`,
    ]);
  });
});
