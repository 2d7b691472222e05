/**
 * Reads `swanctl --list-sas --raw`: one line per IKE SA, `name {key=value ... child-sas {child {key=value}}}`,
 * lists in brackets. What doctor and the labs judge: IKE SA endpoints, NAT flags, virtual IPs, CHILD_SA SPIs,
 * traffic counters and age.
 */

export interface ChildSa {
  readonly name: string;
  readonly state: string;
  readonly spiIn: string;
  readonly spiOut: string;
  readonly localTs: readonly string[];
  readonly remoteTs: readonly string[];
  readonly bytesIn: number;
  readonly packetsIn: number;
  readonly bytesOut: number;
  readonly packetsOut: number;
  /** Seconds since the CHILD_SA was installed (or rekeyed, which resets the counters too). */
  readonly installTime: number;
}

export interface IkeSa {
  readonly name: string;
  /** charon's unique id (`swanctl --terminate --ike-id`). */
  readonly uniqueId: string;
  readonly remoteId: string;
  readonly state: string;
  readonly localHost: string;
  readonly localPort: string;
  readonly remoteHost: string;
  readonly remotePort: string;
  readonly initiator: boolean;
  readonly natRemote: boolean;
  readonly natLocal: boolean;
  readonly localVips: readonly string[];
  readonly remoteVips: readonly string[];
  readonly children: readonly ChildSa[];
}

export type Tree = { [key: string]: string | string[] | Tree };

/** Parses vici's raw text form (swanctl --raw) into nested objects. */
export function parseRaw(text: string): Tree {
  const tokens = text.match(/[{}[\]]|[^\s{}[\]=]+=\[[^\]]*\]|[^\s{}[\]]+/g) ?? [];
  let i = 0;
  const parse = (): Tree => {
    const out: Tree = {};
    while (i < tokens.length) {
      const tok = tokens[i++];
      if (tok === "}") return out;
      const eq = tok.indexOf("=");
      if (eq > 0) {
        const key = tok.slice(0, eq);
        const value = tok.slice(eq + 1);
        out[key] = value.startsWith("[") ? value.slice(1, -1).split(/\s+/).filter(Boolean) : value;
      } else if (tokens[i] === "{") {
        i++;
        out[tok] = parse();
      }
    }
    return out;
  };
  return parse();
}

const str = (t: Tree, k: string): string => (typeof t[k] === "string" ? (t[k] as string) : "");
const num = (t: Tree, k: string): number => Number(str(t, k) || 0);
const list = (t: Tree, k: string): string[] => (Array.isArray(t[k]) ? (t[k] as string[]) : []);

export function parseSas(raw: string): IkeSa[] {
  const sas: IkeSa[] = [];
  for (const line of raw.split("\n")) {
    const m = /^list-sa event \{(.*)\}\s*$/.exec(line.trim());
    if (!m) continue;
    const tree = parseRaw(m[1]);
    for (const [name, body] of Object.entries(tree)) {
      if (typeof body !== "object" || Array.isArray(body)) continue;
      const kids = (body["child-sas"] ?? {}) as Tree;
      sas.push({
        name,
        uniqueId: str(body, "uniqueid"),
        remoteId: str(body, "remote-id"),
        state: str(body, "state"),
        localHost: str(body, "local-host"),
        localPort: str(body, "local-port"),
        remoteHost: str(body, "remote-host"),
        remotePort: str(body, "remote-port"),
        initiator: str(body, "initiator") === "yes",
        natRemote: str(body, "nat-remote") === "yes",
        natLocal: str(body, "nat-local") === "yes",
        localVips: list(body, "local-vips"),
        remoteVips: list(body, "remote-vips"),
        children: Object.values(kids)
          .filter((c): c is Tree => typeof c === "object" && !Array.isArray(c))
          .map((c) => ({
            name: str(c, "name"),
            state: str(c, "state"),
            spiIn: str(c, "spi-in"),
            spiOut: str(c, "spi-out"),
            localTs: list(c, "local-ts"),
            remoteTs: list(c, "remote-ts"),
            bytesIn: num(c, "bytes-in"),
            packetsIn: num(c, "packets-in"),
            bytesOut: num(c, "bytes-out"),
            packetsOut: num(c, "packets-out"),
            installTime: num(c, "install-time"),
          })),
      });
    }
  }
  return sas;
}
