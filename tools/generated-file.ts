import * as fs from "fs";
import * as path from "path";

/**
 * A generator's command line: write `file`, or with `--check` exit 1 when `file` differs from `text` (stale).
 * `regenerate` is the command that brings it up to date.
 */
export function writeOrCheck(file: string, text: string, regenerate: string, check = process.argv.includes("--check")): void {
  if (check) {
    if (!fs.existsSync(file) || fs.readFileSync(file, "utf8") !== text) {
      process.stderr.write(`${file} is stale: run ${regenerate}\n`);
      process.exit(1);
    }
    return;
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  process.stdout.write(`wrote ${file}\n`);
}
