import { planGateway } from "../components/plan";
import { INTERRUPT_CASES, interruptSuite } from "../lab/interrupt";
import { Lab } from "../lab/lab";
import { LAB_STACK_FILE } from "../lab/stack";

/**
 * The fault suite in the namespace lab: every step of the apply script × (SIGKILL, SSH closed), each followed by
 * an ordinary converge. Prints every case and `interrupted converges recovered N/N`.
 */
export async function benchInterrupt(): Promise<void> {
  console.log(`interrupt: the ${INTERRUPT_CASES.length} fault cases in the namespace lab (each: interrupted apply, then an ordinary converge)`);
  const { lab } = await Lab.up({ stackFile: LAB_STACK_FILE, prefix: "s2bintr" }, planGateway);
  try {
    const outcomes = await interruptSuite(lab, INTERRUPT_CASES, (o) =>
      console.log(
        `  ${o.how.padEnd(5)} at ${o.at.padEnd(10)} ${o.problems.length ? `NOT RECOVERED: ${o.problems.join("; ")}` : "recovered"} (${o.ms} ms; interrupted run: ${o.interrupted})`,
      ),
    );
    const ok = outcomes.filter((o) => o.problems.length === 0).length;
    console.log(`  interrupted converges recovered ${ok}/${outcomes.length}`);
  } finally {
    await lab.down();
  }
}
