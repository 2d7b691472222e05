import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { NftSyntaxError } from "../../policy/nft/lexer";
import { hookView } from "../../policy/nft/paths";
import { parseRuleset, Ruleset } from "../../policy/nft/ruleset";
import { isDecryptedOnly } from "../../policy/rules/gateway-facts";
import { admitsUdpPort } from "../../policy/rules/nft-services";
import { requireRoot, requireTools } from "../helpers/env";
import { runPreview } from "../../preview/runtime";
import { decodePayload } from "../../components/host/payload";
import { Stage2Gateway } from "../../components/stage2-gateway";
import { FIXTURE_SECRETS, fixtureGateway } from "../fixtures/gateway";
import { GOOD_FILES } from "./helpers/stacks";

const RULESET = `#!/usr/sbin/nft -f
# a hand-written gateway ruleset, in the file syntax people write
define wan = eth0
define pool = 10.3.0.0/24
table inet gw {}
delete table inet gw
table inet gw {
\tset admins {
\t\ttype ipv4_addr
\t\tflags interval
\t\telements = { 192.0.2.0/26, 198.51.100.64/26 }
\t}
\tchain input {
\t\ttype filter hook input priority filter; policy drop;
\t\tct state established,related accept
\t\tiifname $wan udp dport { 500, 4500 } accept comment "ike"
\t\tiifname $wan ip saddr @admins tcp dport 22 accept
\t}
\tchain forward {
\t\ttype filter hook forward priority filter; policy drop;
\t\tip saddr $pool tcp flags syn / syn,rst tcp option maxseg size set rt mtu
\t\tmeta secpath exists ip saddr $pool counter accept
\t\tiifname $wan ip saddr $pool oifname $wan ct state new counter accept
\t\tipsec in reqid 7 jump from-site
\t}
\tchain from-site {
\t\tip daddr 10.0.0.0/16 accept
\t}
}
`;

/** What the policies read from a ruleset, per base chain: enough to tell whether two rulesets mean the same. */
function summary(rs: Ruleset): unknown {
  return ["input", "forward"].map((hook) => {
    const view = hookView([rs], hook);
    return {
      hook,
      chains: view.baseChains.map((b) => [b.chain.name, b.chain.policy]),
      accepts: view.accepts.map((p) => ({
        decryptedOnly: isDecryptedOnly(p.matches),
        ike: admitsUdpPort(p.matches, 500) && admitsUdpPort(p.matches, 4500),
        selectors: p.matches.map((m) => `${m.negate ? "!" : ""}${m.selector}=${m.values.join(",")}`).filter((s) => !s.startsWith("ct state=new")),
      })),
      clamps: [...rs.tables[0].chains.values()].flatMap((c) => c.rules.filter((r) => r.clampsMss).map(() => c.name)),
    };
  });
}

