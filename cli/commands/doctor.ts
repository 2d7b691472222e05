import * as fs from "fs";
import { FLOATING_IP_FILE } from "../../components/floating-ip-host/concern";
import { GatewayModel } from "../../components/model/gateway";
import { planGateway } from "../../components/plan";
import { secretLabelOf } from "../../components/util/secret-values";
import { CHECKS } from "../../doctor/checks";
import { redactText } from "../../doctor/redact";
import { countFindings, runChecks } from "../../doctor/run";
import { parseSecretsInput } from "../../doctor/secrets-input";
import { GatewaySsh, gatewayTarget, openGatewaySsh } from "../../doctor/ssh-shell";
import { Finding, GatewayShell } from "../../doctor/types";
import { parseArgs, UsageError } from "../args";
import { LoadedStack, loadStack, printWarnings, STACK_FLAGS, stackFileFromFlags } from "../stack-source";

export const summary = "check live gateways against the stack over SSH: what is wrong, the evidence, the fix";
export const usage = `usage: stage2 doctor (--stack <env> | --config-file <path>) [--gateway <name>] [--json] [--secrets <file|->]

Connects to each gateway (or only --gateway) over SSH with the stack's stage2:sshPrivateKey and the pinned host
key (gateway.server.hostKey), reads what runs there, and compares it with what the stack renders. It changes
nothing on the host and needs no Pulumi CLI and no cloud account. One line per finding (ok, warn, FAIL); under a
warning or failure the commands it rests on, their output (secrets redacted) and the fix.

  --json            one JSON document on stdout: per gateway its findings and counts
  --secrets <file>  the stack's secret values, as \`pulumi config --show-secrets --json\` prints them ("-": stdin).
                    Needed for secure: values: the SSH key, and to compare the files that hold secrets

Checks: ${CHECKS.map((c) => c.id).join(", ")}.
Exit 0 when nothing fails, 1 when a finding fails (warnings do not), 2 on a usage error.`;

const progress = (line: string): void => {
  process.stderr.write(`doctor: ${line}\n`);
};

function readSecrets(flag: string | true | undefined): Record<string, string> {
  if (flag === undefined) return {};
  if (flag === true) throw new UsageError("--secrets needs a file, or - for stdin");
  return parseSecretsInput(fs.readFileSync(flag === "-" ? 0 : flag, "utf8"), flag === "-" ? "stdin" : flag);
}

