import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { renderApplyScript } from "../../components/host/apply-script";
import { encodePayload } from "../../components/host/payload";
import { WIREGUARD_VALIDATE, wireguardConcern } from "../../components/wireguard/concern";
import { renderWireguard, wireguardPublicKeyCommand } from "../../components/wireguard/render";
import { requireRoot, requireTools } from "../helpers/env";
import { FIXTURE_CONTEXT, fixtureModel, fixtureGateway, gatewayFrom } from "../fixtures/gateway";

function sh(script: string, env: Record<string, string> = {}): { status: number; out: string } {
  const r = spawnSync("bash", ["-c", script], { encoding: "utf8", env: { ...process.env, ...env }, timeout: 30000 });
  return { status: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

/**
 * A throwaway host: own network, mount and PID namespaces, a private /run (wireguard-go's socket) and a private
 * /etc/wireguard, so the concern's commands run at their real paths and every process dies with the script.
 */
function inHost(scriptFile: string, varLib?: string): { status: number; out: string } {
  const setup = [
    "mount -t tmpfs stage2-run /run; mount -t tmpfs -o mode=0700 stage2-wg /etc/wireguard; ip link set lo up",
    // The apply script keeps its state under /var/lib/stage2: a writable overlay, dpkg's database still visible.
    ...(varLib ? [`mkdir -p ${varLib}/u ${varLib}/w; mount -t overlay stage2-var -o lowerdir=/var/lib,upperdir=${varLib}/u,workdir=${varLib}/w /var/lib`] : []),
  ].join("; ");
  return sh(`unshare --net --mount --pid --fork --mount-proc --propagation private bash -c '${setup}; bash ${scriptFile}'`);
}

/** The output between "== title" and the next marker. */
function section(out: string, title: string): string[] {
  const part = out.split(`== ${title}\n`)[1];
  assert.ok(part !== undefined, `no section ${title} in:\n${out}`);
  return part.split("\n==")[0].trim().split("\n");
}

describe("WireGuard: wg-quick and wg parse the rendered config; the concern's commands run on wireguard-go", function () {
  let dir: string;
  before(function () {
    requireRoot(this);
    // /etc/wireguard (shipped by wireguard-tools) is where the private tmpfs is mounted.
    requireTools(this, "wg", "wg-quick", "wireguard-go", "unshare", "ip", "awk", "/etc/wireguard");
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "stage2-wg-"));
  });
  after(() => dir && fs.rmSync(dir, { recursive: true, force: true }));

  function staged(name: string, text: string): string {
    const sub = fs.mkdtempSync(path.join(dir, "stage-"));
    const file = path.join(sub, name);
    fs.writeFileSync(file, text, { mode: 0o600 });
    return file;
  }

  it("the validate command accepts the rendered file for both dataplanes (wg-quick strip, then wg's parser)", () => {
    for (const dataplane of ["xfrm", "libipsec"] as const) {
      const r = sh(WIREGUARD_VALIDATE, { STAGED: staged("wg0.conf", renderWireguard(fixtureModel(dataplane), FIXTURE_CONTEXT)) });
      assert.equal(r.status, 0, r.out);
    }
  });

  it("the validate command rejects what wg cannot parse", () => {
    const text = renderWireguard(fixtureModel(), FIXTURE_CONTEXT);
    for (const broken of [text.replace("AllowedIPs = 10.8.0.2/32", "AllowedIPs = 10.8.0.2/33"), text.replace("PersistentKeepalive", "Keepalive")]) {
      const r = sh(WIREGUARD_VALIDATE, { STAGED: staged("wg0.conf", broken) });
      assert.notEqual(r.status, 0, r.out);
      assert.match(r.out, /parsing error|unrecognized|Unable to parse/i);
    }
  });

  it("prepare makes the key once; direct start brings wg0 up with it; activate syncs peers, MTU and address and keeps the key", () => {
    const gw = fixtureModel();
    const concern = wireguardConcern(gw, FIXTURE_CONTEXT);
    const input = fixtureGateway();
    input.wireguard.peers = [{ ...input.wireguard.peers![0], persistentKeepalive: 15 }];
    input.wireguard.mtu = 1400;
    const changed = gatewayFrom(input);
    const conf = "/etc/wireguard/wg0.conf";
    const script = [
      "set -euo pipefail",
      ...concern.prepare!,
      "echo '== key'; stat -c %a /etc/wireguard/wg0.key; sha256sum < /etc/wireguard/wg0.key",
      ...concern.prepare!,
      "echo '== key again'; sha256sum < /etc/wireguard/wg0.key",
      `cp ${staged("wg0.conf", renderWireguard(gw, FIXTURE_CONTEXT))} ${conf}`,
      `if ${concern.services[0].direct.running} >/dev/null 2>&1; then echo wg0 already up; exit 1; fi`,
      `${concern.services[0].direct.start} 2>/dev/null`,
      `echo '== up'; ${concern.services[0].direct.running} >/dev/null && echo running`,
      `[ "$(wg show wg0 public-key)" = "$(${wireguardPublicKeyCommand(gw)})" ] && echo public key matches`,
      '[ "$(wg show wg0 private-key)" = "$(cat /etc/wireguard/wg0.key)" ] && echo private key loaded',
      "wg show wg0 listen-port; wg show wg0 allowed-ips | sort; ip -o -4 addr show dev wg0 | awk '{ print $4 }'",
      `cp ${staged("wg0.conf", renderWireguard(changed, FIXTURE_CONTEXT))} ${conf}`,
      ...wireguardConcern(changed, FIXTURE_CONTEXT).activate!,
      'echo \'== synced\'; [ "$(wg show wg0 private-key)" = "$(cat /etc/wireguard/wg0.key)" ] && echo private key kept',
      "wg show wg0 persistent-keepalive; ip -o link show dev wg0 | grep -o 'mtu [0-9]*'",
      // The trap the splice avoids: a stripped config has no PrivateKey, and syncconf then clears the key.
      "wg syncconf wg0 <(wg-quick strip wg0)",
      "echo '== naive syncconf'; wg show wg0 private-key",
      "ip link del wg0",
    ].join("\n");
    const file = path.join(dir, "host.sh");
    fs.writeFileSync(file, script);
    const r = inHost(file);
    assert.equal(r.status, 0, r.out);
    assert.equal(section(r.out, "key")[0], "600");
    assert.deepEqual(section(r.out, "key again"), [section(r.out, "key")[1]]);
    assert.deepEqual(section(r.out, "up"), [
      "running",
      "public key matches",
      "private key loaded",
      "51820",
      "/sof+Mu7JtVt2k02YyhOpuB0jj0RgwUWFuPBFwBfA1E=\t10.8.0.3/32 172.16.5.0/24",
      "C/d28GCXPCU2eKCaxlZeuZo4boQVoTUIxGd4b3DrO3M=\t10.8.0.2/32",
      "10.8.0.1/24",
    ]);
    assert.deepEqual(section(r.out, "synced"), ["private key kept", "C/d28GCXPCU2eKCaxlZeuZo4boQVoTUIxGd4b3DrO3M=\t15", "mtu 1400"]);
    assert.deepEqual(section(r.out, "naive syncconf"), ["(none)"]);
  });

  it("the real apply script (direct): first run brings wg0 up, a re-run changes nothing, a peer change syncs and keeps the key", () => {
    const input = fixtureGateway();
    input.wireguard.peers = input.wireguard.peers!.slice(1);
    const plans = [fixtureModel(), fixtureModel(), gatewayFrom(input)].map((gw) => wireguardConcern(gw, FIXTURE_CONTEXT));
    const lines = ["set -uo pipefail"];
    plans.forEach((concern, i) => {
      const script = path.join(dir, `apply-${i}.sh`);
      const payload = path.join(dir, `payload-${i}`);
      fs.writeFileSync(script, renderApplyScript(concern, "direct"));
      fs.writeFileSync(payload, encodePayload(concern.files));
      lines.push(`echo '== run ${i}'; bash ${script} < ${payload} 2>&1 | grep '^stage2:'`);
      lines.push(
        'wg show wg0 peers | sort; [ "$(wg show wg0 private-key)" = "$(cat /etc/wireguard/wg0.key)" ] && echo key in use; sha256sum < /etc/wireguard/wg0.key',
      );
    });
    lines.push("ip link del wg0");
    const file = path.join(dir, "apply.sh");
    fs.writeFileSync(file, lines.join("\n"));
    const r = inHost(file, path.join(dir, "var-lib"));
    assert.equal(r.status, 0, r.out);
    const [first, second, third] = [0, 1, 2].map((i) => section(r.out, `run ${i}`));
    const [branch, laptop] = ["/sof+Mu7JtVt2k02YyhOpuB0jj0RgwUWFuPBFwBfA1E=", "C/d28GCXPCU2eKCaxlZeuZo4boQVoTUIxGd4b3DrO3M="];
    const key = first[5];
    assert.match(key, /^[0-9a-f]{64} {2}-$/);
    const changed = "stage2: wireguard: changed 1 file(s): /etc/wireguard/wg0.conf";
    assert.deepEqual(first, [changed, "stage2: wireguard: activated", branch, laptop, "key in use", key]);
    assert.deepEqual(second, ["stage2: wireguard: unchanged", branch, laptop, "key in use", key]);
    assert.deepEqual(third, [changed, "stage2: wireguard: activated", branch, "key in use", key]);
  });
});
