import { definedIn, isDocSection, splitList, toText, type DocValue, type SwanctlDocument, type SwanctlFile } from "../../components/strongswan/swanctl";

/** What the policies read from a swanctl.conf (swanctl.conf(5)): connections, their children, pools, secrets. */
export interface SwanChild {
  readonly name: string;
  readonly localTs: string[];
  readonly remoteTs: string[];
  readonly startAction?: string;
  readonly espProposals: string[];
  readonly ahProposals: string[];
}

export interface SwanConnection {
  readonly name: string;
  /** undefined when not set (strongSwan then uses %any). */
  readonly localAddrs?: string[];
  readonly remoteAddrs?: string[];
  readonly pools: string[];
  readonly proposals: string[];
  readonly dpdDelay?: string;
  /** The authentication rounds, in the file's order: `local*` and `remote*` sections. */
  readonly local: SwanAuth[];
  readonly remote: SwanAuth[];
  readonly children: SwanChild[];
}

export interface SwanAuth {
  readonly auth?: string;
  readonly id?: string;
  readonly certs: string[];
  readonly cacerts: string[];
}

export interface SwanSecret {
  /** The section name: ike-x, eap-x, xauth-x, ntlm-x, rsa-x, ecdsa-x, pkcs8-x, private-x, token-x. */
  readonly name: string;
  /** True when the section carries key material inline (`secret = ...`), not just a file reference. */
  readonly inline: boolean;
  readonly values: string[];
}

export interface SwanctlConfig {
  readonly connections: SwanConnection[];
  readonly pools: { readonly name: string; readonly addrs: string[] }[];
  readonly secrets: SwanSecret[];
}

// The document holds a list key as its items (swanctl's comma rule); a key it cannot type is read by the same rule.
const list = (v: DocValue | undefined): string[] => (v === undefined || isDocSection(v) ? [] : Array.isArray(v) ? v : splitList(toText(v)));
const text = (v: DocValue | undefined): string | undefined => (v === undefined || isDocSection(v) ? undefined : toText(v));
const sections = (v: DocValue | undefined): [string, SwanctlDocument][] =>
  isDocSection(v) ? Object.entries(v).filter((e): e is [string, SwanctlDocument] => isDocSection(e[1])) : [];

const child = ([name, c]: [string, SwanctlDocument]): SwanChild => ({
  name,
  localTs: list(c.local_ts),
  remoteTs: list(c.remote_ts),
  startAction: text(c.start_action),
  espProposals: list(c.esp_proposals),
  ahProposals: list(c.ah_proposals),
});

const rounds = (c: SwanctlDocument, side: "local" | "remote"): SwanAuth[] =>
  Object.entries(c)
    .filter((e): e is [string, SwanctlDocument] => (e[0] === side || e[0].startsWith(`${side}-`)) && isDocSection(e[1]))
    .map(([, a]) => ({ auth: text(a.auth), id: text(a.id), certs: list(a.certs), cacerts: list(a.cacerts) }));

const connection = ([name, c]: [string, SwanctlDocument]): SwanConnection => ({
  name,
  localAddrs: c.local_addrs === undefined ? undefined : list(c.local_addrs),
  remoteAddrs: c.remote_addrs === undefined ? undefined : list(c.remote_addrs),
  pools: list(c.pools),
  proposals: list(c.proposals),
  dpdDelay: text(c.dpd_delay),
  local: rounds(c, "local"),
  remote: rounds(c, "remote"),
  children: sections(c.children).map(child),
});

const secret = ([name, s]: [string, SwanctlDocument]): SwanSecret => {
  const values = s.secret === undefined ? [] : [text(s.secret) ?? ""];
  return { name, inline: values.length > 0, values };
};

/**
 * The policies' view of one read swanctl.conf (the one typed document, its includes read through the caller's
 * reader), split by the file that defines each connection, pool and secret: the file itself first, then each
 * file it included, so that a finding names the file (and the resource) that holds what it is about.
 */
export function swanctlConfigs(f: SwanctlFile): { readonly file: string; readonly config: SwanctlConfig }[] {
  const byFile = new Map<string, SwanctlConfig>([...new Set(f.parsed.files)].map((file) => [file, { connections: [], pools: [], secrets: [] }]));
  const own = byFile.get(f.parsed.files[0]) as SwanctlConfig;
  const into = (root: string, name: string): SwanctlConfig => byFile.get(definedIn(f, [root, name])) ?? own;
  for (const c of sections(f.document.connections)) into("connections", c[0]).connections.push(connection(c));
  for (const [name, p] of sections(f.document.pools)) into("pools", name).pools.push({ name, addrs: list(p.addrs) });
  for (const s of sections(f.document.secrets)) into("secrets", s[0]).secrets.push(secret(s));
  return [...byFile].map(([file, config]) => ({ file, config }));
}
