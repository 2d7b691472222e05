import * as assert from "assert";
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { renderCollector } from "../../components/metrics/collector";

/**
 * The collector script as rendered, run by bash: first against swanctl output recorded from the namespace lab's
 * gateway (a connected road warrior and site) and from a charon holding a certificate, a CA and a CRL, then (see
 * collector-charon.test.ts) against a real charon.
 */
const FIXTURES = path.join(__dirname, "fixtures");

/** A stand-in swanctl printing the recording for the listing it is asked for (`fail` makes it fail like a dead charon). */
function fakeSwanctl(dir: string, fail = false): void {
  const lines = [
    "#!/bin/bash",
    ...(fail ? ["echo \"connecting to 'unix:///var/run/charon.vici' failed: No such file or directory\" >&2", "exit 1"] : []),
    'case "$1" in',
    ...["list-conns", "list-sas", "list-pools", "list-certs"].map((l) => `  --${l}) cat ${JSON.stringify(path.join(dir, `${l}.txt`))} ;;`),
    "  *) exit 64 ;;",
    "esac",
  ];
  fs.writeFileSync(path.join(dir, "swanctl"), lines.join("\n") + "\n", { mode: 0o755 });
}

interface Run {
  readonly code: number;
  readonly stderr: string;
  readonly prom: string;
  readonly dir: string;
}

function runCollector(fixtures: Record<string, string>, opts: { fail?: boolean; keep?: boolean } = {}): Run {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stage2-metrics-"));
  for (const [name, text] of Object.entries(fixtures)) fs.writeFileSync(path.join(dir, `${name}.txt`), text);
  fakeSwanctl(dir, opts.fail);
  fs.writeFileSync(path.join(dir, "collector"), renderCollector(), { mode: 0o755 });
  const out = path.join(dir, "textfile", "stage2_strongswan.prom");
  const res = spawnSync("bash", [path.join(dir, "collector"), out], { env: { PATH: `${dir}:/usr/bin:/bin` }, encoding: "utf8" });
  const prom = fs.existsSync(out) ? fs.readFileSync(out, "utf8") : "";
  if (!opts.keep) fs.rmSync(dir, { recursive: true, force: true });
  return { code: res.status ?? -1, stderr: res.stderr, prom, dir };
}

const recorded = (): Record<string, string> =>
  Object.fromEntries(["list-conns", "list-sas", "list-pools", "list-certs"].map((n) => [n, fs.readFileSync(path.join(FIXTURES, `${n}.txt`), "utf8")]));

const samples = (prom: string): string[] => prom.split("\n").filter((l) => l !== "" && !l.startsWith("#") && !l.includes("collected_timestamp"));
/** swanctl --utc's date, read by JavaScript: the collector's own arithmetic is what is checked. */
const epoch = (text: string): number => Date.parse(text.replace(/^(\w+) (\d+) ([\d:]+) UTC (\d+)$/, "$1 $2 $4 $3 UTC")) / 1000;

