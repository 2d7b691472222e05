import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { renderApplyScript } from "../../components/host/apply-script";
import { encodePayload } from "../../components/host/payload";
import { Concern } from "../../components/host/types";
import { floatingIpHostConcern } from "../../components/floating-ip-host/concern";
import { wireguardConcern } from "../../components/wireguard/concern";
import { requireRoot, requireTools } from "../helpers/env";
import { FIXTURE_CONTEXT, fixtureModel, fixtureGateway, gatewayFrom } from "../fixtures/gateway";

/** What the interface carries: the state a rollback must put back. */
const SHOW = (dev: string) =>
  `ip -o link show ${dev} | grep -o 'mtu [0-9]*'; ip -o address show dev ${dev} scope global | awk '{ print $4 }'; ip route show dev ${dev} proto boot | awk '{ print "route " $1 }'`;

/**
 * The concern's new activation runs whole, then a last command refuses: the apply script puts the previous file
 * back and re-activates. The refusal prints the state the new activation had reached, so the test sees that the
 * change really happened before it was undone.
 */
const refusing = (c: Concern, dev: string): Concern => ({ ...c, activate: [...(c.activate ?? []), `{ echo "new state:"; ${SHOW(dev)}; } >&2; false`] });

/** One throwaway host (own network, mount and PID namespaces; /etc an overlay, /var/lib and /run its own). */
function inHost(
  dir: string,
  steps: { concern: Concern; title: string }[],
  setup: string,
  show = (c: Concern) => SHOW(c.name === "wireguard" ? "wg0" : "eth0"),
): string {
  const lines = [
    "set -u",
    `mkdir -p ${dir}/etc-u ${dir}/etc-w ${dir}/var-lib`,
    `mount -t overlay stage2-etc -o lowerdir=/etc,upperdir=${dir}/etc-u,workdir=${dir}/etc-w /etc`,
    `mount --bind ${dir}/var-lib /var/lib; mount -t tmpfs stage2-run /run; ip link set lo up`,
    setup,
  ];
  // The tools are installed here, and this host's /var/lib holds no dpkg database to ask.
  steps.forEach(({ concern: withPackages, title }, i) => {
    const concern = { ...withPackages, packages: [] };
    fs.writeFileSync(path.join(dir, `apply-${i}.sh`), renderApplyScript(concern, "direct"));
    fs.writeFileSync(path.join(dir, `payload-${i}`), encodePayload(concern.files));
    lines.push(`echo "== ${title}"; bash ${dir}/apply-${i}.sh < ${dir}/payload-${i} 2>&1 | grep -v '^\\s*$'; ${show(concern)}`);
  });
  fs.writeFileSync(path.join(dir, "host.sh"), lines.join("\n") + "\n");
  const r = spawnSync("unshare", ["--net", "--mount", "--pid", "--fork", "--mount-proc", "--propagation", "private", "bash", `${dir}/host.sh`], {
    encoding: "utf8",
    timeout: 60_000,
  });
  assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
  return r.stdout;
}

const section = (out: string, title: string): string[] => out.split(`== ${title}\n`)[1].split("\n==")[0].trim().split("\n");

describe("rollback restores state, not just files (floating IP, WireGuard on wireguard-go)", function () {
  let dir: string;
  before(function () {
    requireRoot(this);
    requireTools(this, "unshare", "ip", "wg", "wg-quick", "wireguard-go", "/etc/wireguard");
  });
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "stage2-rollback-"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("floating IP: the address the refused change added is removed and the previous one is back", () => {
    const gw = fixtureModel();
    const v1 = floatingIpHostConcern(gw, FIXTURE_CONTEXT);
    const v2 = refusing(floatingIpHostConcern(gw, { ...FIXTURE_CONTEXT, floatingIp: "203.0.113.99" }), "eth0");
    const out = inHost(
      dir,
      [
        { concern: v1, title: "v1" },
        { concern: v2, title: "v2 refused" },
      ],
      "ip link add eth0 type veth peer name eth0-peer; ip link set eth0 up",
    );
    assert.deepEqual(section(out, "v1").slice(-2), ["mtu 1500", "203.0.113.100/32"]);
    const refused = section(out, "v2 refused");
    assert.match(refused.join("\n"), /activation failed, previous files restored: new state:\nmtu 1500\n203\.0\.113\.99\/32\n/);
    assert.deepEqual(refused.slice(-2), ["mtu 1500", "203.0.113.100/32"]);
  });

  it("floating IP: a new public interface takes the address and the old one's label is cleared; a refused change puts it back where it was", () => {
    const on = (publicInterface: string, floatingIp: string) => {
      const input = fixtureGateway();
      input.publicInterface = publicInterface;
      return floatingIpHostConcern(gatewayFrom(input), { ...FIXTURE_CONTEXT, floatingIp });
    };
    // "<dev> <address> <label>": the label is the word after the scope.
    const addrs = String.raw`ip -4 -o address show scope global | awk '{ for (i = 5; i < NF; i++) if ($i == "global") print $2, $4, $(i + 1) }' | tr -d '\\'`;
    const out = inHost(
      dir,
      [
        { concern: on("eth0", "203.0.113.100"), title: "v1 on eth0" },
        { concern: refusing(on("eth1", "203.0.113.99"), "eth1"), title: "v2 on eth1 refused" },
        { concern: on("eth1", "203.0.113.100"), title: "v3 on eth1" },
      ],
      "for i in eth0 eth1; do ip link add $i type veth peer name $i-peer; ip link set $i up; done",
      () => addrs,
    );
    assert.deepEqual(section(out, "v1 on eth0").slice(-1), ["eth0 203.0.113.100/32 eth0:1"]);
    const refused = section(out, "v2 on eth1 refused");
    assert.match(refused.join("\n"), /activation failed, previous files restored: new state:\nmtu 1500\n203\.0\.113\.99\/32\n/);
    assert.deepEqual(refused.slice(-1), ["eth0 203.0.113.100/32 eth0:1"]);
    const moved = section(out, "v3 on eth1");
    assert.match(moved[0], /changed 1 file/);
    assert.deepEqual(moved.slice(-1), ["eth1 203.0.113.100/32 eth1:1"]);
  });

  it("WireGuard: MTU, address and the new peer's route go back to the previous file's", () => {
    const v1 = wireguardConcern(fixtureModel(), FIXTURE_CONTEXT);
    const input = fixtureGateway();
    input.wireguard.mtu = 1400;
    input.wireguard.address = "10.9.0.1/24";
    input.wireguard.peers = [
      ...input.wireguard.peers!,
      { name: "depot", publicKey: "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=", allowedIps: ["172.16.9.0/24"] },
    ];
    const v2 = refusing(wireguardConcern(gatewayFrom(input), FIXTURE_CONTEXT), "wg0");
    const out = inHost(
      dir,
      [
        { concern: v1, title: "v1" },
        { concern: v2, title: "v2 refused" },
      ],
      "mkdir -p -m 0700 /etc/wireguard",
    );
    const before = ["mtu 1420", "10.8.0.1/24", "route 172.16.5.0/24"];
    assert.deepEqual(section(out, "v1").slice(-3), before);
    // Outside the new subnet, the peers' /32s need routes of their own: added, and removed again with it.
    const refused = section(out, "v2 refused");
    assert.match(
      refused.join("\n"),
      /previous files restored: new state:\nmtu 1400\n10\.9\.0\.1\/24\nroute 10\.8\.0\.2\nroute 10\.8\.0\.3\nroute 172\.16\.5\.0\/24\nroute 172\.16\.9\.0\/24\n/,
    );
    assert.deepEqual(refused.slice(-3), before);
  });
});
