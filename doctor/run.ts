import { ReadError } from "./probe";
import { redactFinding } from "./redact";
import { limitedShell } from "./shell-limit";
import { Check, DoctorContext, Finding, Status } from "./types";

const SEVERITY: Record<Status, number> = { fail: 0, warn: 1, ok: 2 };

/** What a check that threw says: it could not read what it needs, so nothing it guards is known to hold. */
function failedClosed(check: Check, err: unknown): Finding {
  const message = err instanceof Error ? err.message : String(err);
  return {
    check: check.id,
    status: "fail",
    what: `${check.title}: ${message}`,
    evidence: err instanceof ReadError ? err.evidence : [],
    fix: "make the command above work on the gateway (is the daemon installed and running, is the path right?), then run doctor again",
  };
}

/** A finding that is not ok without a fix is a bug in its check: it is failed, not passed on silently. */
function wellFormed(check: Check, f: Finding): Finding {
  if (f.check !== check.id) return { ...f, check: check.id };
  if (f.status !== "ok" && !f.fix) return { ...f, status: "fail", fix: `(check ${check.id} gave no fix: report this)` };
  return f;
}

/**
 * Runs every check against one gateway, all at once (each only reads), at most MAX_PROBES_AT_ONCE commands at a
 * time. A check that throws is a failing finding naming what it could not read; a check that finds nothing is one
 * too. Every secret value is redacted from all findings. Order: the checks' order, then fail, warn, ok, then subject.
 */
export async function runChecks(checks: readonly Check[], given: DoctorContext): Promise<Finding[]> {
  const ctx = { ...given, shell: limitedShell(given.shell) };
  const perCheck = await Promise.all(
    checks.map(async (check): Promise<Finding[]> => {
      try {
        const found = await check.run(ctx);
        if (found.length === 0) {
          return [
            {
              check: check.id,
              status: "fail",
              what: `${check.title}: the check reported nothing`,
              evidence: [],
              fix: "report this: every check says what holds",
            },
          ];
        }
        return found.map((f) => wellFormed(check, f));
      } catch (err) {
        return [failedClosed(check, err)];
      }
    }),
  );
  return perCheck.flatMap((findings) =>
    findings
      .map((f) => redactFinding(f, ctx.secrets))
      .sort((a, b) => SEVERITY[a.status] - SEVERITY[b.status] || (a.subject ?? "").localeCompare(b.subject ?? "")),
  );
}

export function countFindings(findings: readonly Finding[]): Record<Status, number> {
  const counts: Record<Status, number> = { ok: 0, warn: 0, fail: 0 };
  for (const f of findings) counts[f.status]++;
  return counts;
}
