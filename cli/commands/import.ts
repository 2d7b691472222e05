import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { SettingsParseError } from "../../components/strongswan/settings-parser";
import { errorsOf, formatLocatedProblem, readSwanctlFile } from "../../components/strongswan/swanctl";
import { importSwanctl, type ImportResult } from "../../components/strongswan/swanctl/import";
import { mergeDocuments } from "../../components/strongswan/swanctl/merge";
import { registerSwanctlSecrets } from "../../components/strongswan/swanctl/secrets";
import { SwanctlExtraConfig, type SwanctlDocument } from "../../components/strongswan/swanctl";
import { Ipsec, formatProblem, parseGateway } from "../../components/model/gateway";
import { parseArgs, UsageError } from "../args";
import { fileProblem, readTextFile } from "../../components/util/read-file";
import { redactedSecret, registerSecret, scrubSecrets } from "../../components/util/secret-values";

export const summary = "turn a hand-written swanctl.conf into stack configuration (YAML for Pulumi.<env>.yaml)";

export const usage = `usage: stage2 import <swanctl.conf> [--pool <cidr>] [--secrets-to <file>] [--into <Pulumi.env.yaml> --gateway <name>]

Reads the file (with its includes), checks it against strongSwan 5.9.8's swanctl.conf model and prints a
Pulumi.<env>.yaml fragment: the connections as the gateway model's road warriors and sites, anything the model
cannot express as raw swanctl under ipsec.extraSwanctl, every secret moved to a secret config key
(\`secure:\` placeholder). The report at the top says where each part went and what stage2 changes on purpose.
Certificates are read from x509/ and x509ca/ beside the file, the gateway key from private/ (into a secret).

  --pool <cidr>         pool for a road warrior that has none (stage2 always gives one; default 10.3.0.0/24)
  --secrets-to <file>   also write the secret values as JSON {"<key>": "<value>"} to <file> (mode 0600),
                        to feed \`pulumi config set --secret\`; they never appear on stdout
  --into <file>         print that stack file with the import merged into gateway --gateway (road warriors and
  --gateway <name>      sites appended, extraSwanctl merged, secure: placeholders added, comments kept) and check
                        the gateway against the model; the report goes to stderr. The file itself is not changed.
                        Plain secret values in it (a lab's) are printed as "(redacted: secret stage2:<key>)".`;

// Whatever reaches stderr (charon's reasons, notes) loses any secret this file holds.
const err = (line: string) => process.stderr.write(`${scrubSecrets(line)}\n`);

export const SECURE_PLACEHOLDER = "v1:REPLACE-ME:set-with-pulumi-config-set--secret";

/** The YAML fragment: report and secret commands as comments, then `config:` with the gateway's ipsec. */
export function importReport(file: string, result: ImportResult, merged: boolean): string[] {
  return [
    `stage2 import of ${file}`,
    merged
      ? "Merged into the gateway; review, then set the secrets:"
      : "Paste ipsec (and floatingIp.address) into your gateway in stacks/Pulumi.<env>.yaml, review, then set the secrets:",
    ...result.secrets.map((s) => `  pulumi config set --secret stage2:${s.ref}    # ${s.what}`),
    "",
    "Where everything went:",
    ...result.notes.map((n) => `  ${n.kind.padEnd(12)} ${n.where}: ${n.message}`),
  ];
}

export function importYaml(file: string, result: ImportResult): string {
  const comments = importReport(file, result, false);
  const gateway: Record<string, unknown> = {};
  if (result.floatingIp) gateway.floatingIp = { address: result.floatingIp };
  gateway.ipsec = result.ipsec;
  const config: Record<string, unknown> = { "stage2:gateways": [gateway] };
  for (const s of result.secrets) config[`stage2:${s.ref}`] = { secure: SECURE_PLACEHOLDER };
  const body = YAML.stringify({ config }, { lineWidth: 0 });
  return `${comments.map((c) => (c ? `# ${c}` : "#")).join("\n")}\n${body}`;
}

