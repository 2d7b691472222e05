import * as assert from "assert";
import { scriptEffects } from "../../policy/shell/effects";
import { domainOf } from "../../policy/shell/paths";
import { readScript } from "../../policy/shell/script";
import { payloadMechanicsLines } from "../../policy/shell/stage2-apply";
import { renderApplyScript } from "../../components/host/apply-script";

describe("policy shell reader", () => {
  it("splits commands at ; && || | and newlines, with the line each starts on, nested $(...) and <(...) included", () => {
    const cmds = readScript("a 1 && b '2 3' | c\nd \"$(e x)\" <(f y)\n# comment\ng\\\n h");
    assert.deepStrictEqual(
      cmds.map((c) => [c.line, c.words.map((w) => (w.literal ? w.text : `~${w.text}`)), c.piped, c.nested]),
      [
        [1, ["a", "1"], false, false],
        [1, ["b", "2 3"], false, false],
        [1, ["c"], true, false],
        [2, ["e", "x"], false, true],
        [2, ["f", "y"], false, true],
        [2, ["d", '~"$(e x)"', "~<(f y)"], false, false],
        [4, ["g", "h"], false, false],
      ],
    );
  });

  it("reads two here-documents opened on one line, in order, and unescapes an unquoted one without expansions", () => {
    const fx = scriptEffects("cat > /etc/a <<'A'; cat > /etc/b <<B\nx $y\nA\nprice \\$5\nB\ncat > /etc/c <<C\n$(id)\nC\n");
    assert.deepStrictEqual(fx.files, [
      { path: "/etc/a", content: "x $y\n", mode: undefined },
      { path: "/etc/b", content: "price $5\n", mode: undefined },
    ]);
    assert.deepStrictEqual(fx.unreadable, []);
  });

  it("follows copies of a file the script wrote, and a script run with bash -c", () => {
    const fx = scriptEffects("cat > /tmp/x <<'E'\nhello\nE\nbash -c 'install -m 600 /tmp/x /etc/swanctl/conf.d/x.conf'\n");
    assert.deepStrictEqual(
      fx.files.map((f) => [f.path, f.content, f.mode]),
      [
        ["/tmp/x", "hello\n", undefined],
        ["/etc/swanctl/conf.d/x.conf", "hello\n", "0600"],
      ],
    );
  });

  it("names the domain of a path, a glob by its fixed part, and /etc as the host's configuration", () => {
    assert.deepStrictEqual(
      [
        "/etc/swanctl/private/k.pem",
        "/etc/swanctl/conf.d/*.conf",
        "/etc/nftables.d/x",
        "/etc/wireguard/wg0.conf",
        "/etc/cron.d/x",
        "/etc",
        "/etc/hostname",
      ].map(domainOf),
      ["secrets", "IPsec", "firewall", "WireGuard", "code run later", "the host's configuration", undefined],
    );
  });

  it("leaves out only stage2's payload mechanics standing whole: a concern's own lines, and a block cut short, are read", () => {
    const concern = { name: "demo", packages: [], files: [], services: [], activate: ["nft flush ruleset"] };
    const script = renderApplyScript(concern, "systemd");
    const skip = payloadMechanicsLines(script);
    const lines = script.split("\n");
    const flush = lines.findIndex((l) => l.includes("nft flush ruleset")) + 1;
    assert.ok(skip.size > 20 && !skip.has(flush));
    assert.deepStrictEqual(
      scriptEffects(script, { skipLines: skip }).unreadable.map((u) => [u.line, u.what]),
      [[flush, "`nft flush` changes the live ruleset; the pack evaluates the ruleset files only"]],
    );
    const cut = lines.filter((l) => !l.includes("mv -f")).join("\n");
    assert.ok(payloadMechanicsLines(cut).size < skip.size);
  });
});
