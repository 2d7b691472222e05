import { planGateway } from "../components/plan";
import {
  flipDir,
  formatOutcome,
  InterruptCase,
  InterruptOutcome,
  interruptSuite,
  KERNEL_CASES,
  makeFlip,
  NAMESPACE_CASES,
  namespaceFaultLab,
} from "../lab/interrupt";
import { kernelFaultLab } from "../lab/kernel/interrupt";
import { kernelLabUp } from "../lab/kernel/kernel-lab";
import { Lab } from "../lab/lab";
import { LAB_STACK_FILE } from "../lab/stack";

async function namespaceCases(cases: readonly InterruptCase[]): Promise<InterruptOutcome[]> {
  const { lab } = await Lab.up({ stackFile: LAB_STACK_FILE, prefix: "s2bintr" }, planGateway);
  try {
    const flip = await makeFlip(flipDir(lab.state.stateDir));
    return await interruptSuite(namespaceFaultLab(lab, flip), flip, cases, (o) => console.log(formatOutcome(o)));
  } finally {
    await lab.down();
  }
}

async function kernelCases(cases: readonly InterruptCase[]): Promise<InterruptOutcome[]> {
  const lab = await kernelLabUp({ name: "bench-intr", prefix: "kbi" });
  try {
    const flip = await makeFlip(flipDir(lab.vm.runDir));
    return await interruptSuite(kernelFaultLab(lab, flip), flip, cases, (o) => console.log(formatOutcome(o)));
  } finally {
    await lab.stop();
  }
}

/**
 * The fault suites of both labs: each case an apply stopped at one step (SIGKILL, or the SSH connection closed),
 * then an ordinary converge. Prints every case and `interrupted converges recovered N/N`.
 */
export async function benchInterrupt(): Promise<void> {
  const all: InterruptOutcome[] = [];
  for (const [name, cases, run] of [
    ["namespace lab", NAMESPACE_CASES, namespaceCases],
    ["kernel lab (systemd)", KERNEL_CASES, kernelCases],
  ] as const) {
    console.log(`interrupt: the ${cases.length} fault cases in the ${name} (each: interrupted apply, then an ordinary converge)`);
    const outcomes = await run(cases);
    const ok = outcomes.filter((o) => o.problems.length === 0).length;
    console.log(`  ${name}: ${ok}/${outcomes.length} recovered`);
    all.push(...outcomes);
  }
  console.log(`  interrupted converges recovered ${all.filter((o) => o.problems.length === 0).length}/${all.length}`);
}
