import * as path from "path";
import * as YAML from "yaml";
import { parseStackYaml } from "./stack-yaml";
import { CHECKOUT_ROOT } from "./checkout";
import { readTextFile } from "../components/util/read-file";
import { registerSecret } from "../components/util/secret-values";

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

export const STACKS_DIR = path.join(CHECKOUT_ROOT, "stacks");

export function stackFilePath(stack: string): string {
  if (!/^[A-Za-z0-9_.-]+$/.test(stack)) throw new Error(`--stack ${JSON.stringify(stack)}: a stack name holds letters, digits, _ . -`);
  return path.join(STACKS_DIR, `Pulumi.${stack}.yaml`);
}

export function loadStackFile(file: string): StackFile {
  const doc = parseYaml(file, readTextFile(file)) ?? {};
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
      // Every stage2 key but the gateways holds a secret (a lab's plain PSK): no message may show its value.
      if (m[1] !== "gateways") registerSecret(key, value);
    }
  }
  const stack = /Pulumi\.(.+)\.ya?ml$/.exec(path.basename(file))?.[1] ?? path.basename(file);
  return { stack, file, config, secureKeys, plainKeys };
}

/** YAML's own errors quote the lines around the fault, which may hold a secret: only the position and reason. */
function parseYaml(file: string, text: string): { config?: unknown } | null {
  try {
    return parseStackYaml(text) as { config?: unknown } | null;
  } catch (err) {
    if (!(err instanceof YAML.YAMLError)) throw err;
    const at = err.linePos?.[0];
    const reason = /Maximum call stack/.test(err.message) ? "nested too deeply" : err.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
    throw new Error(`${file}${at ? `:${at.line}:${at.col}` : ""}: not valid YAML: ${reason}`);
  }
}
