import { SettingsParseError, formatPos } from "../../components/strongswan/settings-parser";
import { errorsOf, formatLocatedProblem, readSwanctlFile, renderDocument, type SwanctlFile } from "../../components/strongswan/swanctl";
import { MANAGED_HEADER } from "../../components/strongswan/settings";
import { parseArgs, UsageError } from "../args";

export const summary = "swanctl.conf against strongSwan 5.9.8's complete model: check | fmt";

export const usage = `usage: stage2 swanctl check <swanctl.conf>
       stage2 swanctl fmt [--managed] <swanctl.conf>

  check   read the file (with its includes) and check every key and value against the model generated
          from strongSwan 5.9.8's swanctl.opt; print each problem as file:line:column: key: what is wrong;
          exit 1 on any error (warnings, e.g. a template section only used for inheritance, do not fail)
  fmt     print the file re-rendered from the model in canonical form: keys in swanctl.opt's order, one
          per line, tab-indented, lists comma separated; includes and section references are expanded
          into one file. Problems go to stderr and make the exit code 1, the output is still complete.

  --managed   fmt: start with the "Managed by stage2" header`;

const err = (line: string) => process.stderr.write(`${line}\n`);

function read(file: string): SwanctlFile | undefined {
  try {
    return readSwanctlFile(file);
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
    args = parseArgs(argv, { booleans: ["managed"] });
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
    process.stdout.write(renderDocument(swanctl.document, args.flags.managed ? MANAGED_HEADER : ""));
  } else {
    const conns = Object.keys((swanctl.document.connections as object | undefined) ?? {}).length;
    err(`${file}: ${errors === 0 ? "ok" : `${errors} error${errors === 1 ? "" : "s"}`} (${conns} connection${conns === 1 ? "" : "s"}, ${swanctl.parsed.files.length} file${swanctl.parsed.files.length === 1 ? "" : "s"} read)`);
  }
  return errors === 0 ? 0 : 1;
}
