import { parseArgs } from "../args";
import { previewStackFile } from "../preview-runtime";
import { loadStack, STACK_FLAGS, stackFileFromFlags } from "../stack-source";
import { policies } from "../../policy/policies";
import { formatViolations, hasMandatory, runPolicies } from "../../policy/runner";

export const summary = "run the stage2-gateway policy pack offline on the in-process preview";
export const usage = `usage: stage2 policy (--stack <env> | --config-file <path>) [--json]

Previews the stack in-process (as \`stage2 preview\` does) and runs the policy pack policy/ on the recorded
resources, exactly as \`pulumi preview --policy-pack policy\` would. Prints one line per violation:
  [enforcement] policy: resource: message
Exit status: 1 when a mandatory policy is violated, 0 otherwise (advisory findings are printed, not fatal).`;

export async function run(argv: string[]): Promise<number> {
  const { flags } = parseArgs(argv, { values: STACK_FLAGS, booleans: ["json"] });
  const file = stackFileFromFlags(flags);
  loadStack(file);
  const preview = await previewStackFile(file);
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
