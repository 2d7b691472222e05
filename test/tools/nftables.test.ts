import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { nftablesConcern } from "../../components/nftables/concern";
import { POOL_WITHOUT_IPSEC, renderNftables } from "../../components/nftables/render";
import { requireRoot, requireTools } from "../helpers/env";
import { FIXTURE_CONTEXT, fixtureModel, fixtureGateway, gatewayFrom, withIpv6Class } from "../fixtures/gateway";

/** Runs a bash script in a fresh network namespace: nothing here can touch the machine's own ruleset. */
function inNetns(script: string, env: Record<string, string> = {}): { status: number; out: string } {
  const r = spawnSync("unshare", ["--net", "bash", "-c", script], { encoding: "utf8", env: { ...process.env, ...env } });
  return { status: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

/** The table's rule lines as nft lists them, counters zeroed: comparable with the rendered file. */
function ruleLines(text: string): string[] {
  const start = text.split("\n").findIndex((l) => l === "table inet stage2 {");
  return text
    .split("\n")
    .slice(start)
    .filter((l) => l.trim() !== "")
    .map((l) => l.replace(/counter packets \d+ bytes \d+/, "counter"));
}

describe("nftables: the real nft parses and loads the rendered ruleset (inside unshare -n)", function () {
  let dir: string;
  const variants = {
    xfrm: () => fixtureModel("xfrm"),
    libipsec: () => fixtureModel("libipsec"),
    "no bgp, ssh from anywhere, ipv6 pool": () => {
      const input = fixtureGateway();
      delete input.bgp;
      input.sshFrom = [];
      withIpv6Class(input);
      input.masquerade = ["10.3.0.0/24", "10.8.0.0/24"];
      return gatewayFrom(input);
    },
  };

  before(function () {
    requireRoot(this);
    requireTools(this, "nft", "unshare");
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "stage2-nft-"));
  });
  after(() => dir && fs.rmSync(dir, { recursive: true, force: true }));

  for (const [name, gateway] of Object.entries(variants)) {
    it(`${name}: the concern's validate command accepts it, and the loaded table reads back rule for rule`, () => {
      const file = path.join(dir, `${name.replace(/\W+/g, "-")}.nft`);
      const rendered = renderNftables(gateway(), FIXTURE_CONTEXT);
      fs.writeFileSync(file, rendered);
      const validate = nftablesConcern(gateway(), FIXTURE_CONTEXT).files[0].validate!;
      const check = inNetns(validate, { STAGED: file });
      assert.equal(check.status, 0, check.out);
      // Loaded twice: the second load replaces the table in one transaction, and a foreign table survives both.
      const load = inNetns(`set -e; nft add table ip other; nft -f '${file}'; nft -f '${file}'; nft list tables; nft list table inet stage2`);
      assert.equal(load.status, 0, load.out);
      assert.deepEqual(load.out.split("\n").slice(0, 2), ["table ip other", "table inet stage2"]);
      assert.deepEqual(ruleLines(load.out), ruleLines(rendered));
    });
  }

  it("`meta secpath exists` is the same match as `meta ipsec exists` (nft prints it back that way)", () => {
    const r = inNetns("set -e; nft add table inet t; nft add chain inet t c; nft add rule inet t c meta secpath exists accept; nft list chain inet t c");
    assert.equal(r.status, 0, r.out);
    assert.ok(r.out.includes("\t\tmeta ipsec exists accept"), r.out);
  });

  it("the pool-without-IPsec drop rule carries a stable comment and counts", () => {
    const file = path.join(dir, "counter.nft");
    fs.writeFileSync(file, renderNftables(fixtureModel("libipsec"), FIXTURE_CONTEXT));
    const r = inNetns(`set -e; nft -f '${file}'; nft -a list chain inet stage2 forward`);
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, new RegExp(`ip saddr 10\\.3\\.0\\.0/24 counter packets 0 bytes 0 drop comment "${POOL_WITHOUT_IPSEC}" # handle \\d+`));
  });

  it("the validate command rejects a broken file, so it never replaces the running one", () => {
    const file = path.join(dir, "broken.nft");
    fs.writeFileSync(file, renderNftables(fixtureModel(), FIXTURE_CONTEXT).replace("policy drop;", "policy dorp;"));
    const r = inNetns(nftablesConcern(fixtureModel(), FIXTURE_CONTEXT).files[0].validate!, { STAGED: file });
    assert.notEqual(r.status, 0);
    assert.match(r.out, /dorp/);
  });
});
