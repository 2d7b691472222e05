import * as path from "path";
import { formatProblem, GatewayModel, Problem } from "../components/model/gateway";
import { loadStackFile, stackFilePath, STACKS_DIR } from "../stacks/load";
import { parseStack } from "../stacks/schema";

export const LAB_STACK_FILE = path.join(STACKS_DIR, "Pulumi.lab.yaml");
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
 * Secrets the lab makes itself per run, so a stack need not hold them: the key of the certificate the lab issues
 * for the first road warrior's gateway identity (lab/pki.ts).
 */
export const labSuppliedSecrets = (gw: GatewayModel): string[] => {
  const rw = gw.ipsec.roadWarriors[0];
  return rw?.local.kind === "pubkey" ? [rw.local.keySecret] : [];
};

/**
 * The stack's gateways for a namespace-lab run, through the same schema as every other stack. Secret values are
 * never read: the run makes its own (lab/secrets.ts), so `secure:` and plain values are alike.
 */
export function loadStackGateways(file: string): readonly GatewayModel[] {
  const parsed = parseStack(loadStackFile(file).config, () => true);
  if (!parsed.ok) throw new StackError(file, parsed.problems);
  return parsed.stack.gateways;
}

/**
 * Reads a stack file through the same schema as every other stack. The operator's SSH key is a secret the lab
 * supplies itself (generated per run), so the stack need not hold it; nor the keys of labSuppliedSecrets.
 */
export function loadLabStack(file: string): LabStack {
  const stack = loadStackFile(file);
  const parsed = parseStack(stack.config, () => true);
  if (!parsed.ok) throw new StackError(file, parsed.problems);
  const supplied = new Set(parsed.stack.gateways.flatMap(labSuppliedSecrets));
  const secrets: Record<string, string> = {};
  const problems: Problem[] = [];
  for (const refs of parsed.stack.secretRefs.values()) {
    for (const ref of refs) {
      const value = stack.config[ref];
      if (supplied.has(ref)) continue;
      if (value === undefined && !stack.secureKeys.includes(ref)) {
        problems.push({ path: `stage2:${ref}`, message: "is not set: the lab needs a lab-only plain value" });
      } else if (stack.secureKeys.includes(ref)) {
        problems.push({ path: `stage2:${ref}`, message: "is an encrypted Pulumi secret; the lab runs without Pulumi and needs a lab-only plain value" });
      } else if (typeof value !== "string") {
        problems.push({ path: `stage2:${ref}`, message: "must be a string", value });
      } else secrets[ref] = value;
    }
  }
  if (problems.length) throw new StackError(file, problems);
  return { file, gateways: parsed.stack.gateways, secrets };
}
