import * as path from "path";
import { parseArgs, UsageError } from "../args";
import { mockConfig, previewStackFile, PreviewResult, runPreview } from "../../preview/runtime";
import { STACK_FLAGS, stackFileFromFlags } from "../stack-source";
import { loadStackFile } from "../../stacks/load";
import { parseStack } from "../../stacks/schema";
import { configViolations } from "../../policy/config-problems";
import * as fs from "fs";
import { FileReadError, fileProblem } from "../../components/util/read-file";
import { parsePackConfig, withLevels } from "../../policy/pack-config";
import { policies as packPolicies } from "../../policy/policies";
import { formatViolations, hasMandatory, runPolicies, Violation } from "../../policy/runner";

export const summary = "run the stage2-gateway policy pack offline on the in-process preview";
export const usage = `usage: stage2 policy (--stack <env> | --config-file <path>) [--policy-pack-config <file.json>] [--json]
       stage2 policy --program <file.ts> [--config-file <path>] [--policy-pack-config <file.json>] [--json]

Previews the stack in-process (as \`stage2 preview\` does) and runs the policy pack policy/ on the recorded
resources, as \`pulumi preview --policy-pack policy\` would. --program previews another Pulumi program instead
of stage2's (a module exporting \`program()\`), e.g. a team's own stack that pushes hand-written configs;
--config-file then gives it its config. Prints one line per finding:
  [enforcement] policy: resource: message
--policy-pack-config reads the same JSON as \`pulumi preview --policy-pack-config\`, e.g.
{"gateway-commands-readable": "advisory"} lowers that policy to advisory (docs/policy.md).
Exit status: 1 when a mandatory policy is violated, 0 otherwise (advisory findings are printed, not fatal).`;

/** The compiled CLI loads a TypeScript program with ts-node: the program's own, else this checkout's (a dev tool). */
function loadProgram(file: string): unknown {
  try {
    if (!fs.statSync(file).isFile()) throw Object.assign(new Error("not a file"), { code: "EISDIR" });
  } catch (err) {
    throw new FileReadError(file, fileProblem(err));
  }
  if (/\.[cm]?tsx?$/.test(file) && !(".ts" in require.extensions)) {
    const tsNode = require.resolve("ts-node", { paths: [path.dirname(file), __dirname] });
    (require(tsNode) as typeof import("ts-node")).register({ transpileOnly: true });
  }
  return require(file);
}

async function previewProgram(file: string, configFile: string | undefined): Promise<PreviewResult> {
  const mod = loadProgram(path.resolve(file)) as { program?: () => Record<string, unknown> | void };
  if (typeof mod.program !== "function") throw new UsageError(`${file} must export a function \`program()\``);
  const stackFile = configFile ? loadStackFile(configFile) : undefined;
  const { config, secretKeys } = stackFile ? mockConfig(stackFile) : { config: {}, secretKeys: [] };
  return runPreview(stackFile?.stack ?? "policy", config, secretKeys, mod.program);
}

function readConfig(file: string): string {
  try {
    return fs.readFileSync(file, "utf8");
  } catch (err) {
    throw new UsageError(`--policy-pack-config ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

export async function run(argv: string[]): Promise<number> {
  const { flags } = parseArgs(argv, { values: [...STACK_FLAGS, "program", "policy-pack-config"], booleans: ["json"] });
  const packConfig = typeof flags["policy-pack-config"] === "string" ? flags["policy-pack-config"] : undefined;
  const policies = packConfig ? withLevels(packPolicies, parsePackConfig(readConfig(packConfig), packConfig, packPolicies)) : packPolicies;
  let violations: Violation[];
  let described: string;
  if (typeof flags["program"] === "string") {
    if (flags["stack"]) throw new UsageError("--program previews its own program: give --config-file, not --stack");
    const configFile = typeof flags["config-file"] === "string" ? flags["config-file"] : undefined;
    const preview = await previewProgram(flags["program"], configFile);
    violations = await runPolicies(preview.resources, policies);
    described = `stack ${preview.stack}: ${preview.resources.length} resources`;
  } else {
    const file = stackFileFromFlags(flags);
    const stackFile = loadStackFile(file);
    const present = new Set([...stackFile.secureKeys, ...stackFile.plainKeys]);
    const parsed = parseStack(stackFile.config, (key) => present.has(key));
    if (parsed.ok) {
      const preview = await previewStackFile(file);
      violations = await runPolicies(preview.resources, policies);
      described = `stack ${preview.stack}: ${preview.resources.length} resources`;
    } else {
      violations = configViolations(parsed.problems);
      described = `stack ${stackFile.stack}: config rejected, nothing previewed`;
    }
  }
  const mandatory = violations.filter((v) => v.enforcementLevel === "mandatory").length;
  if (flags["json"]) {
    process.stdout.write(JSON.stringify({ summary: described, violations }, null, 2) + "\n");
  } else {
    process.stdout.write(formatViolations(violations));
    process.stdout.write(`${described}, ${policies.length} policies, ${mandatory} mandatory and ${violations.length - mandatory} advisory finding(s)\n`);
  }
  return hasMandatory(violations) ? 1 : 0;
}
