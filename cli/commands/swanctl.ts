import * as fs from "fs";
import * as path from "path";
import { SettingsParseError, formatPos } from "../../components/strongswan/settings-parser";
import { CharonSandbox, charonMissing } from "../../lab/charon-sandbox";
import { credentialRefs } from "../../lab/swanctl-corpus";
import { errorsOf, formatLocatedProblem, readSwanctlFile, renderDocument, type SwanctlFile } from "../../components/strongswan/swanctl";
import { MANAGED_HEADER } from "../../components/strongswan/settings";
import { redactSwanctlSecrets, registerSwanctlSecrets } from "../../components/strongswan/swanctl/secrets";
import { scrubSecrets } from "../../components/util/secret-values";
import { parseArgs, UsageError } from "../args";

export const summary = "swanctl.conf against strongSwan 5.9.8's complete model: check | fmt";

export const usage = `usage: stage2 swanctl check [--charon] <swanctl.conf>
       stage2 swanctl fmt [--managed] <swanctl.conf>

  check   read the file (with its includes) and check every key and value against the model generated
          from strongSwan 5.9.8's swanctl.opt; print each problem as file:line:column: key: what is wrong;
          exit 1 on any error (warnings, e.g. a template section only used for inheritance, do not fail)
  fmt     print the file re-rendered from the model in canonical form: keys in swanctl.opt's order, one
          per line, tab-indented, lists comma separated; includes and section references are expanded
          into one file. Problems go to stderr and make the exit code 1, the output is still complete.
          Secret values (a secrets section's PSKs, passwords, PINs) are printed as "(redacted: secret <path>)".

  --charon    check: also load the file into a real charon 5.9.8, sealed in its own network and mount
              namespaces (needs root); certificates and keys it names are stood in by a generated one, so
              charon judges the configuration, not the files. Its verdict and reasons are printed.
  --managed   fmt: start with the "Managed by stage2" header`;

// Whatever reaches stderr (charon's reasons, notes) loses any secret this file holds.
const err = (line: string) => process.stderr.write(`${scrubSecrets(line)}\n`);

function read(file: string): SwanctlFile | undefined {
  try {
    const read = readSwanctlFile(file);
    registerSwanctlSecrets(read.document);
    return read;
  } catch (e) {
    if (e instanceof SettingsParseError) {
      err(e.message);
      return undefined;
    }
    throw e;
  }
}

export async function run(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs(argv, { booleans: ["managed", "charon"] });
  } catch (e) {
    if (e instanceof UsageError) {
      err(`stage2 swanctl: ${e.message}\n\n${usage}`);
      return 2;
    }
    throw e;
  }
  const [action, file, ...extra] = args.positionals;
  if (!file || extra.length || (action !== "check" && action !== "fmt")) {
    err(usage);
    return 2;
  }
  const swanctl = read(file);
  if (!swanctl) return 1;
  for (const w of swanctl.parsed.warnings) err(`${formatPos(w.pos)}: warning: ${w.message}`);
  for (const p of swanctl.problems) err(formatLocatedProblem(p));
  const errors = errorsOf(swanctl).length;
  if (action === "fmt") {
    const { document, redacted } = redactSwanctlSecrets(swanctl.document);
    if (redacted.length) err(`${file}: ${redacted.length} secret value(s) printed as their path, never their value: put them back by hand`);
    process.stdout.write(renderDocument(document, args.flags.managed ? MANAGED_HEADER : ""));
  } else {
    const conns = Object.keys((swanctl.document.connections as object | undefined) ?? {}).length;
    err(
      `${file}: ${errors === 0 ? "ok" : `${errors} error${errors === 1 ? "" : "s"}`} (${conns} connection${conns === 1 ? "" : "s"}, ${swanctl.parsed.files.length} file${swanctl.parsed.files.length === 1 ? "" : "s"} read)`,
    );
    if (args.flags.charon) return (await charonVerdict(swanctl)) && errors === 0 ? 0 : 1;
  }
  return errors === 0 ? 0 : 1;
}

/** Loads the file, rendered with its includes, into a sealed charon; prints its verdict. */
async function charonVerdict(swanctl: SwanctlFile): Promise<boolean> {
  const missing = charonMissing();
  if (missing) {
    err(`charon: cannot load (${missing})`);
    return false;
  }
  const box = await CharonSandbox.start();
  try {
    const dir = path.join(box.dir, "swanctl");
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "swanctl.conf"), renderDocument(swanctl.document, ""), { mode: 0o600 });
    box.provideCredentials(dir, credentialRefs(swanctl.document));
    const res = box.load(path.join(dir, "swanctl.conf"));
    for (const f of res.failures) err(`charon: ${f.what} ${f.name}: ${f.reason}`);
    err(res.accepted ? `charon 5.9.8: loaded ${res.connections} connection${res.connections === 1 ? "" : "s"}` : "charon 5.9.8: rejected the configuration");
    return res.accepted;
  } finally {
    await box.stop();
  }
}
