import * as path from "path";
import { parseArgs, UsageError } from "../args";
import { mockConfig, previewStackFile, PreviewResult, runPreview } from "../preview-runtime";
import { loadStack, STACK_FLAGS, stackFileFromFlags } from "../stack-source";
import { loadStackFile } from "../../stacks/load";
import { policies } from "../../policy/policies";
import { formatViolations, hasMandatory, runPolicies } from "../../policy/runner";

export const summary = "run the stage2-gateway policy pack offline on the in-process preview";
export const usage = `usage: stage2 policy (--stack <env> | --config-file <path>) [--json]
       stage2 policy --program <file.ts> [--config-file <path>] [--json]

Previews the stack in-process (as \`stage2 preview\` does) and runs the policy pack policy/ on the recorded
resources, as \`pulumi preview --policy-pack policy\` would. --program previews another Pulumi program instead
of stage2's (a module exporting \`program()\`), e.g. a team's own stack that pushes hand-written configs;
--config-file then gives it its config. Prints one line per finding:
  [enforcement] policy: resource: message
Exit status: 1 when a mandatory policy is violated, 0 otherwise (advisory findings are printed, not fatal).`;

async function previewProgram(file: string, configFile: string | undefined): Promise<PreviewResult> {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const mod = require(path.resolve(file)) as { program?: () => Record<string, unknown> | void };
  if (typeof mod.program !== "function") throw new UsageError(`${file} must export a function \`program()\``);
  const stackFile = configFile ? loadStackFile(configFile) : undefined;
  const { config, secretKeys } = stackFile ? mockConfig(stackFile) : { config: {}, secretKeys: [] };
  return runPreview(stackFile?.stack ?? "policy", config, secretKeys, mod.program);
}

export async function run(argv: string[]): Promise<number> {
  const { flags } = parseArgs(argv, { values: [...STACK_FLAGS, "program"], booleans: ["json"] });
  let preview: PreviewResult;
  if (typeof flags["program"] === "string") {
    if (flags["stack"]) throw new UsageError("--program previews its own program: give --config-file, not --stack");
    const configFile = typeof flags["config-file"] === "string" ? flags["config-file"] : undefined;
    preview = await previewProgram(flags["program"], configFile);
  } else {
    const file = stackFileFromFlags(flags);
    loadStack(file);
    preview = await previewStackFile(file);
  }
  const violations = await runPolicies(preview.resources, policies);
  const mandatory = violations.filter((v) => v.enforcementLevel === "mandatory").length;
  if (flags["json"]) {
    process.stdout.write(JSON.stringify({ stack: preview.stack, violations }, null, 2) + "\n");
  } else {
    process.stdout.write(formatViolations(violations));
    process.stdout.write(
      `stack ${preview.stack}: ${preview.resources.length} resources, ${policies.length} policies, ` +
        `${mandatory} mandatory and ${violations.length - mandatory} advisory finding(s)\n`,
    );
  }
  return hasMandatory(violations) ? 1 : 0;
}
