import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { SettingsParseError } from "../../components/strongswan/settings-parser";
import { errorsOf, formatLocatedProblem, readSwanctlFile } from "../../components/strongswan/swanctl";
import { importSwanctl, type ImportResult } from "../../components/strongswan/swanctl/import";
import { parseArgs, UsageError } from "../args";

export const summary = "turn a hand-written swanctl.conf into stack configuration (YAML for Pulumi.<env>.yaml)";

export const usage = `usage: stage2 import <swanctl.conf> [--pool <cidr>] [--secrets-to <file>]

Reads the file (with its includes), checks it against strongSwan 5.9.8's swanctl.conf model and prints a
Pulumi.<env>.yaml fragment: the connections as the gateway model's road warriors and sites, anything the model
cannot express as raw swanctl under ipsec.extraSwanctl, every secret moved to a secret config key
(\`secure:\` placeholder). The report at the top says where each part went and what stage2 changes on purpose.
Certificates are read from x509/ and x509ca/ beside the file, the gateway key from private/ (into a secret).

  --pool <cidr>         pool for a road warrior that has none (stage2 always gives one; default 10.3.0.0/24)
  --secrets-to <file>   also write the secret values as JSON {"<key>": "<value>"} to <file> (mode 0600),
                        to feed \`pulumi config set --secret\`; they never appear on stdout`;

const err = (line: string) => process.stderr.write(`${line}\n`);

export const SECURE_PLACEHOLDER = "v1:REPLACE-ME:set-with-pulumi-config-set--secret";

/** The YAML fragment: report and secret commands as comments, then `config:` with the gateway's ipsec. */
export function importYaml(file: string, result: ImportResult): string {
  const comments = [
    `stage2 import of ${file}`,
    `Paste ipsec (and floatingIp.address) into your gateway in stacks/Pulumi.<env>.yaml, review, then set the secrets:`,
    ...result.secrets.map((s) => `  pulumi config set --secret stage2:${s.ref}    # ${s.what}`),
    "",
    "Where everything went:",
    ...result.notes.map((n) => `  ${n.kind.padEnd(12)} ${n.where}: ${n.message}`),
  ];
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
    args = parseArgs(argv, { values: ["pool", "secrets-to"] });
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
  const result = importSwanctl(swanctl.config, { dir: path.dirname(path.resolve(file)), defaultPool: typeof args.flags.pool === "string" ? args.flags.pool : undefined });
  process.stdout.write(importYaml(file, result));
  if (typeof args.flags["secrets-to"] === "string") {
    const values = Object.fromEntries(result.secrets.map((s) => [s.ref, s.value]));
    fs.writeFileSync(args.flags["secrets-to"], `${JSON.stringify(values, null, 2)}\n`, { mode: 0o600 });
    fs.chmodSync(args.flags["secrets-to"], 0o600);
  }
  const counts = (kind: string) => result.notes.filter((n) => n.kind === kind).length;
  err(
    `stage2 import: ${result.ipsec.roadWarriors.length} road warrior(s), ${result.ipsec.sites.length} site(s); ${result.secrets.length} secret(s) moved; ` +
      `${counts("extra")} item(s) in extraSwanctl, ${counts("changed")} deliberate change(s), ${counts("not-imported")} not imported — see the report`,
  );
  return 0;
}
