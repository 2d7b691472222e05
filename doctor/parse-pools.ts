import { parseRaw, Tree } from "./parse-sas";

/** One pool as charon reports it (`swanctl --list-pools --raw`). */
export interface PoolUsage {
  readonly name: string;
  readonly base: string;
  readonly size: number;
  readonly online: number;
  readonly offline: number;
}

export function parsePools(raw: string): PoolUsage[] {
  const m = /^get-pools reply \{(.*)\}\s*$/m.exec(raw);
  if (!m) return [];
  return Object.entries(parseRaw(m[1]))
    .filter((e): e is [string, Tree] => typeof e[1] === "object" && !Array.isArray(e[1]))
    .map(([name, p]) => ({
      name,
      base: typeof p.base === "string" ? p.base : "",
      size: Number(p.size ?? 0),
      online: Number(p.online ?? 0),
      offline: Number(p.offline ?? 0),
    }));
}
