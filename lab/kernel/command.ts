import * as path from "path";
import { loadStackGateways } from "../stack";
import { runKernelLab } from "./index";
import { runKernelStackLab } from "./stack-run";
import { cleanStale, RUN_BASE } from "./vm";

/**
 * `stage2 lab <action> --kernel` (cli/commands/lab.ts imports this file when used). The VM lives as long as the command:
 * `up`, `check` and `run` each boot it, converge, run every check in that boot and power it off; `down` removes
 * what a killed run left (its qemu, found by pid file and command line, and the run directory). A stack of several
 * gateways runs whole (lab/kernel/stack-run.ts) unless `--gateway` picks one. `--keep` has no
 * effect here: the VM cannot outlive the command that owns its qemu. `verbose` prints the VM's console as it boots.
 */
/** The run name (RUN_BASE/<name>) of a whole stack's VM. */
const STACK_RUN = "stack";

export async function runKernel(
  action: string,
  opts: { stackFile: string; gateway?: string; prefix?: string; keep: boolean; verbose?: boolean; progress: (line: string) => void },
): Promise<number> {
  if (action === "down") {
    for (const name of ["lab", STACK_RUN]) cleanStale(path.join(RUN_BASE, name));
    opts.progress(`kernel lab: nothing of ${path.join(RUN_BASE, "lab")} or ${path.join(RUN_BASE, STACK_RUN)} left running`);
    return 0;
  }
  if (action !== "up" && action !== "check" && action !== "run") {
    opts.progress(`stage2 lab ${action} --kernel: unknown action (up, check, run or down)`);
    return 2;
  }
  try {
    if (!opts.gateway && loadStackGateways(opts.stackFile).length > 1) {
      const report = await runKernelStackLab({
        stackFile: opts.stackFile,
        name: STACK_RUN,
        prefix: opts.prefix,
        console: opts.verbose ? (line) => opts.progress(`  vm| ${line}`) : undefined,
        print: opts.progress,
      });
      return report.green ? 0 : 1;
    }
    const report = await runKernelLab({
      stackFile: opts.stackFile,
      gateway: opts.gateway,
      prefix: opts.prefix,
      console: opts.verbose ? (line) => opts.progress(`  vm| ${line}`) : undefined,
      print: (text) =>
        text
          .replace(/\n$/, "")
          .split("\n")
          .forEach((l) => opts.progress(l)),
    });
    return report.ok ? 0 : 1;
  } catch (e) {
    opts.progress(`kernel lab: FAILED: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
}
