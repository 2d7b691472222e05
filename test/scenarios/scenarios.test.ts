import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { parseSettings } from "../../components/strongswan/settings-parser";
import { labNamespaces } from "../../lab/netns";
import { parseDat, readScenario } from "../../lab/scenarios/corpus";
import { lineKind } from "../../lab/scenarios/expectations";
import { natRule } from "../../lab/scenarios/pretest";
import { scenarioStrongswanConf } from "../../lab/scenarios/render";
import { formatScenario, runScenarios, summary, type ScenarioResult } from "../../lab/scenarios/runner";
import { DEFAULT_SCENARIOS } from "../../lab/scenarios/selection";
import { requireRoot, requireShared, requireTools, SHARED_DIR } from "../helpers/env";

const PH = new Map([["PH_IP_BOB", "10.2.0.10"]]);

describe("scenarios: corpus lines and host files", () => {
  it("reads .dat lines as host::command::pattern::YES|NO with placeholders replaced and hosts trimmed", () => {
    const [a, b, c] = parseDat(
      "alice::ping -c 1 PH_IP_BOB::64 bytes from PH_IP_BOB: icmp_.eq=1::YES\ndave :: swanctl --list-sas --raw::x::NO\nmoon::cat /var/log/daemon.log::y\n",
      PH,
    );
    assert.deepEqual(a, {
      host: "alice",
      command: "ping -c 1 10.2.0.10",
      pattern: "64 bytes from 10.2.0.10: icmp_.eq=1",
      expect: "YES",
      text: "alice::ping -c 1 10.2.0.10::64 bytes from 10.2.0.10: icmp_.eq=1::YES",
    });
    assert.equal(b.host, "dave");
    assert.equal(b.expect, "NO");
    assert.equal(c.expect, undefined);
    assert.deepEqual(
      [a, b, c].map((l) => lineKind(l.command)),
      ["ping", "list-sas", "other"],
    );
    assert.equal(lineKind("swanctl --list-pools --raw"), "other");
  });

  it("translates the corpus's iptables NAT lines into nftables rules with the same match", () => {
    assert.deepEqual(natRule("iptables -t nat -A POSTROUTING -o eth0 -s 10.1.0.0/16 -p udp -j SNAT --to-source 192.168.0.1:1024-1100"), {
      chain: "postrouting",
      rule: 'oifname "eth0" ip saddr 10.1.0.0/16 meta l4proto udp snat ip to 192.168.0.1:1024-1100',
    });
    assert.deepEqual(natRule("iptables -t nat -A PREROUTING -i eth0 -s 192.168.0.1 -p udp -j DNAT --to-destination 10.2.0.10"), {
      chain: "prerouting",
      rule: 'iifname "eth0" ip saddr 192.168.0.1 meta l4proto udp dnat ip to 10.2.0.10',
    });
    assert.equal(natRule("iptables -A INPUT -p udp --dport 500 -j ACCEPT"), undefined);
  });

  it("turns a test build's strongswan.conf into a drop-in for Debian's charon", () => {
    const conf = scenarioStrongswanConf(
      parseSettings(
        "swanctl {\n load = pem openssl\n}\ncharon-systemd {\n load = random nonce openssl vici\n integrity_test = yes\n send_vendor_id = yes\n plugins {\n  eap-md5 {\n   load = yes\n  }\n }\n}\n",
      ).tree,
    );
    const lines = conf.split("\n");
    assert.equal(lines[0], "# Managed by stage2 scenarios: a strongSwan corpus host, rendered from the swanctl model.");
    assert.ok(conf.endsWith("}\n"));
    assert.ok(!/^swanctl|charon-systemd|integrity_test|load = random/m.test(conf), conf);
    assert.ok(
      conf.includes(
        "charon {\n\tsend_vendor_id = yes\n\tplugins {\n\t\teap-md5 {\n\t\t\tload = yes\n\t\t}\n\t\tkernel-libipsec {\n\t\t\tload = yes\n\t\t\tallow_peer_ts = yes\n\t\t}\n",
      ),
      conf,
    );
    assert.ok(conf.includes('\t\tkernel-netlink {\n\t\t\tfwmark = "!0x5332"\n\t\t}\n\t\tsocket-default {\n\t\t\tfwmark = 0x5332\n\t\t}\n'), conf);
  });
});

