import { reportFacts } from "../fact-report";
import { formatDifferences } from "./differences";
import { KernelStackLab, KernelStackLabOptions } from "./stack-lab";

export interface KernelStackReport {
  readonly green: boolean;
  /** Concerns the second converge of the unchanged stack activated (0: idempotent). */
  readonly reactivated: number;
  readonly timings: Readonly<Record<string, number>>;
}

/**
 * `stage2 lab run --kernel` on a stack of several gateways: the whole stack in one VM, each gateway a systemd
 * container, every fact of the namespace lab's checks (grouped by gateway and connection, counted), then a second
 * converge of the unchanged stack that must activate nothing; the VM is powered off.
 */
export async function runKernelStackLab(opts: KernelStackLabOptions & { readonly print: (line: string) => void }): Promise<KernelStackReport> {
  const t0 = Date.now();
  const seconds = () => Math.round((Date.now() - t0) / 100) / 10;
  opts.print("kernel lab: what differs from production:");
  formatDifferences()
    .replace(/\n$/, "")
    .split("\n")
    .forEach((l) => opts.print(l));
  const lab = await KernelStackLab.up({ ...opts, log: opts.log ?? opts.print });
  try {
    const facts = await lab.check();
    const timings: Record<string, number> = { ...lab.timings, checks: seconds() };
    const { lines, green } = reportFacts(facts);
    lines.forEach((l) => opts.print(l));
    const again = await Promise.all(lab.models().map((m) => lab.converge(m)));
    const reactivated = again.reduce((n, r) => n + r.activated, 0);
    timings.reconverge = seconds();
    opts.print(`kernel lab: re-converge of the unchanged stack: ${reactivated} activation(s)`);
    opts.print(
      `kernel lab: ${green && reactivated === 0 ? "green" : "NOT green"}: ${lab.topology.gateways.length} gateway(s), boot ${timings.boot} s, converged at ${timings.converge} s, all checks at ${timings.checks} s`,
    );
    return { green: green && reactivated === 0, reactivated, timings };
  } finally {
    await lab.stop();
  }
}
