import { SettingsSection, unquoteSettingsValue } from "../../components/strongswan/settings";
import { parseSettings } from "../../components/strongswan/settings-parser";

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
  readonly children: SwanChild[];
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
  /** The `include` patterns of the file, resolved by the caller against the host's other files. */
  readonly includes: string[];
}

/** strongSwan lists are separated by commas and/or blanks. */
export const splitList = (value: string | undefined): string[] =>
  value === undefined
    ? []
    : value
        .split(/[,\s]+/)
        .map((v) => v.trim())
        .filter(Boolean);

const valueOf = (sec: SettingsSection, key: string): string | undefined => {
  const entry = sec.entries.find((e) => e.kind === "value" && e.key === key);
  return entry?.kind === "value" ? unquoteSettingsValue(entry.value) : undefined;
};

const sectionsOf = (sec: SettingsSection | undefined): { key: string; section: SettingsSection }[] =>
  (sec?.entries ?? []).flatMap((e) => (e.kind === "section" ? [{ key: e.key, section: e.section }] : []));

const sectionOf = (sec: SettingsSection, key: string): SettingsSection | undefined => sectionsOf(sec).find((s) => s.key === key)?.section;

const INCLUDE_RE = /^[ \t]*include[ \t]+("[^"\n]*"|[^\s#]+)[ \t]*(#.*)?$/;

/**
 * Parses swanctl.conf text with the project's settings parser. `include` statements are taken out first and
 * returned: a policy must never read the files of the machine it runs on, only the host's own files.
 */
export function parseSwanctl(text: string, file: string): SwanctlConfig {
  const includes: string[] = [];
  const body = text
    .split("\n")
    .map((line) => {
      const m = INCLUDE_RE.exec(line);
      if (!m) return line;
      includes.push(m[1].replace(/^"|"$/g, ""));
      return "";
    })
    .join("\n");
  const tree = parseSettings(body, { file }).tree;
  const connections = sectionsOf(sectionOf(tree, "connections")).map(({ key, section }) => {
    const has = (k: string) => valueOf(section, k) !== undefined;
    return {
      name: key,
      localAddrs: has("local_addrs") ? splitList(valueOf(section, "local_addrs")) : undefined,
      remoteAddrs: has("remote_addrs") ? splitList(valueOf(section, "remote_addrs")) : undefined,
      pools: splitList(valueOf(section, "pools")),
      proposals: splitList(valueOf(section, "proposals")),
      dpdDelay: valueOf(section, "dpd_delay"),
      children: sectionsOf(sectionOf(section, "children")).map(({ key: child, section: c }) => ({
        name: child,
        localTs: splitList(valueOf(c, "local_ts")),
        remoteTs: splitList(valueOf(c, "remote_ts")),
        startAction: valueOf(c, "start_action"),
        espProposals: splitList(valueOf(c, "esp_proposals")),
        ahProposals: splitList(valueOf(c, "ah_proposals")),
      })),
    };
  });
  const pools = sectionsOf(sectionOf(tree, "pools")).map(({ key, section }) => ({ name: key, addrs: splitList(valueOf(section, "addrs")) }));
  const secrets = sectionsOf(sectionOf(tree, "secrets")).map(({ key, section }) => {
    const values = section.entries.flatMap((e) => (e.kind === "value" && e.key === "secret" ? [unquoteSettingsValue(e.value)] : []));
    return { name: key, inline: values.length > 0, values };
  });
  return { connections, pools, secrets, includes };
}
