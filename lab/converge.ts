import { renderApplyScript } from "../components/host/apply-script";
import { encodePayload } from "../components/host/payload";
import { HostPlan, ServiceManager } from "../components/host/types";
import { RunResult } from "./exec";

/**
 * Applies a host plan the way the Pulumi components do: per concern, one remote command whose text is the
 * apply script and whose stdin is the concern's files. Concerns run in plan order; the first failure stops
 * the converge and carries the script's own message (the daemon's, when it rejected a file).
 */

/** Runs one remote command (the script) with `stdin`; SSH in the lab. */
export type RemoteRunner = (command: string, stdin: string) => Promise<RunResult>;

export interface ConcernResult {
  readonly concern: string;
  readonly status: "activated" | "unchanged";
  readonly ms: number;
  /** The script's own lines ("stage2: nftables: changed 1 file(s): ..."). */
  readonly output: string;
}

export interface ConvergeResult {
  readonly host: string;
  readonly results: readonly ConcernResult[];
  readonly activated: number;
  readonly ms: number;
}

export class ConvergeError extends Error {
  constructor(
    readonly host: string,
    readonly concern: string,
    readonly output: string,
    readonly done: readonly ConcernResult[],
  ) {
    super(`${host}: ${concern}: ${output.trim()}`);
    this.name = "ConvergeError";
  }
}

export async function converge(
  plan: HostPlan,
  remote: RemoteRunner,
  manager: ServiceManager,
  progress: (line: string) => void = () => undefined,
): Promise<ConvergeResult> {
  const started = Date.now();
  const results: ConcernResult[] = [];
  for (const concern of plan.concerns) {
    const t0 = Date.now();
    const res = await remote(renderApplyScript(concern, manager), encodePayload(concern.files));
    const ms = Date.now() - t0;
    const output = (res.stdout + res.stderr).trim();
    const status = /^stage2: [a-z0-9-]+: activated$/m.test(res.stdout)
      ? "activated"
      : /^stage2: [a-z0-9-]+: unchanged$/m.test(res.stdout)
        ? "unchanged"
        : undefined;
    if (res.code !== 0 || !status) {
      progress(`  ${plan.host}: ${concern.name.padEnd(18)} FAILED (${ms} ms)`);
      throw new ConvergeError(plan.host, concern.name, output || `exit ${res.code}`, results);
    }
    progress(`  ${plan.host}: ${concern.name.padEnd(18)} ${status} (${ms} ms)`);
    results.push({ concern: concern.name, status, ms, output });
  }
  return { host: plan.host, results, activated: results.filter((r) => r.status === "activated").length, ms: Date.now() - started };
}
