/** The parts of a wg-quick(8) config the policies need: the interface's addresses and the peers' AllowedIPs. */
export interface WgConf {
  /** Interface name, from the file name (/etc/wireguard/wg0.conf → wg0). */
  readonly iface: string;
  readonly addresses: string[];
  readonly listenPort?: number;
  readonly peers: { readonly publicKey?: string; readonly allowedIps: string[] }[];
  /** True when the file itself holds `PrivateKey =` (stage2 generates the key on the host instead). */
  readonly hasPrivateKey: boolean;
  /** PreUp/PostUp/PreDown/PostDown: shell commands wg-quick runs as root. */
  readonly hooks: { readonly key: string; readonly command: string }[];
}

const list = (value: string): string[] =>
  value
    .split(",")
    .map((v) => v.trim())
    .filter(Boolean);

export function parseWgConf(path: string, text: string): WgConf {
  const iface = path.slice(path.lastIndexOf("/") + 1).replace(/\.conf$/, "");
  const addresses: string[] = [];
  const peers: { publicKey?: string; allowedIps: string[] }[] = [];
  let listenPort: number | undefined;
  let hasPrivateKey = false;
  const hooks: { key: string; command: string }[] = [];
  let where: "interface" | "peer" | "other" = "other";
  for (const raw of text.split("\n")) {
    // wg-quick strips comments before it runs hooks too.
    const line = raw.replace(/#.*$/, "").trim();
    if (!line) continue;
    const head = /^\[(\w+)\]$/.exec(line);
    if (head) {
      where = head[1].toLowerCase() === "interface" ? "interface" : head[1].toLowerCase() === "peer" ? "peer" : "other";
      if (where === "peer") peers.push({ allowedIps: [] });
      continue;
    }
    const kv = /^([A-Za-z]+)\s*=\s*(.*)$/.exec(line);
    if (!kv) continue;
    const key = kv[1].toLowerCase();
    const value = kv[2].trim();
    if (where === "interface") {
      if (key === "address") addresses.push(...list(value));
      if (key === "listenport" && /^\d+$/.test(value)) listenPort = Number(value);
      if (key === "privatekey" && value) hasPrivateKey = true;
      if (/^(pre|post)(up|down)$/.test(key)) hooks.push({ key: kv[1], command: value });
    } else if (where === "peer") {
      const peer = peers[peers.length - 1];
      if (key === "allowedips") peer.allowedIps.push(...list(value));
      if (key === "publickey") peer.publicKey = value;
    }
  }
  return { iface, addresses, listenPort, peers, hasPrivateKey, hooks };
}