describe("scenarios: strongSwan's own test scenarios in the namespace lab", function () {
  this.timeout(300_000);
  let results: ScenarioResult[] = [];

  before(async function () {
    this.timeout(300_000);
    requireRoot(this);
    requireShared(this, "corpus/strongswan-testing");
    requireTools(this, "pki", "swanctl", "nft", "/usr/lib/ipsec/charon", "/usr/lib/ipsec/plugins/libstrongswan-kernel-libipsec.so");
    results = await runScenarios(SHARED_DIR, DEFAULT_SCENARIOS, { prefix: "s2sct" });
    for (const r of results) console.log(formatScenario(r).replace(/^/gm, "      "));
    console.log(`      ${summary(results)}`);
  });

  it(`scenarios passed K/K for the ${DEFAULT_SCENARIOS.length} selected scenarios`, () => {
    const failed = results.filter((r) => !r.passed);
    assert.equal(results.length, DEFAULT_SCENARIOS.length);
    assert.equal(failed.length, 0, failed.map(formatScenario).join("\n"));
    assert.match(summary(results), new RegExp(`^scenarios passed ${results.length}/${results.length} `));
  });

  it("each scenario had a list-sas and a ping expectation evaluated and passed; other kinds stay 'not evaluated'", () => {
    for (const r of results) {
      const passedKinds = new Set(r.expectations.filter((x) => x.verdict === "PASS").map((x) => lineKind(x.line.command)));
      assert.ok(passedKinds.has("list-sas") && passedKinds.has("ping"), r.name);
      for (const x of r.expectations.filter((e) => lineKind(e.line.command) === "other")) assert.equal(x.verdict, "not evaluated", x.line.text);
    }
  });

  it("covers road warriors, net-to-net, PSK, certificates, EAP, virtual IPs and NAT", () => {
    const scenarios = DEFAULT_SCENARIOS.map((n) => readScenario(SHARED_DIR, n));
    const evaluated = (pred: (r: ScenarioResult) => boolean) => results.filter((r) => r.passed && pred(r)).map((r) => r.name);
    const sasText = (r: ScenarioResult) =>
      r.expectations
        .filter((x) => x.verdict === "PASS")
        .map((x) => x.line.text)
        .join("\n");
    // The corpus writes `[` escaped in its patterns: local-vips=\[10.3.0.1]
    assert.ok(evaluated((r) => /local-vips=\\\[10\.3\.0\.\d+\]/.test(sasText(r))).length >= 2, "virtual IPs");
    assert.ok(evaluated((r) => /nat-local=yes nat-remote=yes/.test(sasText(r))).length >= 2, "through NAT");
    assert.ok(evaluated((r) => /local-ts=\\\[10\.1\.0\.0\/16\] remote-ts=\\\[10\.2\.0\.0\/16\]/.test(sasText(r))).length >= 2, "net-to-net");
    assert.ok(
      results.filter((r) => r.passed && r.expectations.some((x) => x.verdict === "PASS" && /^(carol|dave)$/.test(x.line.host))).length >= 8,
      "road warriors",
    );
    for (const method of ["psk", "pubkey", "eap-md5", "eap-mschapv2"]) {
      const using = scenarios.filter((s) => s.hosts.some((h) => readHostSwanctl(s.dir, h).includes(`auth = ${method}`)));
      assert.ok(using.length >= 1, `no selected scenario authenticates with ${method}`);
    }
  });

  it("fails a scenario whose expectation does not hold: ikev2/net2net-psk wants plain ESP on port 500", async function () {
    const [r] = await runScenarios(SHARED_DIR, ["net2net-psk"], { prefix: "s2sct" });
    assert.equal(r.passed, false);
    const sas = r.expectations.filter((x) => lineKind(x.line.command) === "list-sas");
    assert.deepEqual(
      sas.map((x) => x.verdict),
      ["FAIL", "FAIL"],
    );
    for (const x of sas) assert.match(x.detail ?? "", /local-port=4500 .*nat-remote=yes.*child-sas \{net-net-1 \{.*state=INSTALLED/);
    assert.deepEqual(
      r.expectations.filter((x) => lineKind(x.line.command) === "ping").map((x) => x.verdict),
      ["PASS"],
    );
  });

  after(async () => {
    assert.deepEqual(await labNamespaces("s2sct"), []);
  });
});

function readHostSwanctl(dir: string, host: string): string {
  const f = path.join(dir, "hosts", host, "etc", "swanctl", "swanctl.conf");
  return fs.existsSync(f) ? fs.readFileSync(f, "utf8") : "";
}