describe("metrics: the strongSwan collector on recorded swanctl output", () => {
  it("writes SAs per connection, CHILD_SA counters, pools and certificate dates, exactly", () => {
    const run = runCollector(recorded());
    assert.strictEqual(run.code, 0, run.stderr);
    assert.deepStrictEqual(samples(run.prom), [
      "stage2_strongswan_up 1",
      'stage2_strongswan_ike_sas{conn="laptops",state="ESTABLISHED"} 1',
      'stage2_strongswan_ike_sas{conn="branch",state="ESTABLISHED"} 1',
      'stage2_strongswan_child_sas{conn="branch",child="branch",state="INSTALLED"} 1',
      'stage2_strongswan_child_sas{conn="laptops",child="laptops",state="INSTALLED"} 1',
      'stage2_strongswan_child_sa_in_bytes_total{conn="branch",child="branch",child_id="3"} 84',
      'stage2_strongswan_child_sa_in_bytes_total{conn="laptops",child="laptops",child_id="2"} 0',
      'stage2_strongswan_child_sa_out_bytes_total{conn="branch",child="branch",child_id="3"} 84',
      'stage2_strongswan_child_sa_out_bytes_total{conn="laptops",child="laptops",child_id="2"} 0',
      'stage2_strongswan_child_sa_in_packets_total{conn="branch",child="branch",child_id="3"} 1',
      'stage2_strongswan_child_sa_in_packets_total{conn="laptops",child="laptops",child_id="2"} 0',
      'stage2_strongswan_child_sa_out_packets_total{conn="branch",child="branch",child_id="3"} 1',
      'stage2_strongswan_child_sa_out_packets_total{conn="laptops",child="laptops",child_id="2"} 0',
      'stage2_strongswan_connection_info{conn="laptops",kind="roadwarrior"} 1',
      'stage2_strongswan_connection_info{conn="branch",kind="site"} 1',
      'stage2_strongswan_pool_size{pool="laptops-pool"} 254',
      'stage2_strongswan_pool_online_leases{pool="laptops-pool"} 1',
      'stage2_strongswan_pool_offline_leases{pool="laptops-pool"} 0',
      `stage2_strongswan_certificate_not_after_seconds{kind="gateway",subject="CN=gw.example, O=Met"} ${epoch("Dec 07 21:49:03 UTC 2026")}`,
      `stage2_strongswan_certificate_not_after_seconds{kind="ca",subject="CN=Met CA"} ${epoch("Dec 27 21:49:02 UTC 2026")}`,
      `stage2_strongswan_crl_next_update_seconds{issuer="CN=Met CA"} ${epoch("Dec 02 21:49:04 UTC 2026")}`,
    ]);
  });

  it("is valid exposition text: each family's HELP and TYPE once, before its samples, all names prefixed", () => {
    const { prom } = runCollector(recorded());
    const seen = new Set<string>();
    let current = "";
    for (const line of prom.trimEnd().split("\n")) {
      const m = /^# (HELP|TYPE) (stage2_strongswan_[a-z_]+) /.exec(line);
      if (m) {
        if (m[1] === "HELP") assert.ok(!seen.has(m[2]), `${m[2]} twice`);
        seen.add(m[2]);
        current = m[2];
        continue;
      }
      assert.match(line, /^stage2_strongswan_[a-z_]+(\{([a-z_]+="([^"\\]|\\.)*",?)+\})? (\d+|NaN)$/);
      assert.strictEqual(line.split(/[{ ]/)[0], current, `${line} outside its family`);
    }
  });

  it("never writes an identity, an address or an SPI", () => {
    const { prom } = runCollector(recorded());
    for (const leak of ["laptop@lab.example", "vpn.lab.example", "203.0.113.20", "198.51.100", "10.3.0.1", "b24417e2", "c92139f7e901f8f4"]) {
      assert.ok(!prom.includes(leak), `${leak} in the metrics`);
    }
  });

  it("a client-chosen identity cannot open a section, and label values are escaped", () => {
    const fx = recorded();
    fx["list-sas"] = fx["list-sas"].replace("remote-id = laptop@lab.example", "remote-id = evil {");
    fx["list-certs"] = fx["list-certs"].replace('subject:  "CN=gw.example, O=Met"', 'subject:  "CN=g"w\\x"');
    const { prom } = runCollector(fx);
    assert.match(prom, /stage2_strongswan_child_sas\{conn="laptops",child="laptops",state="INSTALLED"\} 1/);
    assert.match(prom, /subject="CN=g\\"w\\\\x"\} \d+/);
  });

  it("a pool with leases out and no SA: the ESTABLISHED sample is 0 for every loaded connection", () => {
    const fx = recorded();
    fx["list-sas"] = "list-sas reply {\n}\n";
    fx["list-pools"] = fx["list-pools"].replace("online = 1", "online = 230").replace("offline = 0", "offline = 10");
    const lines = samples(runCollector(fx).prom);
    assert.ok(lines.includes('stage2_strongswan_ike_sas{conn="laptops",state="ESTABLISHED"} 0'));
    assert.ok(lines.includes('stage2_strongswan_ike_sas{conn="branch",state="ESTABLISHED"} 0'));
    assert.ok(lines.includes('stage2_strongswan_pool_online_leases{pool="laptops-pool"} 230'));
    assert.ok(lines.includes('stage2_strongswan_pool_offline_leases{pool="laptops-pool"} 10'));
    assert.ok(!lines.some((l) => l.includes("child_sa")));
  });

  it("charon unreachable: up 0 and nothing else from swanctl, the file still replaced", () => {
    const run = runCollector(recorded(), { fail: true });
    assert.strictEqual(run.code, 0, run.stderr);
    assert.deepStrictEqual(samples(run.prom), ["stage2_strongswan_up 0"]);
  });

  it("replaces the file by a rename (a reader never sees half of it) and leaves no temporary file", () => {
    const run = runCollector(recorded(), { keep: true });
    try {
      const out = path.join(run.dir, "textfile", "stage2_strongswan.prom");
      const before = fs.statSync(out).ino;
      execFileSync("bash", [path.join(run.dir, "collector"), out], { env: { PATH: `${run.dir}:/usr/bin:/bin` } });
      assert.notStrictEqual(fs.statSync(out).ino, before, "written in place, not renamed");
      assert.deepStrictEqual(fs.readdirSync(path.dirname(out)), ["stage2_strongswan.prom"]);
      assert.strictEqual((fs.statSync(out).mode & 0o777).toString(8), "644");
    } finally {
      fs.rmSync(run.dir, { recursive: true, force: true });
    }
  });
});
