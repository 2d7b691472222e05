import { benchInterrupt } from "./interrupt";
import { bench as benchKernel } from "./kernel";
import { benchKernelStack } from "./kernel-stack";
import { bench as benchLab, LabFigures } from "./lab";
import { benchLoad } from "./load";
import { benchPreview } from "./preview";
import { benchScale } from "./scale";

/**
 * `npm run bench`: the figures the issues name, measured here (never asserted by a timed test).
 * The labs run when we are root; `--only preview|scale|lab|kernel|kernel-stack|interrupt|load` picks one.
 */
async function main(): Promise<void> {
  const only = process.argv.includes("--only") ? process.argv[process.argv.indexOf("--only") + 1] : undefined;
  const want = (part: string) => !only || only === part;
  if (want("preview")) {
    console.log("preview: the stage2 program in-process under mocks (target: 100 gateways under 10 s)");
    await benchPreview(1); // warm-up: module loading is not the figure
    const rows = [];
    for (const n of [1, 10, 100]) rows.push(await benchPreview(n));
    for (const r of rows) {
      console.log(
        `  ${String(r.gateways).padStart(3)} gateways  ${String(r.resources).padStart(5)} resources  ${r.seconds.toFixed(2)} s  (${((r.seconds / r.gateways) * 1000).toFixed(0)} ms/gateway)`,
      );
    }
    const hundred = rows[rows.length - 1];
    console.log(
      `  growth 1 → 10 → 100: ×${(rows[1].seconds / rows[0].seconds).toFixed(1)}, ×${(rows[2].seconds / rows[1].seconds).toFixed(1)}; 100 gateways ${hundred.seconds < 10 ? "meets" : "MISSES"} the 10 s target`,
    );
  }
  if (want("scale")) await benchScale();
  let namespace: LabFigures | undefined;
  for (const part of ["lab", "kernel"]) {
    if (!want(part)) continue;
    if (process.getuid?.() !== 0) {
      console.log(`${part}: skipped (needs root)`);
      continue;
    }
    if (part === "lab") namespace = await benchLab();
    else await benchKernel(namespace);
  }
  if (want("kernel-stack") && process.getuid?.() === 0) await benchKernelStack();
  if (want("interrupt") && process.getuid?.() === 0) await benchInterrupt();
  if (want("load") && process.getuid?.() === 0) await benchLoad();
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
