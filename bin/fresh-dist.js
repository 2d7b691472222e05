"use strict";
// Keeps a checkout's dist/ in step with its sources before bin/stage2 runs it: a source newer than its compiled
// file (or without one) is compiled again with TypeScript's own transpiler, file by file, and written atomically,
// so concurrent runs never read half a file. `npm run build` is the full build (types checked, declarations).
// An installed package has no tsconfig.build.json and no sources: its dist/ is used as it is.
const fs = require("fs");
const path = require("path");

function sources(dir, out) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) sources(file, out);
    else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) out.push(file);
  }
  return out;
}

function mtime(file) {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return -1;
  }
}

/** Returns how many files were compiled. */
function freshDist(root) {
  const configFile = path.join(root, "tsconfig.build.json");
  if (!fs.existsSync(configFile)) return 0;
  const config = JSON.parse(fs.readFileSync(configFile, "utf8"));
  const outDir = path.join(root, config.compilerOptions.outDir);
  const stale = config.include
    .flatMap((dir) => sources(path.join(root, dir), []))
    .map((src) => ({ src, out: path.join(outDir, path.relative(root, src)).replace(/\.ts$/, ".js") }))
    .filter(({ src, out }) => mtime(out) < mtime(src));
  if (stale.length === 0) return 0;
  const ts = require("typescript");
  const parsed = ts.getParsedCommandLineOfConfigFile(configFile, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined });
  if (!parsed) throw new Error(`${configFile}: cannot be read`);
  const compilerOptions = { ...parsed.options, declaration: false, sourceMap: false, noEmit: false };
  for (const { src, out } of stale) {
    const { outputText } = ts.transpileModule(fs.readFileSync(src, "utf8"), { compilerOptions, fileName: src });
    fs.mkdirSync(path.dirname(out), { recursive: true });
    const tmp = `${out}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, outputText);
    fs.renameSync(tmp, out);
  }
  return stale.length;
}

module.exports = { freshDist };
