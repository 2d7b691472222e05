import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { floatingIpLabel } from "../../components/floating-ip-host/render";
import { RoadWarrior, GatewayModel } from "../../components/model/gateway";
import { planGateway } from "../../components/plan";
import { SWANCTL_CONF, SWANCTL_SECRETS } from "../../components/strongswan/gateway-swanctl";
import { wireguardSyncCommand } from "../../components/wireguard/concern";
import { CHECKS } from "../../doctor/checks";
import { labShell } from "../../doctor/lab-shell";
import { runChecks } from "../../doctor/run";
import { DoctorContext, Finding } from "../../doctor/types";
import { runOk } from "../../lab/exec";
import { waitForTunnels } from "../../lab/faults";
import { sh } from "../../lab/host";
import { dial } from "../../lab/peer-hosts";
import { Lab } from "../../lab/lab";
import { LAB_STACK_FILE } from "../../lab/stack";
import { LAB_TOOLS, requireRoot, requireTools } from "../helpers/env";

const PREFIX = "s2doc";
const BIN = path.resolve(__dirname, "../../bin/stage2");

const failing = (fs_: readonly Finding[]) => fs_.filter((f) => f.status !== "ok");
const show = (fs_: readonly Finding[]) =>
  fs_.map((f) => `${f.status} ${f.check} ${f.subject ?? ""}: ${f.what}${f.fix ? `\n    fix: ${f.fix}` : ""}`).join("\n");
const text = (fs_: readonly Finding[]) => JSON.stringify(fs_);

/** The one finding of `check` about `subject`, failing (or warning), with a fix. */
function named(found: readonly Finding[], check: string, subject: string, status: Finding["status"] = "fail"): Finding {
  const f = found.find((x) => x.check === check && x.subject === subject && x.status === status);
  assert.ok(f, `doctor did not report ${status} ${check} ${subject}; it said:\n${show(found)}`);
  if (status !== "ok") assert.ok(f.fix, `${check} ${subject} has no fix`);
  return f;
}

