import { parseArgs, UsageError } from "../args";
import { interruptAll } from "../../lab/exec";
import { DEFAULT_SCENARIO_PREFIX, runScenarios, summary as scenarioSummary } from "../../lab/scenarios/runner";
import { DEFAULT_SCENARIOS } from "../../lab/scenarios/selection";
import { SHARED_DIR } from "../../stacks/checkout";

export const summary = "run strongSwan's own ikev2 test scenarios in the namespace lab and check their expectations";

export const usage = `usage: stage2 scenarios [name...] [--shared <dir>] [--prefix <name>]

  Runs corpus scenarios (default: ${DEFAULT_SCENARIOS.join(", ")}) one after the other, each on the
  corpus network (moon, sun, carol, dave, alice, venus, bob) built from network namespaces: every host's swanctl.conf
  read through the swanctl model, rendered and converged, pretest.dat run, evaltest.dat's \`swanctl --list-*\` and
  \`ping\` lines checked. Prints each expectation and \`scenarios passed K/N\`; exit 1 unless all passed.

  --shared <dir>   the shared data directory holding corpus/strongswan-testing (default: ${SHARED_DIR})
  --prefix <name>  namespace prefix, default ${DEFAULT_SCENARIO_PREFIX}
Needs root.`;

export async function run(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs(argv, { values: ["shared", "prefix"] });
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`${e.message}\n${usage}\n`);
      return 2;
    }
    throw e;
  }
  if (process.getuid?.() !== 0) {
    process.stderr.write("stage2 scenarios needs root (network namespaces and charon)\n");
    return 2;
  }
  const names = args.positionals.length ? args.positionals : [...DEFAULT_SCENARIOS];
  const onSignal = () => interruptAll();
  process.once("SIGINT", onSignal);
  try {
    const results = await runScenarios(typeof args.flags.shared === "string" ? args.flags.shared : SHARED_DIR, names, {
      prefix: typeof args.flags.prefix === "string" ? args.flags.prefix : undefined,
      progress: (line) => process.stdout.write(`${line}\n`),
    });
    process.stdout.write(`${scenarioSummary(results)}\n`);
    return results.every((r) => r.passed) ? 0 : 1;
  } finally {
    process.off("SIGINT", onSignal);
  }
}
