import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { SYSCTL_VALIDATE, sysctlConcern } from "../../components/sysctl/concern";
import { renderSysctl } from "../../components/sysctl/render";
import { requireRoot, requireTools } from "../helpers/env";
import { FIXTURE_CONTEXT, fixtureModel, fixtureGateway, gatewayFrom, withIpv6Class } from "../fixtures/gateway";

/** A fresh network namespace: the net.* settings written there never reach the machine's own. */
function inNetns(script: string, env: Record<string, string> = {}): { status: number; out: string } {
  const r = spawnSync("unshare", ["--net", "bash", "-c", script], { encoding: "utf8", env: { ...process.env, ...env } });
  return { status: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

function settings(text: string): [string, string][] {
  return text
    .split("\n")
    .filter((l) => l && !l.startsWith("#"))
    .map((l) => l.split(" = ") as [string, string]);
}

describe("sysctl: the rendered file applies with sysctl -p inside a network namespace", function () {
  let dir: string;
  before(function () {
    requireRoot(this);
    requireTools(this, "sysctl", "unshare");
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "stage2-sysctl-"));
  });
  after(() => dir && fs.rmSync(dir, { recursive: true, force: true }));

  const ipv6 = () => {
    const input = fixtureGateway();
    withIpv6Class(input);
    return gatewayFrom(input);
  };

  for (const [name, gateway] of [
    ["IPv4 gateway", () => fixtureModel()],
    ["IPv6 gateway", ipv6],
  ] as const) {
    it(`${name}: validated, applied by the concern's activate command, every value reads back`, () => {
      const file = path.join(dir, "60-stage2.conf");
      const text = renderSysctl(gateway(), FIXTURE_CONTEXT);
      fs.writeFileSync(file, text);
      const check = inNetns(SYSCTL_VALIDATE, { STAGED: file });
      assert.equal(check.status, 0, check.out);
      const activate = sysctlConcern(gateway(), FIXTURE_CONTEXT).activate![0].replace("/etc/sysctl.d/60-stage2.conf", file);
      const keys = settings(text).map(([k]) => k);
      const r = inNetns(`set -e; ${activate}; for k in ${keys.join(" ")}; do printf '%s = %s\\n' "$k" "$(sysctl -n "$k")"; done`);
      assert.equal(r.status, 0, r.out);
      assert.deepEqual(settings(r.out), settings(text));
    });
  }

  it("the validate command rejects a key the kernel does not have and a malformed line", () => {
    const file = path.join(dir, "bad.conf");
    fs.writeFileSync(file, renderSysctl(fixtureModel(), FIXTURE_CONTEXT) + "net.ipv4.no_such_setting = 1\n");
    const unknown = inNetns(SYSCTL_VALIDATE, { STAGED: file });
    assert.notEqual(unknown.status, 0);
    assert.match(unknown.out, /no such sysctl: net\.ipv4\.no_such_setting/);
    fs.writeFileSync(file, "net.ipv4.ip_forward 1\n");
    const malformed = inNetns(SYSCTL_VALIDATE, { STAGED: file });
    assert.notEqual(malformed.status, 0);
    assert.match(malformed.out, /malformed line/);
  });
});
