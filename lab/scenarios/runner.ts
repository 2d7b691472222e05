import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { Concern } from "../../components/host/types";
import { corpusRoot } from "../swanctl-corpus";
import { putFile } from "../host";
import { readScenario, type Scenario } from "./corpus";
import { evaluate, lineKind, type Expectation } from "./expectations";
import { issueScenarioPki, type ScenarioPki } from "./pki";
import { runPretest, type Step } from "./pretest";
import { renderScenarioHost } from "./render";
import { buildNetwork, CORPUS_HOSTS, destroyNetwork, type ScenarioHost } from "./topology";

/**
 * Runs corpus scenarios one after the other, each on a freshly built corpus network that is torn down afterwards:
 * credentials placed as the corpus's host images carry them, pretest steps, then every evaltest line judged.
 */

export interface ScenarioResult {
  readonly name: string;
  readonly passed: boolean;
  readonly ms: number;
  /** Why the scenario did not pass apart from its expectations (setup, too few lines evaluated). */
  readonly problems: readonly string[];
  /** Per gateway host: what `stage2 import` makes of its swanctl.conf in the gateway model. */
  readonly gatewayImports: ReadonlyMap<string, string>;
  readonly steps: readonly Step[];
  readonly expectations: readonly Expectation[];
  /** The end of each configured host's charon log, kept when the scenario did not pass. */
  readonly logs: ReadonlyMap<string, string>;
}

export interface RunOptions {
  readonly prefix?: string;
  readonly progress?: (line: string) => void;
}

export const DEFAULT_SCENARIO_PREFIX = "s2scn";

/** What the corpus's host images carry before a scenario starts: its hosts file (scenarios name peers) and credentials. */
async function prepareHost(host: ScenarioHost, pki: ScenarioPki, hostsFile: string): Promise<void> {
  await putFile(host, "/etc/hosts", hostsFile);
  const creds = pki.hosts.get(host.role);
  if (!creds) return;
  for (const [rel, pem] of creds.files) await putFile(host, `/etc/swanctl/${rel}`, pem, rel.startsWith("rsa/") ? "0600" : "0644");
}

const NO_PKI: ScenarioPki = { caCert: "", hosts: new Map() };

export async function runScenario(shared: string, scenario: Scenario, pki: ScenarioPki, prefix: string): Promise<ScenarioResult> {
  const started = Date.now();
  const problems: string[] = [];
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), `stage2-scenario-${scenario.name.replace("/", "-")}-`));
  const concerns = new Map<string, Concern>();
  let steps: Step[] = [];
  const expectations: Expectation[] = [];
  const logs = new Map<string, string>();
  const gatewayImports = new Map<string, string>();
  try {
    for (const host of scenario.hosts) {
      const rendered = renderScenarioHost(scenario.dir, host, scratch, new Map(scenario.placeholders));
      rendered.problems.forEach((p) => problems.push(`${host}: the swanctl model rejects ${p}`));
      concerns.set(host, rendered.concern);
      if (rendered.gatewayImport) gatewayImports.set(host, rendered.gatewayImport);
    }
    const net = await buildNetwork(prefix);
    const hostsFile = fs.readFileSync(path.join(corpusRoot(shared), "hosts", "default", "etc", "hosts"), "utf8");
    await Promise.all([...net.hosts.values()].map((h) => prepareHost(h, scenario.hosts.includes(h.role) ? pki : NO_PKI, hostsFile)));
    steps = await runPretest(scenario.pretest, { hosts: net.hosts, concerns });
    steps.filter((s) => s.outcome === "failed").forEach((s) => problems.push(`pretest ${s.line.host}::${s.line.command}: ${s.detail}`));
    for (const line of scenario.evaltest) expectations.push(await evaluate(line, net.hosts.get(line.host)));
    if (problems.length || expectations.some((x) => x.verdict === "FAIL")) {
      for (const h of scenario.hosts) {
        const r = await net.hosts.get(h)?.exec("tail -n 40 /var/log/charon.log");
        if (r) logs.set(h, r.stdout);
      }
    }
  } catch (e) {
    problems.push((e as Error).message);
  } finally {
    await destroyNetwork(prefix);
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  const evaluated = expectations.filter((x) => x.verdict !== "not evaluated");
  if (!evaluated.some((x) => lineKind(x.line.command) === "list-sas")) problems.push("no `swanctl --list-sas` line was evaluated");
  if (!evaluated.some((x) => lineKind(x.line.command) === "ping")) problems.push("no `ping` line was evaluated");
  const passed = problems.length === 0 && evaluated.every((x) => x.verdict === "PASS");
  return { name: scenario.name, passed, ms: Date.now() - started, problems, gatewayImports, steps, expectations, logs };
}

export async function runScenarios(shared: string, names: readonly string[], opts: RunOptions = {}): Promise<ScenarioResult[]> {
  const prefix = opts.prefix ?? DEFAULT_SCENARIO_PREFIX;
  const say = opts.progress ?? (() => undefined);
  const scenarios = names.map((n) => readScenario(shared, n));
  const pkiDir = fs.mkdtempSync(path.join(os.tmpdir(), "stage2-scenario-pki-"));
  const results: ScenarioResult[] = [];
  try {
    const addressOf = (h: (typeof CORPUS_HOSTS)[number]) => h.ifaces[0].addr.split("/")[0];
    const pki = await issueScenarioPki(
      pkiDir,
      CORPUS_HOSTS.map((h) => ({ name: h.name, address: addressOf(h) })),
    );
    for (const s of scenarios) {
      const r = await runScenario(shared, s, pki, prefix);
      results.push(r);
      say(formatScenario(r));
    }
  } finally {
    fs.rmSync(pkiDir, { recursive: true, force: true });
    await destroyNetwork(prefix);
  }
  return results;
}

const shorten = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n - 3)}...` : s);

export function formatScenario(r: ScenarioResult): string {
  const lines = [`${r.name}: ${r.passed ? "PASSED" : "FAILED"} (${(r.ms / 1000).toFixed(1)} s)`];
  for (const p of r.problems) lines.push(`  problem: ${p}`);
  for (const [host, text] of r.gatewayImports) lines.push(`  ${host}: stage2 import: ${text}`);
  for (const s of r.steps) lines.push(`  pretest ${s.outcome.padEnd(7)} ${shorten(s.line.text, 90)} — ${shorten(s.detail.replace(/\n/g, " | "), 160)}`);
  for (const x of r.expectations) {
    const tag = x.verdict === "not evaluated" ? "n/e " : x.verdict;
    lines.push(`  ${tag.padEnd(4)} ${shorten(x.line.text, 150)}`);
    if (x.detail)
      lines.push(
        `       ${x.verdict === "not evaluated" ? "not evaluated: " : ""}${shorten(x.detail.replace(/\n/g, " | "), x.verdict === "FAIL" ? 1500 : 200)}`,
      );
  }
  for (const [host, log] of r.logs)
    lines.push(
      `  ${host}'s charon log (end):`,
      ...log
        .trimEnd()
        .split("\n")
        .map((l) => `    ${l}`),
    );
  return lines.join("\n");
}

export function summary(results: readonly ScenarioResult[]): string {
  const passed = results.filter((r) => r.passed).length;
  const count = (v: string) => results.reduce((n, r) => n + r.expectations.filter((x) => x.verdict === v).length, 0);
  return `scenarios passed ${passed}/${results.length} (expectations: ${count("PASS")} passed, ${count("FAIL")} failed, ${count("not evaluated")} not evaluated)`;
}