export async function run(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs(argv, { values: ["pool", "secrets-to", "into", "gateway"] });
  } catch (e) {
    if (e instanceof UsageError) {
      err(`stage2 import: ${e.message}\n\n${usage}`);
      return 2;
    }
    throw e;
  }
  const [file, ...extra] = args.positionals;
  if (!file || extra.length) {
    err(usage);
    return 2;
  }
  let swanctl;
  try {
    swanctl = readSwanctlFile(file);
    registerSwanctlSecrets(swanctl.document);
  } catch (e) {
    if (e instanceof SettingsParseError) {
      err(e.message);
      return 1;
    }
    throw e;
  }
  const errors = errorsOf(swanctl);
  for (const p of swanctl.problems) err(formatLocatedProblem(p));
  if (errors.length) {
    err(`stage2 import: ${file} has ${errors.length} error(s) against strongSwan 5.9.8's swanctl.conf; fix them first (stage2 swanctl check)`);
    return 1;
  }
  const result = importSwanctl(swanctl.config, {
    dir: path.dirname(path.resolve(file)),
    defaultPool: typeof args.flags.pool === "string" ? args.flags.pool : undefined,
  });
  const into = typeof args.flags.into === "string" ? args.flags.into : undefined;
  const gatewayName = typeof args.flags.gateway === "string" ? args.flags.gateway : undefined;
  if ((into === undefined) !== (gatewayName === undefined)) {
    err("stage2 import: --into and --gateway go together");
    return 2;
  }
  if (into !== undefined && gatewayName !== undefined) {
    const merged = mergeIntoStack(readTextFile(into), gatewayName, result);
    if (!merged.ok) {
      err(`stage2 import: ${into}: ${merged.error}`);
      return 1;
    }
    process.stdout.write(merged.yaml);
    importReport(file, result, true).forEach((line) => err(line ? `# ${line}` : "#"));
    merged.notes.forEach((n) => err(`stage2 import: note: ${n}`));
    merged.problems.forEach((p) => err(`stage2 import: ${p}`));
    if (merged.problems.length) return 1;
  } else {
    process.stdout.write(importYaml(file, result));
  }
  if (typeof args.flags["secrets-to"] === "string") {
    const to = args.flags["secrets-to"];
    try {
      writePrivate(to, `${JSON.stringify(Object.fromEntries(result.secrets.map((s) => [s.ref, s.value])), null, 2)}\n`);
    } catch (e) {
      err(`stage2 import: --secrets-to ${to}: cannot write: ${fileProblem(e)}`);
      return 1;
    }
  }
  const counts = (kind: string) => result.notes.filter((n) => n.kind === kind).length;
  err(
    `stage2 import: ${result.ipsec.roadWarriors.length} road warrior(s), ${result.ipsec.sites.length} site(s); ${result.secrets.length} secret(s) moved; ` +
      `${counts("extra")} item(s) in extraSwanctl, ${counts("changed")} deliberate change(s), ${counts("not-imported")} not imported — see the report`,
  );
  return 0;
}

/**
 * The stack file with the import merged into one gateway: road warriors and sites appended, extraSwanctl merged,
 * missing secure: placeholders added; comments and everything else kept. `notes`: what differs on purpose;
 * `problems`: what the gateway model refuses.
 */
