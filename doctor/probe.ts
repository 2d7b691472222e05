import { CommandResult, Evidence, GatewayShell } from "./types";

/** Evidence is for reading: a long output keeps its first lines and says how much was cut. */
const MAX_LINES = 60;

export function evidenceOf(command: string, result: CommandResult): Evidence {
  const text = [result.stdout.trimEnd(), result.code !== 0 ? result.stderr.trimEnd() : ""].filter(Boolean).join("\n");
  const lines = text.split("\n");
  const output = lines.length > MAX_LINES ? [...lines.slice(0, MAX_LINES), `… (${lines.length - MAX_LINES} more lines)`].join("\n") : text;
  return { command, output: result.code !== 0 ? `${output}${output ? "\n" : ""}(exit ${result.code})` : output };
}

/** What a check could not read: doctor turns it into a failing finding that shows the command. */
export class ReadError extends Error {
  constructor(
    message: string,
    readonly evidence: readonly Evidence[],
  ) {
    super(message);
  }
}

export interface Probe {
  readonly result: CommandResult;
  readonly evidence: Evidence;
}

/** Runs a read-only command; a non-zero exit is part of the result. */
export async function probe(shell: GatewayShell, command: string, timeoutMs = 20_000): Promise<Probe> {
  const result = await shell.run(command, { timeoutMs });
  return { result, evidence: evidenceOf(command, result) };
}

/** Runs a read-only command that must succeed; otherwise the check cannot say anything and fails closed. */
export async function read(shell: GatewayShell, command: string, what: string, timeoutMs?: number): Promise<Probe> {
  const p = await probe(shell, command, timeoutMs);
  if (p.result.code !== 0) throw new ReadError(`could not read ${what}`, [p.evidence]);
  return p;
}
