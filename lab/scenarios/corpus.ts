import * as fs from "fs";
import * as path from "path";
import { corpusRoot, placeholderMap, substitute } from "../swanctl-corpus";

/**
 * One scenario of strongSwan's test corpus as the scenario runner reads it: the hosts it configures, its pretest
 * steps and its expectations. `.dat` lines are `host::command[::pattern::YES|NO]`; PH_IP_* placeholders are
 * replaced with the corpus's own host addresses, as strongSwan's harness does.
 */

export interface DatLine {
  readonly host: string;
  readonly command: string;
  readonly pattern?: string;
  /** YES: the output must match the pattern; NO: it must not. */
  readonly expect?: "YES" | "NO";
  /** The line as written (placeholders replaced), for the report. */
  readonly text: string;
}

export interface Scenario {
  readonly name: string;
  readonly dir: string;
  readonly description: string;
  /** Hosts with their own configuration (hosts/<host>/etc). */
  readonly hosts: readonly string[];
  readonly pretest: readonly DatLine[];
  readonly evaltest: readonly DatLine[];
  readonly placeholders: ReadonlyMap<string, string>;
}

export function parseDat(text: string, placeholders: ReadonlyMap<string, string>): DatLine[] {
  const out: DatLine[] = [];
  for (const raw of text.split("\n")) {
    const line = substitute(raw, placeholders as Map<string, string>).trim();
    if (!line || line.startsWith("#")) continue;
    const [host, command, pattern, expect] = line.split("::");
    if (command === undefined) continue;
    const e = expect?.trim();
    out.push({
      host: host.trim(),
      command: command.trim(),
      ...(pattern !== undefined ? { pattern } : {}),
      ...(e === "YES" || e === "NO" ? { expect: e } : {}),
      text: line,
    });
  }
  return out;
}

/** `rw-cert` is ikev2/rw-cert; other corpus folders are named with theirs (`libipsec/net2net-cert`). */
export const scenarioDir = (shared: string, name: string): string => path.join(corpusRoot(shared), "tests", name.includes("/") ? name : `ikev2/${name}`);
export const qualifiedName = (name: string): string => (name.includes("/") ? name : `ikev2/${name}`);

export function readScenario(shared: string, name: string): Scenario {
  const dir = scenarioDir(shared, name);
  if (!/^([a-z0-9-]+\/)?[a-z0-9-]+$/.test(name) || !fs.existsSync(dir)) throw new Error(`no corpus scenario ${qualifiedName(name)} (${dir})`);
  const placeholders = placeholderMap(corpusRoot(shared));
  const read = (f: string) => (fs.existsSync(path.join(dir, f)) ? fs.readFileSync(path.join(dir, f), "utf8") : "");
  return {
    name: qualifiedName(name),
    dir,
    description: read("description.txt")
      .replace(/<[^>]+>/g, "")
      .replace(/\s+/g, " ")
      .trim(),
    hosts: fs.readdirSync(path.join(dir, "hosts")).sort(),
    pretest: parseDat(read("pretest.dat"), placeholders),
    evaltest: parseDat(read("evaltest.dat"), placeholders),
    placeholders,
  };
}
