import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse, stringify } from "yaml";
import { main } from "../../cli/main";
import { planGateway } from "../../components/plan";
import { crlFile } from "../../components/strongswan/gateway-swanctl";
import { pingCounts } from "../../lab/checks";
import { putFile, sh } from "../../lab/host";
import { Lab } from "../../lab/lab";
import { labNamespaces } from "../../lab/netns";
import { LAB_STACK_FILE } from "../../lab/stack";
import { requireRoot, requireTools, LAB_TOOLS } from "../helpers/env";

const PREFIX = "s2pki";
const CLASS = "staff";

/** The CLI in-process (as bin/stage2 runs it); what it writes is captured and returned. */
async function stage2(argv: string[], env: Record<string, string> = {}): Promise<string> {
  let out = "";
  let err = "";
  const [stdout, stderr] = [process.stdout.write.bind(process.stdout), process.stderr.write.bind(process.stderr)];
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  (process.stdout as { write: unknown }).write = (chunk: string | Uint8Array) => ((out += String(chunk)), true);
  (process.stderr as { write: unknown }).write = (chunk: string | Uint8Array) => ((err += String(chunk)), true);
  try {
    const code = await main(argv);
    assert.equal(code, 0, `stage2 ${argv.join(" ")}: ${err}`);
    return out;
  } finally {
    process.stdout.write = stdout;
    process.stderr.write = stderr;
    for (const [k, v] of Object.entries(saved))
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
  }
}

/**
 * The lab stack with one road-warrior class of certificate users and nothing else; its gateway certificate, CA and
 * CRL are written by `stage2 pki gateway` (the class starts without them, as a new class would).
 */
async function certStack(dir: string): Promise<string> {
  const doc = parse(fs.readFileSync(LAB_STACK_FILE, "utf8")) as { config: Record<string, unknown> };
  const gateways = doc.config["stage2:gateways"] as {
    ipsec: { roadWarriors: unknown[]; sites: unknown[]; logFile?: string };
    wireguard: { peers: unknown[] };
  }[];
  gateways[0].ipsec.logFile = "/var/log/charon.log"; // charon's account of a refusal, for the failure message
  gateways[0].ipsec.sites = [];
  gateways[0].wireguard.peers = [];
  gateways[0].ipsec.roadWarriors = [
    {
      name: CLASS,
      pool: "10.3.0.0/24",
      local: { kind: "pubkey", id: "vpn.lab.example", keySecret: "lab-gw-cert-key" },
      clients: { kind: "pubkey" },
      dpdDelay: "10s",
    },
  ];
  delete doc.config["stage2:lab-site-psk"];
  delete doc.config["stage2:lab-rw-psk"];
  doc.config["stage2:lab-gw-cert-key"] = { secure: "v1:REPLACE-ME:set-with-pulumi-config-set--secret" };
  const file = path.join(dir, "Pulumi.lab-pki.yaml");
  fs.writeFileSync(file, stringify(doc));
  const ca = path.join(dir, "first-ca");
  await stage2(["pki", "init", "--ca-dir", ca, "--key-type", "ecdsa-p256"]);
  await stage2(["pki", "gateway", "--ca-dir", ca, "--config-file", file, "--gateway", "lab-gw"]);
  return file;
}

