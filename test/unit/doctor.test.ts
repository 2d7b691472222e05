import { strict as assert } from "assert";
import { parseConnLocalAddrs } from "../../doctor/checks/ike-binding";
import { parseCommentedRules } from "../../doctor/checks/firewall";
import { parseFileLog } from "../../doctor/checks/errors";
import { parseHandshakes } from "../../doctor/checks/wireguard";
import { parseClamps, parseMtu } from "../../doctor/checks/mtu";
import { unifiedDiff } from "../../doctor/diff";
import { parseAddresses } from "../../doctor/interfaces";
import { redactText } from "../../doctor/redact";
import { runChecks } from "../../doctor/run";
import { MAX_PROBES_AT_ONCE } from "../../doctor/shell-limit";
import { parseSecretsInput } from "../../doctor/secrets-input";
import { Check, DoctorContext } from "../../doctor/types";

describe("doctor (pure parts)", () => {
  it("unifiedDiff: hunks as GNU diff -u prints them; empty for equal texts", () => {
    const a = Array.from({ length: 20 }, (_, i) => `line ${i}`).join("\n") + "\n";
    const b = a.replace("line 5\n", "line 5 edited\n").replace("line 15\n", "") + "new end\n";
    assert.equal(
      unifiedDiff(a, b, "rendered", "host"),
      [
        "--- rendered",
        "+++ host",
        "@@ -3,7 +3,7 @@",
        " line 2",
        " line 3",
        " line 4",
        "-line 5",
        "+line 5 edited",
        " line 6",
        " line 7",
        " line 8",
        "@@ -13,8 +13,8 @@",
        " line 12",
        " line 13",
        " line 14",
        "-line 15",
        " line 16",
        " line 17",
        " line 18",
        " line 19",
        "+new end",
      ].join("\n"),
    );
    assert.equal(unifiedDiff(a, a, "x", "y"), "");
    assert.equal(unifiedDiff("a\nb\nc\n", "a\nc\n", "x", "y"), "--- x\n+++ y\n@@ -1,3 +1,2 @@\n a\n-b\n c");
  });

  it("reads local_addrs per connection from swanctl --list-conns, not the CHILD_SA's local", () => {
    const out = [
      "laptops: IKEv2, no reauthentication, rekeying every 14400s, dpd delay 10s",
      "  local:  203.0.113.39",
      "  remote: %any",
      "  laptops: TUNNEL, rekeying every 3600s",
      "    local:  10.0.0.0/16",
      "branch: IKEv2, no reauthentication",
      "  local:  203.0.113.20, 203.0.113.21",
      "  remote: 198.51.100.18",
    ].join("\n");
    assert.deepEqual(
      [...parseConnLocalAddrs(out)],
      [
        ["laptops", ["203.0.113.39"]],
        ["branch", ["203.0.113.20", "203.0.113.21"]],
      ],
    );
  });

  it("reads addresses, rules with counters, handshakes, MTUs and clamps", () => {
    assert.deepEqual(parseAddresses("2: eth0    inet 203.0.113.20/32 scope global eth0:1\\       valid_lft forever\n5: wg0    inet6 fe80::1/64 scope link"), [
      { ifname: "eth0", address: "203.0.113.20", prefixLength: 32 },
      { ifname: "wg0", address: "fe80::1", prefixLength: 64 },
    ]);
    const rules = parseCommentedRules('\t\tip saddr 10.3.0.0/24 counter packets 3 bytes 252 drop comment "stage2: pool without ipsec"\n\t\tiif "lo" accept');
    assert.deepEqual(rules, [{ comment: "stage2: pool without ipsec", counted: true, packets: 3, bytes: 252 }]);
    assert.deepEqual(
      [...parseHandshakes("abc=\t0\ndef=\t1700000000\n")],
      [
        ["abc=", 0],
        ["def=", 1700000000],
      ],
    );
    assert.equal(parseMtu("3: eth0@if4: <BROADCAST> mtu 1450 qdisc noqueue"), 1450);
    assert.deepEqual(
      parseClamps('tcp option maxseg size set 1360 comment "stage2: mss for ipsec"\nx set 1380 comment "stage2: mss for wireguard"', "ipsec"),
      [1360],
    );
  });

  it("keeps charon's log lines of the last hour and the connection each is about", () => {
    const now = new Date(2026, 10, 27, 22, 0, 0);
    const log = [
      "Nov 27 20:10:00 09[NET] <laptops|1> error writing to socket: Network is unreachable",
      "Nov 27 21:30:00 12[IKE] <branch|2> giving up after 5 retransmits",
      "garbage",
    ].join("\n");
    assert.deepEqual(parseFileLog(log, now), [{ conn: "branch", text: "Nov 27 21:30:00 12[IKE] <branch|2> giving up after 5 retransmits" }]);
  });

  it("redacts every secret, and each line of a multi-line one", () => {
    const key = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIAbcdefghijklmnop\n-----END PRIVATE KEY-----";
    const out = redactText(`psk=s3cret-value line MC4CAQAwBQYDK2VwBCIEIAbcdefghijklmnop end`, ["s3cret-value", key]);
    assert.ok(!out.includes("s3cret-value") && !out.includes("MC4CAQAwBQYDK2VwBCIEIAbcdefghijklmnop"), out);
  });

  it("reads secrets as pulumi config --show-secrets --json prints them; a bad file is named without its text", () => {
    assert.deepEqual(parseSecretsInput('{"stage2:psk-a": {"value": "pa-ss-word-1", "secret": true}, "stage2:b": "v2", "aws:region": {"value": "x"}}', "f"), {
      "psk-a": "pa-ss-word-1",
      b: "v2",
    });
    assert.throws(
      () => parseSecretsInput('{"stage2:psk": "hunter2-secret"', "secrets.json"),
      (e: Error) => /^secrets\.json: not JSON/.test(e.message) && !e.message.includes("hunter2"),
    );
  });

  it("fails closed: a check that throws or says nothing is a failing finding; secrets are redacted; fails come first", async () => {
    const ctx = { secrets: ["top-secret-psk"] } as unknown as DoctorContext;
    const checks: Check[] = [
      {
        id: "a",
        title: "a",
        run: async () => [
          { check: "a", status: "ok", subject: "z", what: "fine", evidence: [] },
          { check: "a", status: "warn", subject: "y", what: "saw top-secret-psk", evidence: [{ command: "cat x", output: "top-secret-psk" }], fix: "f" },
        ],
      },
      { id: "b", title: "reads b", run: async () => Promise.reject(new Error("boom")) },
      { id: "c", title: "c", run: async () => [] },
      { id: "d", title: "d", run: async () => [{ check: "d", status: "fail", what: "no fix given", evidence: [] }] },
    ];
    const found = await runChecks(checks, ctx);
    assert.deepEqual(
      found.map((f) => [f.check, f.status]),
      [
        ["a", "warn"],
        ["a", "ok"],
        ["b", "fail"],
        ["c", "fail"],
        ["d", "fail"],
      ],
    );
    assert.match(found[2].what, /reads b: boom/);
    assert.ok(!JSON.stringify(found).includes("top-secret-psk"));
    assert.ok(found.every((f) => f.status === "ok" || f.fix));
  });
});

