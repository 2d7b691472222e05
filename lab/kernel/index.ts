import { CheckResult, formatChecks, kernelDoctorContext, runKernelChecks } from "./checks";
import { formatDifferences } from "./differences";
import { KernelLab, kernelLabUp, KernelLabOptions } from "./kernel-lab";
import { faults, FaultResult, hitless, HitlessResult, sealedCheck } from "./scenarios";

export { kernelLabUp, KernelLab, KernelLabOptions } from "./kernel-lab";
export { KERNEL_LAB_DIFFERENCES, formatDifferences } from "./differences";
export { runInVm } from "./vm";

export interface KernelLabRunOptions extends KernelLabOptions {
  /** Also run the hitless re-converge and the fault scenarios (default true). */
  readonly scenarios?: boolean;
  /** Output for the terminal (default: stdout). */
  readonly print?: (text: string) => void;
}

export interface KernelLabReport {
  readonly checks: readonly CheckResult[];
  readonly hitless?: HitlessResult;
  readonly faults?: readonly FaultResult[];
  readonly timings: Readonly<Record<string, number>>;
  readonly ok: boolean;
}

/** The checks of one boot: the dataplane facts, then the sealing proof. */
export async function kernelChecks(lab: KernelLab): Promise<CheckResult[]> {
  const results = await runKernelChecks(lab.layout, lab.hosts, kernelDoctorContext(lab));
  if (lab.vm.mgmt) results.push(await sealedCheck(lab, lab.vm.mgmt.hostAlias));
  return results;
}

export function hitlessChecks(h: HitlessResult): CheckResult[] {
  return [
    { name: "re-converge of the unchanged stack activates nothing", ok: h.activatedUnchanged === 0, evidence: `${h.activatedUnchanged} concern(s) activated` },
    {
      name: "hitless: rw's pings through the tunnel lose nothing while BIRD, nftables and swanctl reload (systemctl reload)",
      ok: h.transmitted > 0 && h.received === h.transmitted && h.activatedChanged.length >= 3,
      evidence: `${h.received}/${h.transmitted} received over ${h.seconds.toFixed(0)} s; activated: ${h.activatedChanged.join(", ")}`,
    },
    {
      name: "hitless: the road warrior's CHILD_SA keeps its SPIs",
      ok: h.spisBefore !== "none" && h.spisBefore === h.spisAfter,
      evidence: `${h.spisBefore} → ${h.spisAfter}`,
    },
  ];
}

export function faultChecks(results: readonly FaultResult[]): CheckResult[] {
  return results.map((f) => ({
    name: `fault: a ${f.concern} config the daemon rejects fails with its message, the previous config stays active`,
    ok: /FAILED/.test(f.message) && f.fileUnchanged && f.stillActive.trim() !== "",
    evidence: `${f.message.split("\n").slice(0, 3).join(" | ").slice(0, 300)}; file unchanged: ${f.fileUnchanged}; active: ${f.stillActive.trim().split("\n").join(" | ").slice(0, 200)}`,
  }));
}

/**
 * `stage2 lab up --kernel`: boots the VM, converges the gateway, runs every check in that one boot (and the
 * hitless and fault scenarios), prints one line per fact, powers the VM off. Returns the report.
 */
export async function runKernelLab(opts: KernelLabRunOptions = {}): Promise<KernelLabReport> {
  const print = opts.print ?? ((t: string) => process.stdout.write(t));
  const t0 = Date.now();
  print("kernel lab: what differs from production:\n" + formatDifferences());
  const lab = await kernelLabUp({ ...opts, log: opts.log ?? ((l) => print(l + "\n")) });
  try {
    const checks = await kernelChecks(lab);
    const timings: Record<string, number> = { ...lab.timings, checks: Math.round((Date.now() - t0) / 100) / 10 };
    print(formatChecks(checks));
    let h: HitlessResult | undefined;
    let f: FaultResult[] | undefined;
    const all = [...checks];
    if (opts.scenarios ?? true) {
      h = await hitless(lab);
      f = await faults(lab);
      const more = [...hitlessChecks(h), ...faultChecks(f)];
      print(formatChecks(more));
      all.push(...more);
      timings.scenarios = Math.round((Date.now() - t0) / 100) / 10;
    }
    const failed = all.filter((c) => !c.ok).length;
    print(`kernel lab: ${all.length - failed}/${all.length} checks passed; boot ${timings.boot} s, checks green at ${timings.checks} s\n`);
    return { checks: all, hitless: h, faults: f, timings, ok: failed === 0 };
  } finally {
    await lab.stop();
  }
}