describe("nft ruleset reader", () => {
  it("reads variables, named sets, anonymous sets, jumps and the MSS clamp", () => {
    const rs = parseRuleset(RULESET);
    assert.deepStrictEqual(summary(rs), [
      {
        hook: "input",
        chains: [["input", "drop"]],
        accepts: [
          { decryptedOnly: false, ike: false, selectors: ["ct state=established,related"] },
          { decryptedOnly: false, ike: true, selectors: ["iifname=eth0", "udp dport=500,4500"] },
          { decryptedOnly: false, ike: false, selectors: ["iifname=eth0", "ip saddr=192.0.2.0/26,198.51.100.64/26", "tcp dport=22"] },
        ],
        clamps: ["forward"],
      },
      {
        hook: "forward",
        chains: [["forward", "drop"]],
        accepts: [
          { decryptedOnly: true, ike: false, selectors: ["meta ipsec=exists", "ip saddr=10.3.0.0/24"] },
          { decryptedOnly: false, ike: false, selectors: ["iifname=eth0", "ip saddr=10.3.0.0/24", "oifname=eth0"] },
          { decryptedOnly: true, ike: false, selectors: ["ipsec in=", "ip daddr=10.0.0.0/16"] },
        ],
        clamps: ["forward"],
      },
    ]);
  });

  it("reads the command form (`add rule`, `insert rule`) into the same chains", () => {
    const rs = parseRuleset(
      [
        "add table ip filter",
        "add chain ip filter forward { type filter hook forward priority 0 ; policy drop ; }",
        "add rule ip filter forward ip saddr 10.3.0.0/24 accept",
        "insert rule ip filter forward meta ipsec missing ip saddr 10.3.0.0/24 drop",
      ].join("\n"),
    );
    const chain = rs.tables[0].chains.get("forward")!;
    assert.deepStrictEqual(
      [chain.hook, chain.policy, chain.rules.map((r) => r.text)],
      ["forward", "drop", ["meta ipsec missing ip saddr 10.3.0.0/24 drop", "ip saddr 10.3.0.0/24 accept"]],
    );
  });

  it("rejects what nft rejects: an unclosed table, an undefined variable", () => {
    assert.throws(
      () => parseRuleset("table inet t {\n  chain c {\n"),
      (e: unknown) => e instanceof NftSyntaxError && e.message === "line 2: chain c is not closed",
    );
    assert.throws(() => parseRuleset("table inet t {\n  set s {\n    elements = { 1 }\n"), /set block is not closed/);
    assert.throws(() => parseRuleset("table inet t {\n chain c {\n  iifname $nope accept\n }\n}\n"), /line 3: undefined variable \$nope/);
  });

  describe("against nft itself (a throwaway network namespace)", function () {
    const ns = `stage2-policy-nft-${process.pid}`;
    let dir = "";
    before(function () {
      requireRoot(this);
      requireTools(this, "nft", "ip");
      execFileSync("ip", ["netns", "add", ns]);
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "stage2-policy-nft-"));
    });
    after(() => {
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
      try {
        execFileSync("ip", ["netns", "del", ns], { stdio: "ignore" });
      } catch {
        // not created (skipped)
      }
    });

    it("nft accepts the ruleset, and what `nft list ruleset` prints back reads the same (meta secpath → meta ipsec)", () => {
      const file = path.join(dir, "ruleset.nft");
      fs.writeFileSync(file, RULESET);
      execFileSync("ip", ["netns", "exec", ns, "nft", "-f", file]);
      const printed = execFileSync("ip", ["netns", "exec", ns, "nft", "list", "ruleset"], { encoding: "utf8" });
      assert.match(printed, /meta ipsec exists ip saddr 10\.3\.0\.0\/24 counter packets 0 bytes 0 accept/);
      assert.doesNotMatch(printed, /secpath/);
      assert.deepStrictEqual(summary(parseRuleset(printed)), summary(parseRuleset(RULESET)));
    });

    it("stage2's own rendered ruleset reads the same before and after nft loads it", async () => {
      const gw = fixtureGateway();
      const preview = await runPreview("nft", {}, [], () => void new Stage2Gateway(gw.name, { gateway: gw, sshPrivateKey: "k", secrets: FIXTURE_SECRETS }), {
        [`${gw.name}-fip`]: gw.floatingIp.address as string,
      });
      const command = preview.resources.find((r) => r.name === `${gw.name}-nftables` && r.type === "command:remote:Command")!;
      const rendered = decodePayload(String(command.inputs.stdin))!.find((f) => f.path === "/etc/nftables.conf")!.content;
      const file = path.join(dir, "stage2.nft");
      fs.writeFileSync(file, rendered);
      execFileSync("ip", ["netns", "exec", ns, "nft", "-f", file]);
      const printed = execFileSync("ip", ["netns", "exec", ns, "nft", "list", "table", "inet", "stage2"], { encoding: "utf8" });
      const tableOf = (rs: Ruleset): Ruleset => ({ tables: rs.tables.filter((t) => t.name === "stage2"), includes: [], unreadable: [] });
      assert.deepStrictEqual(summary(tableOf(parseRuleset(printed))), summary(tableOf(parseRuleset(rendered))));
    });

    it("the policy tests' hand-written foreign ruleset is one nft accepts", () => {
      const file = path.join(dir, "foreign.nft");
      fs.writeFileSync(file, GOOD_FILES.find((f) => f.path === "/etc/nftables.conf")!.content);
      execFileSync("ip", ["netns", "exec", ns, "nft", "-c", "-f", file]);
    });

    it("verdict maps, concatenations, masks and sets defined after their chain: nft loads them, and its listing reads to the same accepts", () => {
      const text = [
        "table inet m {",
        "\tchain forward {",
        "\t\ttype filter hook forward priority filter; policy drop;",
        "\t\tip saddr vmap { 10.0.0.0/16 : continue, 10.3.0.0/24 : accept }",
        "\t\tip saddr vmap @verdicts",
        '\t\tip saddr . iifname { 10.4.0.1 . "eth0", 10.5.0.1 . "eth1" } accept',
        "\t\tip saddr & 255.255.255.0 == 10.6.0.0 accept",
        "\t\tip saddr . tcp dport @svc accept",
        "\t}",
        "\tmap verdicts {",
        "\t\ttype ipv4_addr : verdict; flags interval",
        "\t\telements = { 10.7.0.0/24 : accept }",
        "\t}",
        "\tset svc {",
        "\t\ttype ipv4_addr . inet_service",
        "\t\telements = { 10.8.0.1 . 22 }",
        "\t}",
        "}",
        "",
      ].join("\n");
      const read = parseRuleset(text);
      assert.deepStrictEqual(read.unreadable, []);
      const accepts = (rs: Ruleset) => hookView([rs], "forward").accepts.map((p) => p.matches.map((m) => `${m.selector}=${m.values.join(",")}`).join(" "));
      assert.deepStrictEqual(accepts(read), [
        "ip saddr=10.3.0.0/24",
        "ip saddr=10.7.0.0/24",
        "ip saddr=10.4.0.1 iifname=eth0",
        "ip saddr=10.5.0.1 iifname=eth1",
        "ip saddr=10.6.0.0/24",
        "ip saddr=10.8.0.1 tcp dport=22",
      ]);
      const file = path.join(dir, "maps.nft");
      fs.writeFileSync(file, text);
      execFileSync("ip", ["netns", "exec", ns, "nft", "-f", file]);
      const printed = execFileSync("ip", ["netns", "exec", ns, "nft", "list", "table", "inet", "m"], { encoding: "utf8" });
      assert.match(printed, /ip saddr 10\.6\.0\.0\/24 accept/);
      assert.deepStrictEqual(accepts(parseRuleset(printed)), accepts(read));
    });

    it("nft rejects the texts the reader rejects", () => {
      for (const [i, text] of ["table inet t {\n  chain c {\n", "table inet t {\n chain c {\n  iifname $nope accept\n }\n}\n"].entries()) {
        const file = path.join(dir, `bad-${i}.nft`);
        fs.writeFileSync(file, text);
        assert.throws(() => execFileSync("ip", ["netns", "exec", ns, "nft", "-c", "-f", file], { stdio: "pipe" }), /Command failed/);
      }
    });
  });
});