describe("stage2 doctor in the namespace lab: green when healthy, each classic fault named with its fix", function () {
  this.timeout(180_000);
  let lab: Lab;
  let gw: GatewayModel;

  const context = (model: GatewayModel = gw, secrets = lab.secrets([model])): DoctorContext => {
    const render = { floatingIp: model.floatingIp.address as string };
    return {
      gateway: model,
      render,
      plan: planGateway(model, render, secrets),
      shell: labShell(lab.host("gw")),
      secrets: Object.values(secrets),
      now: new Date(),
    };
  };
  const doctor = (ctx = context()) => runChecks(CHECKS, ctx);
  const gwSh = (script: string) => sh(lab.host("gw"), script);
  /** After a fault is undone, the checks that named it are green again. */
  const greenAgain = async (...checks: string[]) => {
    const found = (await doctor()).filter((f) => checks.includes(f.check));
    assert.deepEqual(failing(found), [], show(failing(found)));
  };
  /** A WireGuard peer shakes hands when it sends: it pings the gateway's wg address until wg0 shows a handshake. */
  const wgHandshake = async (timeoutMs = 40_000) => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      await lab.host(lab.topology.wgPeers[0].role).exec(`ping -n -c 1 -W 1 ${gw.wireguard.address.split("/")[0]}`);
      if (/\t[1-9]\d*$/m.test(await gwSh("wg show wg0 latest-handshakes"))) return;
    }
    throw new Error("the WireGuard peer did not shake hands again");
  };
  /** Every tunnel anew on the floating IP: the gateway ends its IKE SAs, the peers dial again, traffic crosses each. */
  const reconnect = async () => {
    const t = lab.topology;
    await gwSh(
      [...t.clients.map((c) => c.conn), ...t.sites.map((x) => x.conn)]
        .map((c) => `swanctl --terminate --ike ${c} --timeout 5 >/dev/null 2>&1 || true`)
        .join("; "),
    );
    await Promise.all([
      ...t.clients.map((c) => dial(lab.host(c.role), c.conn)),
      ...t.sites.filter((x) => x.startAction === "none").map((x) => dial(lab.host(x.role), x.conn)),
    ]);
    await Promise.all(t.sites.filter((x) => x.startAction !== "none").map((x) => lab.trapSite(x)));
    await waitForTunnels(lab);
  };

  before(async function () {
    // A loaded 2-core machine stretches the lab's bring-up well past its usual 20 s.
    this.timeout(420_000);
    requireRoot(this);
    requireTools(this, ...LAB_TOOLS);
    lab = (await Lab.up({ stackFile: LAB_STACK_FILE, prefix: PREFIX }, planGateway)).lab;
    // charon runs without a journal here: a log file gives doctor's errors check something to read.
    gw = lab.model((g) => ({ ...g, ipsec: { ...g.ipsec, logFile: "/var/log/charon-stage2.log" } }));
    await lab.converge(gw);
    // Traffic through every tunnel and a WireGuard handshake: a healthy lab in use, not one just dialled.
    await waitForTunnels(lab);
    await wgHandshake();
  });

  after(async function () {
    if (lab) await lab.down();
  });

  it("reports everything green on a healthy lab, one finding per unit, concern, connection, rule, peer", async () => {
    const found = await doctor();
    assert.deepEqual(failing(found), [], show(failing(found)));
    for (const check of ["units", "drift", "ike-binding", "firewall", "wireguard", "errors", "certificates", "mtu"]) {
      assert.ok(
        found.some((f) => f.check === check),
        `no finding from ${check}`,
      );
    }
    assert.ok(named(found, "units", "strongswan", "ok"));
    assert.ok(named(found, "ike-binding", "connection laptops", "ok"));
    assert.ok(named(found, "firewall", "pool without ipsec", "ok"));
  });

  it("names local_addrs set to an address the host lacks (the notes' .39), in ike-binding and as drift", async () => {
    const fip = gw.floatingIp.address as string;
    const wrong = fip.replace(/\.\d+$/, ".39");
    await gwSh(`sed -i 's/local_addrs = ${fip}/local_addrs = ${wrong}/' ${SWANCTL_CONF} && swanctl --load-all --noprompt >/dev/null`);
    try {
      const found = await doctor();
      const f = named(found, "ike-binding", "connection laptops");
      assert.match(f.what, new RegExp(`local_addrs ${wrong.replace(/\./g, "\\.")}, which no interface`));
      assert.match(f.fix!, new RegExp(`floating IP ${fip.replace(/\./g, "\\.")}`));
      named(found, "ike-binding", "connection branch");
      named(found, "drift", SWANCTL_CONF);
    } finally {
      await lab.converge(gw);
    }
    await greenAgain("ike-binding", "drift");
  });

  it("names the IPsec forward rule deleted by hand (nft delete rule)", async () => {
    await gwSh(
      `h=$(nft -a list chain inet stage2 forward | awk '/comment "stage2: from road warrior laptops"/ { print $NF }'); [ -n "$h" ]; nft delete rule inet stage2 forward handle "$h"`,
    );
    try {
      const found = await doctor();
      const f = named(found, "firewall", "from road warrior laptops");
      assert.match(f.what, /missing from inet stage2/);
      assert.match(f.fix!, /^nft -f \/etc\/nftables.conf/);
      assert.ok(f.evidence.some((e) => e.command === "nft list table inet stage2"));
    } finally {
      await gwSh("nft -f /etc/nftables.conf");
    }
    await greenAgain("firewall", "drift");
  });

  it("shows a hand-edited swanctl.conf as a diff, and a changed secrets file by digest only: no secret in any finding", async () => {
    await gwSh(`sed -i 's/dpd_delay = 10s/dpd_delay = 45s/' ${SWANCTL_CONF} && printf '# edited by hand\\n' >> ${SWANCTL_SECRETS}`);
    try {
      const found = await doctor();
      const conf = named(found, "drift", SWANCTL_CONF);
      const diff = conf.evidence.find((e) => e.command.startsWith("diff -u"))!.output;
      assert.match(diff, /^-\s+dpd_delay = 10s$/m);
      assert.match(diff, /^\+\s+dpd_delay = 45s$/m);
      const secrets = named(found, "drift", SWANCTL_SECRETS);
      assert.match(secrets.what, /compared by digest only/);
      assert.ok(!secrets.evidence.some((e) => e.command.startsWith("diff")), "a secret file was diffed");
      for (const value of Object.values(lab.secrets([gw]))) assert.ok(!text(found).includes(value), "a secret value appears in doctor's findings");
    } finally {
      await lab.converge(gw);
    }
    await greenAgain("drift");
  });

  it("names a WireGuard peer with a wrong key: the stack's peer missing, the unknown key on wg0", async () => {
    const peer = gw.wireguard.peers[0];
    const wrong = (await gwSh("wg genkey | wg pubkey")).trim();
    await gwSh(`wg set wg0 peer ${peer.publicKey} remove && wg set wg0 peer ${wrong} allowed-ips ${peer.allowedIps.join(",")}`);
    try {
      const found = await doctor();
      const f = named(found, "wireguard", `peer ${peer.name}`);
      assert.match(f.what, /is not a peer of wg0/);
      named(found, "wireguard", `unknown key ${wrong}`);
    } finally {
      await gwSh(wireguardSyncCommand(gw));
    }
    await wgHandshake();
    await greenAgain("wireguard", "drift");
  });

  it("names the floating IP removed from the public interface", async () => {
    const fip = gw.floatingIp.address as string;
    await gwSh(`ip address del ${fip}/32 dev ${gw.publicInterface}`);
    try {
      const found = await doctor();
      const f = named(found, "ike-binding", `floating IP ${fip}`);
      assert.match(f.what, /is on no interface/);
      assert.match(f.fix!, new RegExp(`ip -4 address replace ${fip.replace(/\./g, "\\.")}/32 dev ${gw.publicInterface}`));
    } finally {
      await gwSh(`ip -4 address replace ${fip}/32 dev ${gw.publicInterface} label ${floatingIpLabel(gw)}`);
    }
    await greenAgain("ike-binding", "drift");
    // charon moved the IKE SAs to the address left (the connections check says so): the tunnels are dialled anew.
    await reconnect();
  });

  it("warns of a gateway certificate that expires in 10 days (a certificate class converged for the test)", async () => {
    // The lab stack's classes use PSKs: a certificate class is added with a CA and a gateway certificate of 10 days.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "s2doc-pki-"));
    try {
      // pki itself, no shell between (a shell on this machine may run its owner's startup files).
      const pki = async (out: string, ...args: string[]) => fs.writeFileSync(path.join(dir, out), await runOk(["pki", ...args]));
      const at = (f: string) => path.join(dir, f);
      await pki("ca.key", "--gen", "--type", "ecdsa", "--size", "256", "--outform", "pem");
      await pki("ca.pem", "--self", "--ca", "--lifetime", "60", "--in", at("ca.key"), "--type", "ecdsa", "--dn", "CN=doctor test CA", "--outform", "pem");
      await pki("gw.key", "--gen", "--type", "ecdsa", "--size", "256", "--outform", "pem");
      await pki("gw.pub", "--pub", "--in", at("gw.key"), "--type", "ecdsa", "--outform", "pem");
      await pki(
        "gw.pem",
        ...["--issue", "--lifetime", "10", "--in", at("gw.pub"), "--type", "pub", "--cacert", at("ca.pem"), "--cakey", at("ca.key")],
        ...["--dn", "CN=certs.lab.example", "--san", "certs.lab.example", "--flag", "serverAuth", "--outform", "pem"],
      );
      const read = (f: string) => fs.readFileSync(path.join(dir, f), "utf8");
      const certs = RoadWarrior.parse({
        name: "certs",
        pool: "10.4.0.0/24",
        local: { kind: "pubkey", cert: read("gw.pem"), keySecret: "doctor-gw-key" },
        clients: { kind: "pubkey", ca: read("ca.pem"), id: "*@certs.lab.example" },
      });
      const model = { ...gw, ipsec: { ...gw.ipsec, roadWarriors: [...gw.ipsec.roadWarriors, certs] } };
      const secrets = { ...lab.secrets([gw]), "doctor-gw-key": read("gw.key") };
      await lab.converge(model, "direct", secrets);
      const found = await doctor(context(model, secrets));
      const cert = found.find((f) => f.check === "certificates" && f.status === "warn");
      assert.ok(cert, show(found));
      assert.match(cert.what, /gateway certificate .*CN=certs\.lab\.example.* expires in (9|10) day\(s\)/);
      assert.match(cert.fix!, /issue a new gateway certificate/);
      const ca = found.find((f) => f.check === "certificates" && f.subject?.includes("x509ca"));
      assert.equal(ca?.status, "ok", show(found));
      assert.ok(!text(found).includes(secrets["doctor-gw-key"].split("\n")[1]), "the gateway's private key appears in a finding");
      assert.deepEqual(
        failing(found.filter((f) => f.check === "drift" || f.check === "certificates")).map((f) => f.check),
        ["certificates"],
        show(failing(found)),
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      await lab.converge(gw);
    }
  });

  it("bin/stage2 doctor --json over SSH with the pinned host key: one JSON document, no secret on stdout or stderr", async () => {
    // The lab's own stack for this run: its host key, its WireGuard peer's key, its secrets and the operator's key as plain values.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "s2doc-stack-"));
    try {
      const doc = YAML.parse(fs.readFileSync(LAB_STACK_FILE, "utf8")) as { config: Record<string, unknown> };
      const [raw] = doc.config["stage2:gateways"] as Record<string, any>[];
      raw.server.hostKey = gw.server.hostKey;
      raw.wireguard.peers = gw.wireguard.peers.map((p) => ({ name: p.name, publicKey: p.publicKey, allowedIps: p.allowedIps }));
      raw.ipsec.logFile = gw.ipsec.logFile;
      const secrets = lab.secrets([gw]);
      for (const [k, v] of Object.entries(secrets)) doc.config[`stage2:${k}`] = v;
      const sshKey = fs.readFileSync(lab.state.operatorKeyFile, "utf8");
      doc.config["stage2:sshPrivateKey"] = sshKey;
      const file = path.join(dir, "Pulumi.doctor.yaml");
      fs.writeFileSync(file, YAML.stringify(doc), { mode: 0o600 });
      const before = fs.readdirSync(os.tmpdir()).filter((d) => d.startsWith("stage2-doctor-"));
      const res = await lab.host("ops").execNet([BIN, "doctor", "--config-file", file, "--json"], { timeoutMs: 120_000 });
      const report = JSON.parse(res.stdout) as { ok: boolean; gateways: { gateway: string; findings: Finding[] }[] };
      assert.equal(res.code, 0, `${res.stderr}\n${show(report.gateways[0].findings.filter((f) => f.status !== "ok"))}`);
      assert.equal(report.ok, true);
      assert.equal(report.gateways[0].gateway, gw.name);
      assert.ok(report.gateways[0].findings.some((f) => f.check === "drift" && f.status === "ok"));
      assert.match(res.stderr, /connecting to root@203\.0\.113\.10:22 \(pinned host key\)/);
      const keyLines = sshKey.split("\n").filter((l) => l.length > 12 && !l.startsWith("-----"));
      for (const value of [...Object.values(secrets), ...keyLines]) {
        assert.ok(!res.stdout.includes(value) && !res.stderr.includes(value), "a secret value appears in doctor's output");
      }
      // The key's private directory is gone.
      assert.deepEqual(
        fs.readdirSync(os.tmpdir()).filter((d) => d.startsWith("stage2-doctor-")),
        before,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