describe("lab: a certificate user added by `stage2 users`, connected with the Linux profile of `stage2 clients`, revoked and refused", function () {
  this.timeout(180_000);
  let lab: Lab | undefined;
  let dir: string;
  let stack: string;
  let caDir: string;
  const passphrase = `lab ${Math.random().toString(36).slice(2)} passphrase`;
  const client = () => lab!.host(`rw-${CLASS}`);

  before(async function () {
    requireRoot(this);
    requireTools(this, ...LAB_TOOLS, "openssl");
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "stage2-lab-pki-"));
    stack = await certStack(dir);
    lab = (await Lab.up({ stackFile: stack, prefix: PREFIX }, planGateway)).lab;
    // The run's CA is a `stage2 pki` CA: it becomes this environment's CA (its certificate and CRL into the stack).
    caDir = lab.pki()!.caDir!;
    await stage2(["pki", "crl", "--ca-dir", caDir, "--config-file", stack]);
  });

  after(async () => {
    if (lab) await lab.down();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** carol's current certificate and key into the profile's linux/ folder, as the profile names them, then onto the client. */
  async function loadProfile(): Promise<void> {
    const out = path.join(dir, `profiles-${Date.now()}`);
    await stage2(["clients", "--config-file", stack, "--out", out]);
    const linux = path.join(out, "lab-gw", CLASS, `${CLASS}-${CLASS}`, "linux");
    const conf = fs.readFileSync(path.join(linux, "swanctl.conf"), "utf8");
    const certName = /certs = (\S+\.pem)/.exec(conf)![1];
    fs.mkdirSync(path.join(linux, "x509"));
    fs.mkdirSync(path.join(linux, "private"), { mode: 0o700 });
    fs.copyFileSync(path.join(caDir, "users", "carol", "carol.pem"), path.join(linux, "x509", certName));
    fs.copyFileSync(path.join(caDir, "users", "carol", "carol.key"), path.join(linux, "private", "carol.pem"));
    for (const rel of ["swanctl.conf", ...["x509ca", "x509", "private"].flatMap((d) => fs.readdirSync(path.join(linux, d)).map((f) => `${d}/${f}`))]) {
      await putFile(client(), `/etc/swanctl/${rel}`, fs.readFileSync(path.join(linux, rel), "utf8"), rel.startsWith("private/") ? "0600" : "0644");
    }
    await sh(client(), `swanctl --terminate --ike ${CLASS} --timeout 5 >/dev/null 2>&1; swanctl --load-all --noprompt >/dev/null`);
  }
  const initiate = (timeoutS = 10) =>
    client().exec(`swanctl --initiate --child ${CLASS} --timeout ${timeoutS} --loglevel 1`, { timeoutMs: (timeoutS + 5) * 1000 });
  async function pingNode(): Promise<[number, number]> {
    const vip = await lab!.vip(lab!.topology.clients[0]);
    assert.ok(vip, "carol has a virtual IP");
    const node = lab!.topology.nodes[0].addr;
    return pingCounts((await client().exec(`ping -n -c 3 -i 0.2 -W 2 -I ${vip} ${node}`)).stdout);
  }

  it("carol (stage2 users add) connects with the Linux profile of stage2 clients and carries packets", async () => {
    await stage2(["users", "add", "carol", "--ca-dir", caDir], { STAGE2_P12_PASSPHRASE: passphrase });
    await loadProfile();
    const r = await initiate();
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const gwSa = await sh(lab!.host("gw"), `swanctl --list-sas --raw --ike ${CLASS}`);
    assert.match(gwSa, / remote-id=CN=carol /);
    assert.deepEqual(await pingNode(), [3, 3]);
  });

  it("revoked and converged: the gateway loads the CRL and closes carol's live tunnel, and her reconnection is refused with charon's reason", async () => {
    await stage2(["users", "revoke", "carol", "--ca-dir", caDir, "--config-file", stack]);
    const converged = await lab!.converge();
    const swanctl = converged.results.find((x) => x.concern === "swanctl");
    assert.ok(swanctl && swanctl.status !== "unchanged", JSON.stringify(converged.results.map((x) => [x.concern, x.status])));
    // Closed by the converge itself: the client did nothing, and charon's DELETE reached it.
    assert.match(
      swanctl.output,
      new RegExp(`^closed ${CLASS} IKE_SA #\\d+ \\(CN=carol\\): its certificate was revoked after this tunnel was established$`, "m"),
    );
    assert.doesNotMatch(await sh(lab!.host("gw"), `swanctl --list-sas --raw --ike ${CLASS}`), /CN=carol/);
    assert.doesNotMatch(await sh(client(), `swanctl --list-sas --ike ${CLASS}`), /ESTABLISHED/);
    assert.equal(await sh(lab!.host("gw"), `cat ${crlFile(CLASS)}`), fs.readFileSync(path.join(caDir, "crl.pem"), "utf8"));
    assert.match(await sh(lab!.host("gw"), "swanctl --list-certs --type x509crl"), /^ {2}1 revoked certificate:$/m);
    const refused = await initiate(30);
    // charon writes its log in blocks: the refusal's lines may still be on their way when the client gives up.
    const revokedLine = /checking certificate status of "CN=carol"\n(.*\n){0,4}.*certificate was revoked on .*, reason: cessation of operation/;
    let log = "";
    for (let i = 0; i < 20 && !revokedLine.test(log); i++) {
      if (i) await new Promise((r) => setTimeout(r, 500));
      log = (await lab!.host("gw").exec("tail -n 400 /var/log/charon.log")).stdout;
    }
    const why = `client:\n${refused.stdout}${refused.stderr}\ngateway's log:\n${log}`;
    assert.notEqual(refused.code, 0, `carol reconnected after the revocation; ${why}`);
    assert.match(refused.stdout + refused.stderr, /AUTHENTICATION_FAILED/, why);
    assert.match(log, revokedLine, why);
    assert.doesNotMatch(await sh(lab!.host("gw"), `swanctl --list-sas --raw --ike ${CLASS}`), /CN=carol/);
  });

  it("the revoked name is issued again and connects", async () => {
    await stage2(["users", "add", "carol", "--ca-dir", caDir], { STAGE2_P12_PASSPHRASE: passphrase });
    await loadProfile();
    const r = await initiate();
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(await pingNode(), [3, 3]);
  });

  it("down leaves nothing", async () => {
    await lab!.down();
    lab = undefined;
    assert.deepEqual(await labNamespaces(PREFIX), []);
  });
});
