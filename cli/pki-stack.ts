import * as fs from "fs";
import { UsageError } from "./args";
import { loadStack } from "./stack-source";
import { StackPki, updateStackPki } from "../components/pki/stack-update";
import { readTextFile } from "../components/util/read-file";

/** What `stage2 pki` and `stage2 users` share: where the CA lives, writing into a stack file, a PKCS#12 passphrase. */

export const CA_DIR_ENV = "STAGE2_CA_DIR";
export const PASSPHRASE_ENV = "STAGE2_P12_PASSPHRASE";

/** `--ca-dir <dir>` or $STAGE2_CA_DIR: one directory per environment, outside the repository. */
export function caDirFromFlags(flags: Record<string, string | true>): string {
  const dir = typeof flags["ca-dir"] === "string" ? flags["ca-dir"] : process.env[CA_DIR_ENV];
  if (!dir) throw new UsageError(`where is the environment's CA? --ca-dir <dir> or ${CA_DIR_ENV}`);
  return dir;
}

/**
 * Puts the CA's public material into the stack file. The result is checked as a whole stack before it replaces
 * the file, so a stack is never left invalid. Returns what changed.
 */
export function writeStackPki(file: string, update: StackPki): string[] {
  const { text, changed } = updateStackPki(readTextFile(file), update);
  if (!changed.length) return [];
  const tmp = `${file}.stage2-pki.tmp`;
  fs.writeFileSync(tmp, text, { mode: fs.statSync(file).mode & 0o777 });
  try {
    loadStack(tmp);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw new Error(
      `${file} would not be a valid stack with the CA's certificates (nothing written): ${err instanceof Error ? err.message.split(tmp).join(file) : String(err)}`,
    );
  }
  fs.renameSync(tmp, file);
  return changed;
}

/**
 * A PKCS#12 passphrase from `--passphrase-file <f>`, `--passphrase-stdin` or $STAGE2_P12_PASSPHRASE: never from the
 * command line (it would show in `ps` and shell history). One line, at least 8 characters.
 */
export function readPassphrase(flags: Record<string, string | true>, readStdin = (): string => fs.readFileSync(0, "utf8")): string {
  let raw: string;
  let from: string;
  if (typeof flags["passphrase-file"] === "string") {
    raw = readTextFile(flags["passphrase-file"]);
    from = `--passphrase-file ${flags["passphrase-file"]}`;
  } else if (flags["passphrase-stdin"] === true) {
    raw = readStdin();
    from = "standard input";
  } else if (process.env[PASSPHRASE_ENV] !== undefined) {
    raw = process.env[PASSPHRASE_ENV] as string;
    from = PASSPHRASE_ENV;
  } else {
    throw new UsageError(`the PKCS#12 passphrase: --passphrase-file <f>, --passphrase-stdin or ${PASSPHRASE_ENV} (never on the command line)`);
  }
  const value = raw.replace(/\r?\n$/, "");
  if (/[\u0000-\u001f\u007f]/.test(value)) throw new Error(`the passphrase from ${from} holds a line break or control character (the value is not shown)`);
  if (value.length < 8) throw new Error(`the passphrase from ${from} is shorter than 8 characters (the value is not shown)`);
  return value;
}
