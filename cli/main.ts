import * as fs from "fs";
import * as path from "path";
import { UsageError } from "./args";
import { scrubSecrets } from "../components/util/secret-values";

/** A sub-command lives in cli/commands/<name>.ts (compiled: .js) and exports `summary` and `run`. */
export interface Command {
  readonly summary: string;
  readonly usage: string;
  run(argv: string[]): Promise<number>;
}

function commandNames(): string[] {
  return fs
    .readdirSync(path.join(__dirname, "commands"))
    .filter((f) => /^[a-z-]+\.[jt]s$/.test(f))
    .map((f) => f.replace(/\.[jt]s$/, ""))
    .sort();
}

function load(name: string): Command {
  return require(path.join(__dirname, "commands", name)) as Command;
}

export function help(): string {
  const lines = ["usage: stage2 <command> [options]", "", "commands:"];
  for (const name of commandNames()) lines.push(`  ${name.padEnd(10)} ${load(name).summary}`);
  lines.push("", "stage2 <command> --help shows a command's options.");
  return lines.join("\n") + "\n";
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(help());
    return name ? 0 : 2;
  }
  if (!commandNames().includes(name)) {
    process.stderr.write(`stage2: unknown command ${JSON.stringify(name)}\n\n${help()}`);
    return 2;
  }
  const command = load(name);
  if (rest.includes("--help") || rest.includes("-h")) {
    process.stdout.write(`${command.usage}\n`);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    const usageError = err instanceof UsageError;
    // Errors name a secret's key, never its value: a message that still quotes a secret read so far loses it here.
    process.stderr.write(`stage2 ${name}: ${scrubSecrets(err instanceof Error ? err.message : String(err))}\n`);
    if (usageError) process.stderr.write(`\n${command.usage}\n`);
    return usageError ? 2 : 1;
  }
}
