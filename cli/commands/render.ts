import { parseArgs } from "../args";
import { renderStackTo } from "../render-files";
import { loadStack, printWarnings, STACK_FLAGS, stackFileFromFlags } from "../stack-source";

export const summary = "write every file each gateway of a stack would receive, plus a manifest";
export const usage = `usage: stage2 render (--stack <env> | --config-file <path>) --out <dir>

Writes <dir>/<host>/<absolute path> for every file, <dir>/<host>/.stage2/<concern>.sh (the script each remote
command runs) and <dir>/manifest.json (files, modes, validate and activate commands per concern).
Secrets are never read: files that hold them contain a redacted stand-in.

All or nothing: the render is built in a new folder beside <dir> and moved in only when every gateway rendered.
<dir> must be new, empty, or hold only a previous render (what its manifest.json lists), which it replaces;
anything else in <dir> is named and nothing changes (exit 1).`;

export async function run(argv: string[]): Promise<number> {
  const { flags } = parseArgs(argv, { values: [...STACK_FLAGS, "out"] });
  const out = flags["out"];
  if (typeof out !== "string") throw new Error("--out <dir> is required");
  const loaded = loadStack(stackFileFromFlags(flags));
  printWarnings(loaded);
  const { files, manifest } = renderStackTo(loaded, out);
  for (const [host, concerns] of Object.entries(manifest)) {
    process.stdout.write(`${host}: ${concerns.length} concerns, ${concerns.reduce((n, c) => n + c.files.length, 0)} files\n`);
  }
  if (loaded.plainSecrets.length) {
    process.stdout.write(`note: plain (not secure:) secret values for ${loaded.plainSecrets.join(", ")} — fine for a lab, never for production\n`);
  }
  process.stdout.write(`wrote ${files} files and manifest.json to ${out}\n`);
  return 0;
}