/** A value the CLI holds only as its redacted stand-in is unknown. */
const known = (value: string | undefined): value is string => typeof value === "string" && !/^\(redacted: secret /.test(value);

function sshKeyOf(loaded: LoadedStack, given: Record<string, string>): string {
  const plain = loaded.file.config["sshPrivateKey"];
  const key = given["sshPrivateKey"] ?? (typeof plain === "string" ? plain : undefined);
  if (!known(key))
    throw new UsageError(
      "stage2:sshPrivateKey is a secure: value: give it with --secrets (pulumi config --show-secrets --json | stage2 doctor ... --secrets -)",
    );
  return key;
}

/** The floating IP as the stack says, else as the host's floating-ip file says (Hetzner picked it). */
async function floatingIpOf(gw: GatewayModel, shell: GatewayShell): Promise<string> {
  if (gw.floatingIp.address) return gw.floatingIp.address;
  const r = await shell.run(`awk '$1 == "address" { sub("/32", "", $2); print $2 }' ${FLOATING_IP_FILE}`);
  const ip = r.stdout.trim();
  if (r.code !== 0 || !/^\d+\.\d+\.\d+\.\d+$/.test(ip)) throw new Error(`the stack has no floatingIp.address and ${FLOATING_IP_FILE} on the host names none`);
  progress(`${gw.name}: floating IP ${ip} from ${FLOATING_IP_FILE} (the stack leaves it to Hetzner)`);
  return ip;
}

interface GatewayReport {
  readonly gateway: string;
  readonly target: string;
  readonly findings: readonly Finding[];
  readonly counts: Record<Finding["status"], number>;
}

const open = new Set<GatewaySsh>();

async function doctorGateway(gw: GatewayModel, loaded: LoadedStack, secrets: Record<string, string>, sshKey: string, now: Date): Promise<GatewayReport> {
  const t = gatewayTarget(gw);
  const target = `${t.user}@${t.host}:${t.port}`;
  const values = Object.values(secrets).filter(known);
  let findings: Finding[];
  let ssh: GatewaySsh | undefined;
  try {
    progress(`${gw.name}: connecting to ${target} (pinned host key)`);
    ssh = await openGatewaySsh(gw, sshKey);
    open.add(ssh);
    const floatingIp = await floatingIpOf(gw, ssh.shell);
    const render = { floatingIp };
    const plan = planGateway(gw, render, { ...loaded.secrets, ...secrets });
    progress(`${gw.name}: running ${CHECKS.length} checks`);
    const t0 = Date.now();
    findings = await runChecks(CHECKS, { gateway: gw, render, plan, shell: ssh.shell, secrets: [...values, sshKey], now });
    progress(`${gw.name}: ${findings.length} findings in ${Date.now() - t0} ms`);
  } catch (err) {
    findings = [
      {
        check: "ssh",
        status: "fail",
        subject: target,
        what: `could not read the gateway: ${redactText(err instanceof Error ? err.message : String(err), [...values, sshKey])}`,
        evidence: [],
        fix: "is the host up and its sshd reachable from here, the host key in the stack (gateway.server.hostKey) the host's, and the stack's SSH key authorized for the user?",
      },
    ];
  } finally {
    if (ssh) {
      open.delete(ssh);
      await ssh.close();
    }
  }
  return { gateway: gw.name, target, findings, counts: countFindings(findings) };
}

const MARK: Record<Finding["status"], string> = { ok: "ok  ", warn: "warn", fail: "FAIL" };
const indent = (text: string, pad: string): string =>
  text
    .split("\n")
    .map((l) => `${pad}${l}`)
    .join("\n");

export function formatReport(r: GatewayReport): string {
  const lines = [`${r.gateway} (${r.target})`];
  for (const f of r.findings) {
    lines.push(`  ${MARK[f.status]} ${f.check.padEnd(13)} ${f.subject ? `${f.subject}: ` : ""}${f.what}`);
    if (f.status === "ok") continue;
    for (const e of f.evidence) {
      lines.push(`         $ ${e.command}`);
      if (e.output) lines.push(indent(e.output, "           "));
    }
    if (f.fix) lines.push(`         fix: ${f.fix}`);
  }
  lines.push(`  ${r.counts.ok} ok, ${r.counts.warn} warn, ${r.counts.fail} fail`);
  return lines.join("\n") + "\n";
}

export async function run(argv: string[]): Promise<number> {
  const { flags, positionals } = parseArgs(argv, { values: [...STACK_FLAGS, "gateway", "secrets"], booleans: ["json"] });
  if (positionals.length) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
  const loaded = loadStack(stackFileFromFlags(flags));
  printWarnings(loaded);
  const name = flags["gateway"];
  const gateways = typeof name === "string" ? loaded.stack.gateways.filter((g) => g.name === name) : loaded.stack.gateways;
  if (gateways.length === 0) throw new UsageError(`--gateway ${JSON.stringify(name)}: the stack has ${loaded.stack.gateways.map((g) => g.name).join(", ")}`);
  const given = readSecrets(flags["secrets"]);
  const sshKey = sshKeyOf(loaded, given);
  const missing = [...new Set(gateways.flatMap((g) => loaded.stack.secretRefs.get(g.name) ?? []))].filter((k) => !known(given[k] ?? loaded.secrets[k]));
  if (missing.length) progress(`no value for ${missing.map((k) => `stage2:${k}`).join(", ")}: the files holding them cannot be compared (--secrets)`);

  // Ctrl-C or a kill: the connections end and the key's directory goes with them.
  const stop = (signal: NodeJS.Signals) => {
    void Promise.allSettled([...open].map((s) => s.close())).then(() => process.exit(signal === "SIGINT" ? 130 : 143));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  try {
    const now = new Date();
    const reports: GatewayReport[] = [];
    for (const gw of gateways) reports.push(await doctorGateway(gw, loaded, given, sshKey, now));
    const failed = reports.some((r) => r.counts.fail > 0);
    const text = flags["json"] === true ? JSON.stringify({ ok: !failed, gateways: reports }, null, 2) + "\n" : reports.map(formatReport).join("\n");
    // The last guard: a value the run has read must not leave the process, whatever a check printed.
    if (secretLabelOf(text) !== undefined) throw new Error(`doctor's output would hold a secret (${secretLabelOf(text)}); nothing printed`);
    process.stdout.write(text);
    return failed ? 1 : 0;
  } finally {
    process.removeListener("SIGINT", stop);
    process.removeListener("SIGTERM", stop);
  }
}
