import { formatProblem, GatewayModel } from "../components/model/gateway";
import { poolWarnings } from "../components/model/pool-capacity";
import { loadStackFile, stackFilePath, StackFile } from "../stacks/load";
import { parseStack, ParsedStack } from "../stacks/schema";
import { previewAddress, redacted } from "../preview/runtime";
import { UsageError } from "./args";
import { floatingIpResourceName } from "../components/concern-registry";

export const STACK_FLAGS = ["stack", "config-file"];

/** `--stack <env>` (stacks/Pulumi.<env>.yaml) or `--config-file <path>`: exactly one. */
export function stackFileFromFlags(flags: Record<string, string | true>): string {
  const stack = flags["stack"];
  const file = flags["config-file"];
  if (typeof stack === "string" && typeof file === "string") throw new UsageError("give --stack or --config-file, not both");
  if (typeof file === "string") return file;
  if (typeof stack === "string") return stackFilePath(stack);
  throw new UsageError("which stack? --stack <env> or --config-file <path>");
}

export interface LoadedStack {
  readonly file: StackFile;
  readonly stack: ParsedStack;
  /** Every secret referenced, replaced by a redacted stand-in: offline tools never see secret values. */
  readonly secrets: Record<string, string>;
  /** Keys that hold secrets as plain values (acceptable in a lab stack only). */
  readonly plainSecrets: string[];
  /** What works but may not do what was meant (a pool smaller than its class): printed, never fatal. */
  readonly warnings: string[];
}

/** Loads and validates a stack file; on bad config throws with every problem (path + value), before anything renders. */
export function loadStack(path: string): LoadedStack {
  const file = loadStackFile(path);
  const present = new Set([...file.secureKeys, ...file.plainKeys]);
  const parsed = parseStack(file.config, (key) => present.has(key));
  if (!parsed.ok) {
    throw new Error(`${path}: invalid stack configuration (${parsed.problems.length} problem(s)):\n  ${parsed.problems.map(formatProblem).join("\n  ")}`);
  }
  const secrets: Record<string, string> = {};
  const plainSecrets: string[] = [];
  for (const refs of parsed.stack.secretRefs.values()) {
    for (const ref of refs) {
      const plain = file.config[ref];
      if (typeof plain === "string") {
        secrets[ref] = plain;
        plainSecrets.push(ref);
      } else secrets[ref] = redacted(ref);
    }
  }
  const warnings = parsed.stack.gateways.flatMap((gw, i) => poolWarnings(gw, `gateways[${i}]`));
  return { file, stack: parsed.stack, secrets, plainSecrets: [...new Set(plainSecrets)], warnings };
}

/** Warnings go to stderr, so that `--json` output stays one document. */
export function printWarnings(loaded: LoadedStack): void {
  for (const warning of loaded.warnings) process.stderr.write(`warning: ${warning}\n`);
}

/** The floating IP as the preview sees it: the configured address, else a stable documentation-range stand-in. */
export function floatingIpOf(gw: GatewayModel): string {
  return gw.floatingIp.address ?? previewAddress(floatingIpResourceName(gw.name));
}
