import { strict as assert } from "assert";
import { requireTools } from "../helpers/env";
import { requireVm } from "../helpers/vm";
import { concurrentRuns, FaultLab, Flip, flipDir, interruptSuite, KERNEL_CASES, makeFlip, truncatedPayload } from "../../lab/interrupt";
import { kernelFaultLab } from "../../lab/kernel/interrupt";
import { KernelLab, kernelLabUp } from "../../lab/kernel/kernel-lab";

/**
 * The fault suite on a gateway with systemd (Debian's kernel in qemu): the production scripts, `systemctl reload
 * strongswan`, wg-quick@wg0 on the kernel module. One boot for the file.
 */
describe("interrupted converges (kernel lab: systemd, the production scripts)", function () {
  this.timeout(600_000);
  let lab: KernelLab | undefined;
  let flip: Flip;
  let fl: FaultLab;
  const t0 = Date.now();

  before(async function () {
    // Boot, topology, converge, peers: ~100 s here, ten times that on a machine loaded fifteen-fold.
    this.timeout(1_800_000);
    requireVm(this);
    requireTools(this, "pki");
    lab = await kernelLabUp({ name: "intr", prefix: "ki", log: (l) => process.env.STAGE2_LAB_VERBOSE && console.log(`      ${l}`) });
    flip = await makeFlip(flipDir(lab.vm.runDir));
    fl = kernelFaultLab(lab, flip);
  });
  after(async () => {
    await lab?.stop();
    console.log(`      kernel lab: ${((Date.now() - t0) / 1000).toFixed(0)} s in all (boot ${lab?.timings.boot} s)`);
  });

  it("killed (SIGKILL) or cut off (SSH closed) at every step once (swanctl, WireGuard); an ordinary converge then activates the new configuration under systemd", async function () {
    // Six interrupted runs and six converges on TCG.
    this.timeout(1_800_000);
    const outcomes = await interruptSuite(
      fl,
      flip,
      KERNEL_CASES,
      (o) => process.env.STAGE2_LAB_VERBOSE && console.log(`      ${o.concern} ${o.how} at ${o.at}: ${o.ms} ms`),
    );
    const failed = outcomes.filter((o) => o.problems.length).map((o) => `${o.concern} ${o.how} at ${o.at} (${o.interrupted}): ${o.problems.join("; ")}`);
    assert.deepEqual(failed, []);
    for (const o of outcomes) assert.doesNotMatch(o.interrupted, /^exit 0:/, `${o.concern} ${o.how} at ${o.at} was not interrupted`);
  });

  it("a swanctl payload cut short is refused whole: no file, no connection changes", async () => {
    const t = await truncatedPayload(fl, flip.to(fl.model, 1), "swanctl");
    assert.equal(t.code, 1);
    assert.match(t.stderr, /payload incomplete: \d+ of \d+ bytes arrived, nothing changed/);
    assert.deepEqual(t.problems, []);
  });

  it("two swanctl runs at once: the second waits naming the holder, then applies whole; files and charon end on it, never a mix", async () => {
    const c = await concurrentRuns(fl, flip.to(fl.model, 1), fl.model, "swanctl", 8);
    assert.equal(c.first.code, 0, c.first.stderr);
    assert.equal(c.second.code, 0, c.second.stderr);
    assert.match(c.second.stdout, /waiting up to 300s for the converge holding this host: pid \d+, started \d{4}-/);
    assert.deepEqual(c.problems, []);
  });
});
