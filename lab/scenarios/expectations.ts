import { run } from "../exec";
import type { DatLine } from "./corpus";
import type { ScenarioHost } from "./topology";

/**
 * evaltest.dat lines, judged as strongSwan's harness judges them: the command runs on the host, its output is
 * searched with grep (basic regular expressions, as the corpus's patterns are written: `\(4500\|ipsec-nat-t\)`),
 * YES means it must match, NO that it must not. Only `swanctl --list-sas` and `ping` lines are evaluated; every
 * other kind is reported with the reason, never as passed.
 */

export type Verdict = "PASS" | "FAIL" | "not evaluated";

export interface Expectation {
  readonly line: DatLine;
  readonly verdict: Verdict;
  /** Why a line was not evaluated, or what the failed command printed. */
  readonly detail?: string;
}

export type LineKind = "list-sas" | "ping" | "other";

export function lineKind(command: string): LineKind {
  if (/^swanctl\s+--list-sas\b/.test(command)) return "list-sas";
  if (/^ping\s/.test(command)) return "ping";
  return "other";
}

/** Why a line of another kind is not evaluated. */
export function notEvaluatedReason(line: DatLine): string {
  const c = line.command;
  if (/^tcpdump\b/.test(c)) return "tcpdump: the corpus harness captures packets during the whole test; the scenario runner captures none";
  if (/^cat \/var\/log\/daemon\.log/.test(c)) return "charon's log text: the corpus's syslog file is not kept here, and log wording is not an interface";
  if (/^sleep\b/.test(c)) return "a pause for the corpus's packet capture";
  if (/^swanctl\s+--list-/.test(c)) return "swanctl listings other than --list-sas are outside the runner's scope";
  return `command kind outside the runner's scope (${c.split(/\s+/)[0]})`;
}

export async function evaluate(line: DatLine, host: ScenarioHost | undefined): Promise<Expectation> {
  const kind = lineKind(line.command);
  if (kind === "other") return { line, verdict: "not evaluated", detail: notEvaluatedReason(line) };
  if (line.expect === undefined || line.pattern === undefined) return { line, verdict: "not evaluated", detail: "the line has no pattern with YES or NO" };
  if (!host) return { line, verdict: "not evaluated", detail: `host ${line.host} is not part of the lab's corpus network` };
  const res = await host.exec(line.command, { timeoutMs: kind === "ping" ? 15_000 : 20_000 });
  const output = res.stdout + (/2>\s*\/dev\/null/.test(line.command) ? "" : res.stderr);
  const grep = await run(["grep", "-q", "--", line.pattern], { input: output });
  if (grep.code > 1) return { line, verdict: "FAIL", detail: `grep rejected the pattern: ${grep.stderr.trim()}` };
  const matched = grep.code === 0;
  const ok = matched === (line.expect === "YES");
  return ok
    ? { line, verdict: "PASS" }
    : {
        line,
        verdict: "FAIL",
        detail: `${matched ? "matched, NO expected" : "no match"}; ${host.role} printed: ${output.trim().slice(0, 1200) || "(nothing)"}`,
      };
}
