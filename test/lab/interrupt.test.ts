import { strict as assert } from "assert";
import { planGateway } from "../../components/plan";
import { requireRoot, requireTools, LAB_TOOLS } from "../helpers/env";
import { concurrentRuns, FaultLab, Flip, flipDir, interruptSuite, makeFlip, NAMESPACE_CASES, namespaceFaultLab, truncatedPayload } from "../../lab/interrupt";
import { Lab } from "../../lab/lab";
import { LAB_STACK_FILE } from "../../lab/stack";

const PREFIX = "s2intr";

describe("interrupted converges (namespace lab: real SSH, real charon, nft, wireguard-go)", function () {
  this.timeout(300_000);
  let lab: Lab;
  let flip: Flip;
  let fl: FaultLab;

  before(async function () {
    requireRoot(this);
    requireTools(this, ...LAB_TOOLS);
    lab = (await Lab.up({ stackFile: LAB_STACK_FILE, prefix: PREFIX }, planGateway)).lab;
    flip = await makeFlip(flipDir(lab.state.stateDir));
    fl = namespaceFaultLab(lab, flip);
  });
  after(async function () {
    if (lab) await lab.down();
  });

  it("killed (SIGKILL) or cut off (SSH closed) at every step of the apply (nftables, swanctl, WireGuard); an ordinary converge then activates the new configuration", async function () {
    // 12 cases, each an interrupted run and a whole converge of gw.
    this.timeout(900_000);
    const outcomes = await interruptSuite(fl, flip, NAMESPACE_CASES);
    const failed = outcomes.filter((o) => o.problems.length).map((o) => `${o.concern} ${o.how} at ${o.at} (${o.interrupted}): ${o.problems.join("; ")}`);
    assert.deepEqual(failed, []);
    // Each case did interrupt the run: never a clean exit 0.
    for (const o of outcomes) assert.doesNotMatch(o.interrupted, /^exit 0:/, `${o.concern} ${o.how} at ${o.at} was not interrupted`);
  });

  it("a payload cut short over SSH is refused whole: nothing on gw changes", async () => {
    const t = await truncatedPayload(fl, flip.to(fl.model, 1), "nftables");
    assert.equal(t.code, 1);
    assert.match(t.stderr, /payload incomplete: \d+ of \d+ bytes arrived, nothing changed/);
    assert.deepEqual(t.problems, []);
  });

  it("two converges of gw at once: the second waits for the first, then applies whole; files and daemons end on it, never a mix", async () => {
    const c = await concurrentRuns(fl, flip.to(fl.model, 1), fl.model, "nftables", 3);
    assert.equal(c.first.code, 0, c.first.stderr);
    assert.equal(c.second.code, 0, c.second.stderr);
    assert.match(c.second.stdout, /waiting up to 300s for the converge holding this host: pid \d+, started \d{4}-/);
    assert.deepEqual(c.problems, []);
  });
});
