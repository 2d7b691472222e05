import { Fact, factCounts } from "./checks";

export function formatFact(f: Fact): string {
  const mark = f.ok === undefined ? "n/a " : f.ok ? "PASS" : "FAIL";
  return `${mark} ${f.id.padEnd(16)} ${f.what} — ${f.evidence}`;
}

/**
 * The facts as both labs print them: grouped under "gateway / connection (auth)", then the counts per gateway, per
 * connection and per auth kind, then what passed and what failed.
 */
export function reportFacts(facts: readonly Fact[]): { lines: string[]; green: boolean } {
  const lines: string[] = [];
  let group = "";
  for (const f of facts) {
    const g = f.gateway ? `${f.gateway} / ${f.connection ?? ""}${f.auth ? ` (${f.auth})` : ""}` : "";
    if (g !== group) lines.push(g);
    group = g;
    lines.push(`${g ? "  " : ""}${formatFact(f)}`);
  }
  const failed = facts.filter((f) => f.ok === false);
  const counts = factCounts(facts);
  const show = (m: Map<string, number>) => [...m].map(([k, n]) => `${k} ${n}`).join(", ");
  lines.push(`lab: facts per gateway: ${show(counts.gateway)}`);
  lines.push(`lab: facts per connection: ${show(counts.connection)}`);
  lines.push(`lab: facts per auth kind: ${show(counts.auth)}`);
  lines.push(
    `lab: ${facts.filter((f) => f.ok).length} passed, ${failed.length} failed${failed.length ? `: ${failed.map((f) => `${f.gateway ?? ""}/${f.connection ?? ""} ${f.id}`).join(", ")}` : ""}`,
  );
  return { lines, green: failed.length === 0 };
}
