import { withRoadWarrior } from "../../lab/model";
import { strict as assert } from "assert";
import { GatewayModel } from "../../components/model/gateway";
import { planGateway } from "../../components/plan";
import { birdCheck } from "../../doctor/checks/bird";
import { capacityCheck } from "../../doctor/checks/capacity";
import { connectionsCheck, HALF_OPEN_AFTER_S } from "../../doctor/checks/connections";
import { runChecks } from "../../doctor/run";
import { Check, Finding } from "../../doctor/types";
import { waitForTunnels } from "../../lab/faults";
import { sh } from "../../lab/host";
import { clientPeerSpec, Lab } from "../../lab/lab";
import { initiate } from "../../lab/peer-hosts";
import { renderClientSwanctl } from "../../lab/peers";
import { LAB_STACK_FILE } from "../../lab/stack";
import { LAB_TOOLS, requireRoot, requireTools } from "../helpers/env";

/**
 * Doctor's per-connection, BIRD and capacity checks against the namespace lab's live gateway (one bring-up): green
 * when healthy; then one fault at a time, each undone before the next: BIRD stopped, a CHILD_SA left half-open
 * by the road warrior, a pool filled by extra clients.
 */
const PREFIX = "s2doc";
const SEEN = (fs: readonly Finding[]) => fs.map((f) => `${f.check} ${f.subject} ${f.status}`).sort();

