import { parseWgConf } from "../host/wg-conf";
import { ConfiguredAddress, configuredAddresses, isNetworkConfigPath } from "../host/interface-addresses";
import { WgConf } from "../host/wg-conf";
import { parseRuleset, Ruleset } from "../nft/ruleset";
import { scriptEffects } from "../shell/effects";
import { absoluteFrom, globMatch, isGlob } from "../shell/paths";
import { readSwanctlText, type SwanctlFile } from "../../components/strongswan/swanctl";
import { SettingsParseError, type IncludeReader } from "../../components/strongswan/settings-parser";
import { SwanctlConfig, swanctlConfigs } from "../swanctl/config";
import { Finding } from "./finding";
import { addEffects, CommandIssue, CommandLoad, CommandReading, HostFileView } from "./host-files";
import { unreadable } from "./unreadable";

/** One host's files as the policies read them: every swanctl, nftables and WireGuard file that reaches a loader. */
export interface GatewayFiles {
  readonly files: HostFileView[];
  readonly swanctl: { readonly file: HostFileView; readonly config: SwanctlConfig }[];
  readonly rulesets: { readonly file: HostFileView; readonly ruleset: Ruleset }[];
  readonly wireguard: { readonly file: HostFileView; readonly conf: WgConf }[];
  readonly addresses: (ConfiguredAddress & { readonly file: HostFileView })[];
}

const SWANCTL_MAIN = "/etc/swanctl/swanctl.conf";
const SWANCTL_RE = /^\/etc\/swanctl\/(swanctl\.conf|conf\.d\/[^/]+\.conf)$/;
const NFT_MAIN = "/etc/nftables.conf";
const NFT_RE = /^\/etc\/(nftables\.conf|nftables\.d\/[^/]+|nftables\/[^/]+\.nft)$/;
const WG_RE = /^\/etc\/wireguard\/[^/]+\.conf$/;

/** "line 3" from a parser's message, never the message itself (it may quote a secret's value). */
const lineOf = (err: unknown): string => {
  const line = err instanceof SettingsParseError ? err.pos.line : /line (\d+)/.exec(String((err as Error)?.message ?? ""))?.[1];
  return line ? `a syntax error at line ${line}` : "a syntax error";
};

/**
 * Reads a gateway's files and resolves what its commands load: includes against the files this stack writes
 * (globs too), `nft -f`, `swanctl --file`, sourced scripts, `wg setconf`, routes into interfaces, wg-quick hooks.
 * Whatever cannot be resolved is a gateway-commands-readable finding in `out`.
 */
