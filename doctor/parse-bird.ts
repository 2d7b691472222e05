/** Reads `birdc show protocols all` and `birdc show route export <proto>` (BIRD 2). */

export interface BirdProtocol {
  readonly name: string;
  readonly proto: string;
  /** "up", "down", "start", ... */
  readonly state: string;
  /** The info column: "Established", "Active", "Connect", ... for BGP. */
  readonly info: string;
  readonly lastError?: string;
  /** The protocol's block of the output, for evidence. */
  readonly text: string;
}

export function parseProtocols(text: string): BirdProtocol[] {
  const out: BirdProtocol[] = [];
  const blocks: string[][] = [];
  for (const line of text.split("\n")) {
    if (/^BIRD \d/.test(line) || /^Name\s+Proto\s+Table/.test(line)) continue;
    if (/^\S/.test(line)) blocks.push([line]);
    else if (blocks.length) blocks[blocks.length - 1].push(line);
  }
  for (const b of blocks) {
    const [name, proto, , state, , ...info] = b[0].trim().split(/\s+/);
    if (!name || !proto || !state) continue;
    const lastError = b.map((l) => /^\s+Last error:\s+(.*)$/.exec(l)?.[1]).find((x) => x !== undefined);
    out.push({ name, proto, state, info: info.join(" "), lastError, text: b.join("\n").trimEnd() });
  }
  return out;
}

/** The prefixes `show route export` lists (one per route line; continuation lines name next hops). */
export function exportedPrefixes(text: string): string[] {
  return [...new Set([...text.matchAll(/^([0-9a-f.:]+\/\d+)\s/gm)].map((m) => m[1]))];
}
