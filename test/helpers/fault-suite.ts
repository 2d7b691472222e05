import { strict as assert } from "assert";
import { concurrentRuns, FaultLab, Flip, InterruptCase, interruptSuite, truncatedPayload } from "../../lab/interrupt";

export interface FaultSuiteSpec {
  /** The lab as the suite drives it, and the configurations it flips between: set by the caller's `before`. */
  readonly lab: () => { readonly fl: FaultLab; readonly flip: Flip };
  readonly cases: readonly InterruptCase[];
  /** What the cases cover, for the title: "every step of the apply (nftables, swanctl, WireGuard)". */
  readonly covers: string;
  /** The concern the truncated payload and the two concurrent runs use, and how long the first holds the lock (s). */
  readonly concern: string;
  readonly holdS: number;
  readonly timeoutMs: number;
}

/** The fault suite's tests, the same for both labs: every case recovers, a cut payload is refused, two runs never mix. */
export function faultSuiteTests(spec: FaultSuiteSpec): void {
  it(`killed (SIGKILL) or cut off (SSH closed) at ${spec.covers}; an ordinary converge then activates the new configuration`, async function () {
    this.timeout(spec.timeoutMs);
    const { fl, flip } = spec.lab();
    const outcomes = await interruptSuite(fl, flip, spec.cases, (o) => console.log(`      ${o.concern} ${o.how} at ${o.at}: ${o.ms} ms`));
    const failed = outcomes.filter((o) => o.problems.length).map((o) => `${o.concern} ${o.how} at ${o.at} (${o.interrupted}): ${o.problems.join("; ")}`);
    assert.deepEqual(failed, []);
    assert.equal(outcomes.length, spec.cases.length);
    // Each case did interrupt the run: never a clean exit 0.
    for (const o of outcomes) assert.doesNotMatch(o.interrupted, /^exit 0:/, `${o.concern} ${o.how} at ${o.at} was not interrupted`);
  });

  it(`a ${spec.concern} payload cut short over SSH is refused whole: nothing on the gateway changes`, async () => {
    const { fl, flip } = spec.lab();
    const t = await truncatedPayload(fl, flip.to(fl.model, 1), spec.concern);
    assert.equal(t.code, 1);
    assert.match(t.stderr, /payload incomplete: \d+ of \d+ bytes arrived, nothing changed/);
    assert.deepEqual(t.problems, []);
  });

  it(`two ${spec.concern} runs at once: the second waits naming the holder, then applies whole; files and daemons end on it, never a mix`, async () => {
    const { fl, flip } = spec.lab();
    const c = await concurrentRuns(fl, flip.to(fl.model, 1), fl.model, spec.concern, spec.holdS);
    assert.equal(c.first.code, 0, c.first.stderr);
    assert.equal(c.second.code, 0, c.second.stderr);
    assert.match(c.second.stdout, /waiting up to 300s for the converge holding this host: pid \d+, started \d{4}-/);
    assert.deepEqual(c.problems, []);
  });
}
