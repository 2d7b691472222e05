import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";

/** A Pulumi.<env>.yaml read without the Pulumi CLI: plain values, and which keys are `secure:` (never decrypted). */
export interface StackFile {
  readonly stack: string;
  readonly file: string;
  /** `stage2:` keys without the prefix; secure values are absent here. */
  readonly config: Record<string, unknown>;
  /** Keys (without prefix) whose value is `secure:` ciphertext. */
  readonly secureKeys: string[];
  /** Keys (without prefix) that hold plain values. */
  readonly plainKeys: string[];
}

export const STACKS_DIR = path.resolve(__dirname);

export function stackFilePath(stack: string): string {
  if (!/^[A-Za-z0-9_.-]+$/.test(stack)) throw new Error(`--stack ${JSON.stringify(stack)}: a stack name holds letters, digits, _ . -`);
  return path.join(STACKS_DIR, `Pulumi.${stack}.yaml`);
}

export function loadStackFile(file: string): StackFile {
  if (!fs.existsSync(file)) throw new Error(`${file}: no such stack file`);
  const doc = YAML.parse(fs.readFileSync(file, "utf8")) ?? {};
  const raw = (doc.config ?? {}) as Record<string, unknown>;
  const config: Record<string, unknown> = {};
  const secureKeys: string[] = [];
  const plainKeys: string[] = [];
  for (const [key, value] of Object.entries(raw)) {
    const m = /^stage2:(.+)$/.exec(key);
    if (!m) continue;
    if (value && typeof value === "object" && !Array.isArray(value) && "secure" in (value as object)) {
      secureKeys.push(m[1]);
    } else {
      config[m[1]] = value;
      plainKeys.push(m[1]);
    }
  }
  const stack = /Pulumi\.(.+)\.ya?ml$/.exec(path.basename(file))?.[1] ?? path.basename(file);
  return { stack, file, config, secureKeys, plainKeys };
}