export function mergeIntoStack(
  text: string,
  gatewayName: string,
  result: ImportResult,
): { ok: true; yaml: string; notes: string[]; problems: string[] } | { ok: false; error: string } {
  const doc = YAML.parseDocument(text);
  // YAML's messages quote the lines around a fault, which may hold a secret: the position and reason only.
  const broken = doc.errors[0];
  if (broken)
    return {
      ok: false,
      error: `${broken.linePos ? `line ${broken.linePos[0].line}, column ${broken.linePos[0].col}: ` : ""}not valid YAML: ${broken.message.split("\n")[0]}`,
    };
  const gateways = doc.getIn(["config", "stage2:gateways"]);
  if (!YAML.isSeq(gateways)) return { ok: false, error: "has no config.stage2:gateways list" };
  const index = gateways.items.findIndex((g) => YAML.isMap(g) && g.get("name") === gatewayName);
  if (index < 0) return { ok: false, error: `has no gateway named ${JSON.stringify(gatewayName)}` };
  const at = ["config", "stage2:gateways", index];
  const problems: string[] = [];
  const notes: string[] = [];
  if (result.floatingIp) {
    const current = doc.getIn([...at, "floatingIp", "address"]);
    if (current === undefined) doc.setIn([...at, "floatingIp", "address"], result.floatingIp);
    else if (current !== result.floatingIp) {
      notes.push(`the swanctl.conf binds IKE to ${result.floatingIp}, the gateway's floatingIp.address is ${String(current)}: stage2 binds to the latter`);
    }
  }
  for (const list of ["roadWarriors", "sites"] as const) {
    const seq = doc.getIn([...at, "ipsec", list]);
    const names = YAML.isSeq(seq) ? seq.items.map((i) => (YAML.isMap(i) ? String(i.get("name")) : "")) : [];
    for (const entry of result.ipsec[list]) {
      if (names.includes(String(entry.name))) {
        problems.push(`ipsec.${list} already has ${String(entry.name)}: the imported one was not added`);
        continue;
      }
      if (YAML.isSeq(doc.getIn([...at, "ipsec", list]))) doc.addIn([...at, "ipsec", list], doc.createNode(entry));
      else doc.setIn([...at, "ipsec", list], doc.createNode([entry]));
    }
  }
  if (result.ipsec.extraSwanctl) {
    const current = doc.getIn([...at, "ipsec", "extraSwanctl"]);
    const base = (YAML.isNode(current) ? current.toJSON() : {}) as SwanctlDocument;
    doc.setIn([...at, "ipsec", "extraSwanctl"], doc.createNode(mergeDocuments(base, result.ipsec.extraSwanctl)));
  }
  for (const s of result.secrets) {
    if (!doc.hasIn(["config", `stage2:${s.ref}`])) doc.setIn(["config", `stage2:${s.ref}`], doc.createNode({ secure: SECURE_PLACEHOLDER }));
  }
  // Every key but the gateways holds a secret: a plain one is printed as its name, never its value.
  const config = doc.get("config");
  for (const pair of YAML.isMap(config) ? config.items : []) {
    const key = String(YAML.isScalar(pair.key) ? pair.key.value : pair.key);
    const value = YAML.isNode(pair.value) ? pair.value.toJSON() : pair.value;
    if (!key.startsWith("stage2:") || key === "stage2:gateways" || (YAML.isMap(pair.value) && pair.value.has("secure"))) continue;
    registerSecret(key, value);
    pair.value = doc.createNode(redactedSecret(key));
    notes.push(`${key} holds a plain secret value: printed as its name, not its value; keep the value your file has`);
  }
  const gateway = doc.getIn(at);
  const plain = (YAML.isNode(gateway) ? gateway.toJSON() : {}) as { ipsec?: Record<string, unknown> };
  // Until the gateway model carries ipsec.extraSwanctl, it is checked on its own (SwanctlExtraConfig).
  if (!("extraSwanctl" in Ipsec.shape) && plain.ipsec?.extraSwanctl !== undefined) {
    const extra = SwanctlExtraConfig.safeParse(plain.ipsec.extraSwanctl);
    if (!extra.success) extra.error.issues.forEach((i) => problems.push(`ipsec.extraSwanctl.${i.path.join(".")}: ${i.message}`));
    delete plain.ipsec.extraSwanctl;
  }
  const parsed = parseGateway(plain);
  if (!parsed.ok) problems.push(...parsed.problems.map(formatProblem));
  return { ok: true, yaml: doc.toString({ lineWidth: 0 }), notes, problems };
}

/** Writes a file only its owner can read: the mode is set before any byte is written, even if the file existed. */
function writePrivate(file: string, text: string): void {
  const fd = fs.openSync(file, "w", 0o600);
  try {
    fs.fchmodSync(fd, 0o600);
    fs.writeSync(fd, text);
  } finally {
    fs.closeSync(fd);
  }
}