describe("doctor's shell: at most MAX_PROBES_AT_ONCE commands at a time (sshd's MaxSessions over one connection)", () => {
  it("runs 21 probes of 11 checks at once through 4 slots, each answer to its own probe", async () => {
    let now = 0;
    let most = 0;
    const shell = {
      run: async (script: string) => {
        most = Math.max(most, ++now);
        await new Promise((r) => setTimeout(r, 5 + (script.length % 3)));
        now--;
        return { code: 0, stdout: `${script}\n`, stderr: "" };
      },
    };
    const checks: Check[] = Array.from({ length: 11 }, (_, i) => ({
      id: `c${i}`,
      title: `check ${i}`,
      run: async (ctx: DoctorContext) => {
        const outs = await Promise.all([0, 1, 2].slice(0, 1 + (i % 3)).map((j) => ctx.shell.run(`echo ${i}-${j}`)));
        return [{ check: `c${i}`, status: "ok" as const, what: outs.map((o) => o.stdout.trim()).join(" "), evidence: [] }];
      },
    }));
    const found = await runChecks(checks, { shell, secrets: [] } as unknown as DoctorContext);
    assert.equal(most, MAX_PROBES_AT_ONCE);
    assert.deepEqual(
      found.map((f) => f.what),
      checks.map((_, i) =>
        [0, 1, 2]
          .slice(0, 1 + (i % 3))
          .map((j) => `echo ${i}-${j}`)
          .join(" "),
      ),
    );
  });
});
