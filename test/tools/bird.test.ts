import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { BIRD_CONF, birdConcern } from "../../components/bird/concern";
import { renderBird } from "../../components/bird/render";
import { requireRoot, requireTools } from "../helpers/env";
import { FIXTURE_CONTEXT, fixtureModel, fixtureGateway, gatewayFrom, withIpv6Class } from "../fixtures/gateway";

function sh(script: string, env: Record<string, string> = {}): { status: number; out: string } {
  const r = spawnSync("bash", ["-c", script], { encoding: "utf8", env: { ...process.env, ...env }, timeout: 30000 });
  return { status: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

/**
 * A throwaway host: own network, mount and PID namespaces with a private /run, so bird's socket and pid stay
 * inside and every process dies with the script.
 */
function inHost(script: string): { status: number; out: string } {
  return sh(`unshare --net --mount --pid --fork --mount-proc --propagation private bash -c ${JSON.stringify(`mount -t tmpfs stage2-run /run; ${script}`)}`);
}

describe("BIRD 2: bird -p accepts the rendered config, and the table 220 → master4 chain works", function () {
  let dir: string;
  before(function () {
    requireRoot(this);
    requireTools(this, "bird", "birdc", "unshare", "ip");
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "stage2-bird-"));
  });
  after(() => dir && fs.rmSync(dir, { recursive: true, force: true }));

  const variants = {
    xfrm: () => fixtureModel("xfrm"),
    libipsec: () => fixtureModel("libipsec"),
    "no bgp": () => {
      const input = fixtureGateway();
      delete input.bgp;
      return gatewayFrom(input);
    },
    "ipv6 pool": () => {
      const input = fixtureGateway();
      withIpv6Class(input);
      return gatewayFrom(input);
    },
    "no tunnels yet": () => {
      const input = fixtureGateway();
      input.ipsec = { roadWarriors: [], sites: [] };
      return gatewayFrom(input);
    },
  };
  for (const [name, gateway] of Object.entries(variants)) {
    it(`${name}: the concern's validate command (bird -p) accepts it`, () => {
      const file = path.join(dir, `${name.replace(/\W+/g, "-")}.conf`);
      fs.writeFileSync(file, renderBird(gateway(), FIXTURE_CONTEXT));
      const r = sh(birdConcern(gateway(), FIXTURE_CONTEXT).files[0].validate!, { STAGED: file });
      assert.equal(r.status, 0, r.out);
    });
  }

  it("the validate command rejects a broken config", () => {
    const file = path.join(dir, "broken.conf");
    fs.writeFileSync(file, renderBird(fixtureModel(), FIXTURE_CONTEXT).replace("learn;", "lern;"));
    const r = sh(birdConcern(fixtureModel(), FIXTURE_CONTEXT).files[0].validate!, { STAGED: file });
    assert.notEqual(r.status, 0);
    assert.match(r.out, /broken\.conf:\d+:\d+/);
  });

  it("learns strongSwan-style routes from table 220, pipes only tunnel networks to master4, and reloads with birdc configure", () => {
    const first = path.join(dir, "live.conf");
    const second = path.join(dir, "live-2.conf");
    fs.writeFileSync(first, renderBird(fixtureModel(), FIXTURE_CONTEXT));
    const input = fixtureGateway();
    input.ipsec!.sites![0].remoteTs = [...input.ipsec!.sites![0].remoteTs, "172.31.0.0/24"];
    fs.writeFileSync(second, renderBird(gatewayFrom(input), FIXTURE_CONTEXT));
    const direct = birdConcern(fixtureModel(), FIXTURE_CONTEXT).services[0].direct;
    const script = [
      "set -e",
      // Both veth ends live in this namespace; the routes mimic what charon installs (proto static, table 220).
      "ip link add v0 type veth peer name v1; ip link set v0 up; ip link set v1 up; ip addr add 10.0.0.2/16 dev v0",
      "ip route add 10.3.0.5/32 via 10.0.0.9 dev v0 proto static table 220",
      "ip route add 172.20.5.0/24 via 10.0.0.9 dev v0 proto static table 220",
      "ip route add 172.31.0.0/24 via 10.0.0.9 dev v0 proto static table 220",
      direct.start.replace(BIRD_CONF, first),
      `for i in $(seq 50); do ${direct.running} >/dev/null 2>&1 && birdc show route table master4 | grep -q 172.20.5.0/24 && break; sleep 0.1; done`,
      "echo '== ipsec4'; birdc show route table ipsec4 | grep -o '^[0-9./]*' | sort",
      "echo '== master4'; birdc show route table master4 | grep -o '^[0-9./]*' | sort",
      `cp ${second} ${first}`,
      `echo '== reload'; ${direct.reload}`,
      "for i in $(seq 50); do birdc show route table master4 | grep -q 172.31.0.0/24 && break; sleep 0.1; done",
      "echo '== master4 after'; birdc show route table master4 | grep -o '^[0-9./]*' | sort",
      "echo '== bgp'; birdc show protocols | awk '$2 == \"BGP\" { print $1 }'",
      "birdc down >/dev/null",
    ].join("\n");
    fs.writeFileSync(path.join(dir, "live.sh"), script);
    const r = inHost(`bash ${path.join(dir, "live.sh")}`);
    assert.equal(r.status, 0, r.out);
    const section = (title: string) => r.out.split(`== ${title}\n`)[1].split("\n==")[0].trim().split("\n");
    // The pool (10.3.0.0/24) and the site (172.20.0.0/16) are announced whole; charon's routes add the specifics.
    assert.deepEqual(section("ipsec4"), ["10.3.0.0/24", "10.3.0.5/32", "172.20.0.0/16", "172.20.5.0/24", "172.31.0.0/24"]);
    assert.deepEqual(section("master4"), ["10.3.0.0/24", "10.3.0.5/32", "172.20.0.0/16", "172.20.5.0/24"]);
    assert.match(section("reload").join("\n"), /Reconfigured/);
    assert.deepEqual(section("master4 after"), ["10.3.0.0/24", "10.3.0.5/32", "172.20.0.0/16", "172.20.5.0/24", "172.31.0.0/24"]);
    assert.deepEqual(section("bgp"), ["bgp_node_1", "bgp_node_2"]);
  });
});