export function readGatewayFiles(gw: GatewayFiles, loads: readonly CommandLoad[], out: Finding[]): void {
  const matching = (pattern: string) => gw.files.filter((f) => (isGlob(pattern) ? globMatch(pattern, f.path) : f.path === pattern));
  const latest = (path: string) => [...gw.files].reverse().find((f) => f.path === path);
  const flag = (subject: HostFileView["subject"], where: string, what: string, domain: string): void => {
    out.push(unreadable(subject, where, what, domain));
  };

  // A swanctl file is read once: on its own, or as part of the file that includes it.
  const swanctlSeen = new Set<HostFileView>();
  const addSwanctl = (file: HostFileView): void => {
    if (swanctlSeen.has(file)) return;
    swanctlSeen.add(file);
    const viewOf = (path: string): HostFileView => (path === file.path ? file : (latest(path) ?? file));
    // Includes come from the files this stack writes, never from the machine the pack runs on.
    const readInclude: IncludeReader = (pattern, from) => {
      const found = [...new Set(matching(pattern).map((f) => f.path))].map((p) => viewOf(p));
      if (found.length === 0) {
        const why = isGlob(pattern)
          ? "matches no file this stack writes, so whatever the host holds there is loaded unseen"
          : "is a file no resource of this stack writes";
        const includer = viewOf(from);
        flag(includer.subject, includer.path, `includes ${pattern}, which ${why}`, "IPsec");
      }
      return found.map((f) => ({ file: f.path, text: f.content }));
    };
    let read: SwanctlFile;
    try {
      read = readSwanctlText(file.content, file.path, { readInclude });
    } catch (err) {
      const at = err instanceof SettingsParseError ? viewOf(err.pos.file) : file;
      swanctlSeen.add(at);
      return flag(at.subject, at.path, `could not be read as swanctl.conf (${lineOf(err)})`, "IPsec");
    }
    for (const part of swanctlConfigs(read)) {
      const view = viewOf(part.file);
      swanctlSeen.add(view);
      gw.swanctl.push({ file: view, config: part.config });
    }
  };
  const swanctlFiles = gw.files.filter((f) => SWANCTL_RE.test(f.path));
  // swanctl.conf first: what it includes belongs to it.
  [...swanctlFiles.filter((f) => f.path === SWANCTL_MAIN), ...swanctlFiles.filter((f) => f.path !== SWANCTL_MAIN)].forEach(addSwanctl);

  const included = new Set<string>();
  const addRuleset = (file: HostFileView): void => {
    let ruleset: Ruleset;
    try {
      ruleset = parseRuleset(file.content, {
        include: (pattern) => {
          const found = matching(absoluteFrom("/etc", pattern));
          found.forEach((f) => included.add(f.path));
          return found.length ? found.map((f) => f.content) : undefined;
        },
      });
    } catch (err) {
      return flag(file.subject, file.path, `could not be read as an nftables ruleset (${lineOf(err)})`, "firewall");
    }
    if (ruleset.resets && gw.rulesets.length > 0) {
      flag(
        file.subject,
        file.path,
        "flushes or deletes what another ruleset file loaded, and the pack judges each file on its own, not their order",
        "firewall",
      );
    }
    gw.rulesets.push({ file, ruleset });
    for (const u of ruleset.unreadable)
      flag(file.subject, u.line ? `${file.path} line ${u.line}` : file.path, `${u.what}, which the reader cannot evaluate`, "firewall");
  };
  const nftFiles = gw.files.filter((f) => NFT_RE.test(f.path));
  nftFiles.filter((f) => f.path === NFT_MAIN).forEach(addRuleset);

  const wgIfaces = () => gw.wireguard.map((w) => w.conf.iface);
  for (const file of gw.files.filter((f) => WG_RE.test(f.path))) gw.wireguard.push({ file, conf: parseWgConf(file.path, file.content) });

  const queue = [...loads];
  for (const { file, conf } of gw.wireguard) {
    for (const hook of conf.hooks) {
      const reading: CommandReading = { files: [], notes: [], issues: [], loads: [] };
      addEffects(reading, file.subject, `${file.path} ${hook.key}`, scriptEffects(hook.command.replace(/%i/g, conf.iface)), false);
      report(reading.issues, out);
      queue.push(...reading.loads);
    }
  }
  const sourced = new Set<HostFileView>();
  for (let i = 0; i < queue.length; i++) {
    const { subject, where, load } = queue[i];
    if (load.tool === "nft") {
      if (load.path === undefined) {
        addRuleset({ path: `${where} (nft -f)`, content: load.text, secretFlag: false, via: "script", subject });
        continue;
      }
      const file = latest(load.path);
      if (!file) flag(subject, where, `\`nft -f\` loads ${load.path}, which no resource of this stack writes`, "firewall");
      else if (file.path !== NFT_MAIN) {
        included.add(file.path);
        addRuleset(file);
      }
    } else if (load.tool === "swanctl") {
      const file = latest(load.path);
      if (file) addSwanctl(file);
      else flag(subject, where, `\`swanctl --file\` loads ${load.path}, which no resource of this stack writes`, "IPsec");
    } else if (load.tool === "source") {
      const file = latest(load.path);
      if (!file) {
        flag(subject, where, `runs ${load.path}, a script no resource of this stack writes`, "unknown");
      } else if (!sourced.has(file)) {
        sourced.add(file);
        const reading: CommandReading = { files: [], notes: [], issues: [], loads: [] };
        addEffects(reading, subject, `${where} (${load.path})`, scriptEffects(file.content), true);
        report(reading.issues, out);
        queue.push(...reading.loads);
      }
    } else if (load.tool === "wg") {
      if (load.path !== undefined) {
        const file = latest(load.path);
        if (file) gw.wireguard.push({ file, conf: parseWgConf(`/etc/wireguard/${load.iface}.conf`, file.content) });
        else flag(subject, where, `\`wg setconf\` loads ${load.path}, which no resource of this stack writes`, "WireGuard");
      } else if (!load.probe || wgIfaces().includes(load.iface)) {
        flag(subject, where, `\`wg setconf ${load.iface}\` loads a configuration from its input`, "WireGuard");
      }
    } else if (!wgIfaces().includes(load.iface)) {
      flag(subject, where, `\`ip route\` sends traffic into ${load.iface}, which is not a WireGuard interface this stack configures`, "routing");
    }
  }
  // Ruleset files that nothing above loads or includes: read on their own, as before.
  nftFiles.filter((f) => f.path !== NFT_MAIN && !included.has(f.path)).forEach(addRuleset);

  for (const file of gw.files.filter((f) => isNetworkConfigPath(f.path))) {
    gw.addresses.push(...configuredAddresses(file.path, file.content).map((a) => ({ ...a, file })));
  }
}

export function report(issues: readonly CommandIssue[], out: Finding[]): void {
  for (const i of issues) out.push(unreadable(i.subject, i.where, i.what, i.domain));
}
