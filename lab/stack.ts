import * as path from "path";
import { formatProblem, GatewayModel, Problem } from "../components/model/gateway";
import { loadStackFile, stackFilePath } from "../stacks/load";
import { parseStack } from "../stacks/schema";

export const LAB_STACK_FILE = path.resolve(__dirname, "..", "stacks", "Pulumi.lab.yaml");
export { stackFilePath };

export interface LabStack {
  readonly file: string;
  readonly gateways: readonly GatewayModel[];
  /** Secret values by config key (without `stage2:`); the lab runs without Pulumi, so they must be plain. */
  readonly secrets: Readonly<Record<string, string>>;
}

export class StackError extends Error {
  constructor(
    readonly file: string,
    readonly problems: readonly Problem[],
  ) {
    super(`${file}:\n${problems.map((p) => `  ${formatProblem(p)}`).join("\n")}`);
    this.name = "StackError";
  }
}

/**
 * Reads a stack file through the same schema as every other stack. The operator's SSH key is the one secret
 * the lab supplies itself (generated per run), so the stack need not hold it.
 */
export function loadLabStack(file: string): LabStack {
  const stack = loadStackFile(file);
  const parsed = parseStack(stack.config, (key) => key === "sshPrivateKey" || stack.plainKeys.includes(key) || stack.secureKeys.includes(key));
  if (!parsed.ok) throw new StackError(file, parsed.problems);
  const secrets: Record<string, string> = {};
  const problems: Problem[] = [];
  for (const refs of parsed.stack.secretRefs.values()) {
    for (const ref of refs) {
      const value = stack.config[ref];
      if (stack.secureKeys.includes(ref)) {
        problems.push({ path: `stage2:${ref}`, message: "is an encrypted Pulumi secret; the lab runs without Pulumi and needs a lab-only plain value" });
      } else if (typeof value !== "string") {
        problems.push({ path: `stage2:${ref}`, message: "must be a string", value });
      } else secrets[ref] = value;
    }
  }
  if (problems.length) throw new StackError(file, problems);
  return { file, gateways: parsed.stack.gateways, secrets };
}