describe("doctor: connections, BIRD and capacity in the namespace lab", function () {
  this.timeout(120_000);
  let lab: Lab;
  const doctor = (check: Check) => runChecks([check], lab.doctor());
  const until = async (check: Check, cond: (fs: readonly Finding[]) => boolean, timeoutMs: number): Promise<readonly Finding[]> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = await doctor(check);
      if (cond(found) || Date.now() > deadline) return found;
      await new Promise((r) => setTimeout(r, 500));
    }
  };
  const green = async () => {
    const all = [...(await doctor(connectionsCheck)), ...(await doctor(birdCheck)), ...(await doctor(capacityCheck))];
    assert.deepEqual(
      all.filter((f) => f.status !== "ok").map((f) => `${f.check} ${f.subject}: ${f.what}`),
      [],
    );
    return all;
  };

  before(async function () {
    requireRoot(this);
    requireTools(this, ...LAB_TOOLS);
    lab = (await Lab.up({ stackFile: LAB_STACK_FILE, prefix: PREFIX }, planGateway)).lab;
    // Traffic through every tunnel: a CHILD_SA that carried packets is not half-open.
    await waitForTunnels(lab);
  });

  after(async () => {
    if (lab) await lab.down();
  });

  it("healthy: every connection, the BGP neighbour and the pool are green, with their evidence", async () => {
    const all = await green();
    assert.deepEqual(SEEN(all), [
      "bird bgp node1 ok",
      "capacity laptops ok",
      "connections branch ok",
      "connections ip rule 220 ok",
      "connections ipsec0 ok",
      "connections laptops ok",
    ]);
    const laptops = all.find((f) => f.check === "connections" && f.subject === "laptops")!;
    assert.match(
      laptops.what,
      /^laptops: 1 IKE SA\(s\) ESTABLISHED on 203\.0\.113\.20, 1 CHILD_SA\(s\) INSTALLED .* libipsec \(ipsec0\), routed in table 220$/,
    );
    assert.match(laptops.evidence.map((e) => e.output).join("\n"), /^10\.3\.0\.\d+ dev ipsec0 proto static src 10\.0\.0\.2/m);
    assert.match(all.find((f) => f.check === "bird")!.what, /sent exactly the pools and sites' networks \(10\.3\.0\.0\/24, 10\.20\.0\.0\/24\)$/);
    assert.match(all.find((f) => f.check === "capacity")!.what, /^laptops: pool 10\.3\.0\.0\/24 has room, 1 online \+ 0 offline of 254 addresses/);
  });

  it("BIRD stopped: bird fails, says BIRD is not running and how to start it; a converge brings it back", async () => {
    await sh(lab.host("gw"), "birdc down");
    const found = await doctor(birdCheck);
    assert.deepEqual(SEEN(found), ["bird bird fail"]);
    assert.match(found[0].what, /^BIRD is not running/);
    assert.match(found[0].fix!, /systemctl restart bird/);
    assert.match(found[0].evidence[0].output, /Unable to connect to server control socket/);
    await lab.converge();
    const back = await until(birdCheck, (fs) => fs.every((f) => f.status === "ok"), 30_000);
    assert.deepEqual(SEEN(back), ["bird bgp node1 ok"]);
    await lab.waitForBgp();
  });

  it(`half-open: the road warrior loses its state after negotiating; after ${HALF_OPEN_AFTER_S} s the gateway's CHILD_SA is flagged with the fix`, async () => {
    const rw = lab.host("rw");
    // A fresh CHILD_SA (counters at 0), then the client's charon dies with its SAs: the gateway keeps its half.
    await sh(rw, "swanctl --terminate --ike laptops --timeout 10 >/dev/null");
    await initiate(rw, "laptops");
    await sh(rw, 'pid=$(cat /run/charon.pid); kill -KILL "$pid"; for i in $(seq 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done');
    const found = await until(connectionsCheck, (fs) => fs.some((f) => f.status !== "ok"), (HALF_OPEN_AFTER_S + 15) * 1000);
    assert.deepEqual(SEEN(found), ["connections branch ok", "connections ip rule 220 ok", "connections ipsec0 ok", "connections laptops warn"]);
    const half = found.find((f) => f.status === "warn")!;
    assert.match(
      half.what,
      /^laptops: possibly half-open: client laptop@lab\.example \(10\.3\.0\.\d+\)'s CHILD_SA .* has received nothing \(bytes-in 0, packets-in 0/,
    );
    assert.match(half.fix!, /swanctl --terminate --ike-id \d+/);
    assert.match(half.fix!, /proposals\.esp/);
    // The client comes back: its charon restarted, it dials, its traffic arrives.
    await sh(
      rw,
      "setsid /usr/lib/ipsec/charon </dev/null >/dev/null 2>&1 & for i in $(seq 100); do swanctl --stats >/dev/null 2>&1 && break; sleep 0.05; done; swanctl --load-all --noprompt >/dev/null",
    );
    await initiate(rw, "laptops");
    await waitForTunnels(lab);
    await green();
  });

  it("a full pool: a class of two addresses filled by two extra clients fails capacity, naming the pool and the fix", async () => {
    const rw = lab.host("rw");
    const laptops = lab.topology.clients[0];
    const auth = laptops.auth;
    if (auth.kind !== "psk") throw new Error("the lab stack's road warrior is a PSK client");
    const kiosk = (gw: GatewayModel): GatewayModel =>
      withRoadWarrior(gw, {
        name: "kiosk",
        pool: "10.4.0.0/30",
        clients: { kind: "psk", id: "*@kiosk.lab.example", ids: ["a@kiosk.lab.example", "b@kiosk.lab.example"], secret: auth.secretKey },
      });
    await lab.converge(lab.model(kiosk));
    // Two more clients in the road warrior's charon, each its own identity and IKE SA: the /30 pool has 2 addresses.
    const own = await sh(rw, "cat /etc/swanctl/swanctl.conf");
    const extra = ["a", "b"]
      .map((x) =>
        renderClientSwanctl(
          {
            ...clientPeerSpec(laptops),
            conn: `kiosk-${x}`,
            auth: { ...auth, id: `${x}@kiosk.lab.example` },
          },
          lab.secret(auth.secretKey),
        ),
      )
      .join("\n");
    await sh(rw, "cat >> /etc/swanctl/swanctl.conf && swanctl --load-all --noprompt >/dev/null", { input: extra });
    try {
      await initiate(rw, "kiosk-a");
      await initiate(rw, "kiosk-b");
      // Doctor judges the gateway against the model it was converged with: the stack plus the kiosk class.
      const found = await runChecks([capacityCheck], { ...lab.doctor(), gateway: lab.model(kiosk) });
      assert.deepEqual(SEEN(found), ["capacity kiosk fail", "capacity laptops ok"]);
      const full = found.find((f) => f.status === "fail")!;
      assert.match(
        full.what,
        /^kiosk: pool 10\.4\.0\.0\/30 is full, 2 online \+ 0 offline of 2 addresses \(100 %\): charon refuses the next client a virtual IP$/,
      );
      assert.match(full.fix!, /enlarge ipsec\.roadWarriors\[kiosk\]\.pool \(10\.4\.0\.0\/30, 2 addresses\)/);
      assert.match(full.evidence[0].output, /^kiosk-pool base 10\.4\.0\.0 size 2 online 2 offline 0$/);
    } finally {
      await sh(
        rw,
        "swanctl --terminate --ike kiosk-a --timeout 10 >/dev/null; swanctl --terminate --ike kiosk-b --timeout 10 >/dev/null; cat > /etc/swanctl/swanctl.conf && swanctl --load-all --noprompt >/dev/null",
        {
          input: own,
        },
      );
      await lab.converge();
    }
    await green();
  });
});
