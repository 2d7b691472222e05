import * as fs from "fs";
import * as path from "path";
import { SETTINGS_VALIDATE, strongswanService } from "../../components/strongswan/concerns";
import { renderSettings, section, type SettingsEntry, type SettingsSection } from "../../components/strongswan/settings";
import { parseSettingsFile } from "../../components/strongswan/settings-parser";
import { errorsOf, formatLocatedProblem, isDocSection, readSwanctlFile, renderDocument, type SwanctlDocument } from "../../components/strongswan/swanctl";
import { importSwanctl } from "../../components/strongswan/swanctl/import";
import { copyCase } from "../swanctl-corpus";
import type { Concern } from "../../components/host/types";

/**
 * A corpus host's configuration, read through stage2's complete swanctl model and rendered back, plus the
 * scenario's strongswan.conf turned into a drop-in for Debian's charon: one concern, converged like a gateway's.
 */

export const SCENARIO_DROP_IN = "/etc/strongswan.d/zz-stage2-scenario.conf";
export const SCENARIO_SWANCTL = "/etc/swanctl/swanctl.conf";
const HEADER = "# Managed by stage2 scenarios: a strongSwan corpus host, rendered from the swanctl model.";

// The corpus's strongSwan is built from source into /usr/local; Debian ships the same script here.
const UPDOWN_FROM = "/usr/local/libexec/ipsec/_updown";
const UPDOWN_TO = "/usr/lib/ipsec/_updown";

/** The settings a corpus strongswan.conf names that belong to the test build, not to the scenario. */
const BUILD_ONLY = new Set(["load", "integrity_test", "crypto_test"]);

function withoutKeys(sec: SettingsSection, drop: ReadonlySet<string>): SettingsSection {
  return { entries: sec.entries.filter((e) => !drop.has(e.key)) };
}

/** Later entries win, sections merge: what strongSwan does with a key or section given twice. */
export function mergeSettings(a: SettingsSection, b: SettingsSection): SettingsSection {
  const entries: SettingsEntry[] = [...a.entries];
  for (const e of b.entries) {
    const i = entries.findIndex((x) => x.key === e.key);
    if (i < 0) entries.push(e);
    else if (e.kind === "section" && entries[i].kind === "section") {
      const prev = entries[i] as Extract<SettingsEntry, { kind: "section" }>;
      entries[i] = { kind: "section", key: e.key, section: mergeSettings(prev.section, e.section) };
    } else entries[i] = e;
  }
  return { entries };
}

/**
 * What every corpus host needs on this machine: userspace ESP, no legacy stroke socket, a log file. Road warriors
 * without a virtual IP and host-to-host tunnels have the IKE peer inside the remote traffic selector: the TUN route
 * would swallow IKE and the UDP-encapsulated ESP itself, so charon's own packets carry a mark that the policy
 * routing rule to table 220 excludes (kernel-libipsec.opt, allow_peer_ts).
 */
export const IKE_MARK = "0x5332";
export const LAB_CHARON = section({
  charon: section({
    plugins: section({
      "kernel-libipsec": section({ load: true, allow_peer_ts: true }),
      "kernel-netlink": section({ fwmark: `!${IKE_MARK}` }),
      "socket-default": section({ fwmark: IKE_MARK }),
      stroke: section({ load: false }),
      "bypass-lan": section({ load: false }),
    }),
    filelog: section({ scenario: section({ path: "/var/log/charon.log", time_format: "%T", default: 1, ike: 2, knl: 2, cfg: 2 }) }),
  }),
});

/**
 * The scenario's strongswan.conf for Debian's charon: `charon-systemd` options go to `charon` (Debian's charon
 * daemon reads that section), the test build's plugin `load` lists give way to Debian's modular loading, and the
 * build's self-tests are left out.
 */
export function scenarioStrongswanConf(tree: SettingsSection | undefined): string {
  const kept: SettingsEntry[] = [];
  for (const e of tree?.entries ?? []) {
    if (e.kind !== "section") continue;
    const key = e.key === "charon-systemd" ? "charon" : e.key;
    const sec = key === "charon" || key === "swanctl" ? withoutKeys(e.section, BUILD_ONLY) : e.section;
    if (sec.entries.length) kept.push({ kind: "section", key, section: sec });
  }
  const merged = kept.reduce<SettingsSection>((acc, e) => mergeSettings(acc, { entries: [e] }), { entries: [] });
  return renderSettings(mergeSettings(merged, LAB_CHARON), HEADER);
}

function rewriteUpdown(doc: SwanctlDocument): SwanctlDocument {
  const out: SwanctlDocument = {};
  for (const [k, v] of Object.entries(doc)) {
    if (isDocSection(v)) out[k] = rewriteUpdown(v);
    else if (k === "updown" && typeof v === "string" && v.startsWith(UPDOWN_FROM)) out[k] = UPDOWN_TO + v.slice(UPDOWN_FROM.length);
    else out[k] = v;
  }
  return out;
}

export interface RenderedHost {
  readonly host: string;
  readonly concern: Concern;
  /** The model's objections to the corpus file (empty when it is valid). */
  readonly problems: readonly string[];
  /** For the gateways (moon, sun): what `stage2 import` makes of the file in the gateway model. */
  readonly gatewayImport?: string;
}

const GATEWAYS = new Set(["moon", "sun"]);

/**
 * `stage2 import` of a gateway's file: which connections the gateway model takes and what it renames. The scenario
 * itself runs the complete swanctl model's rendering, because the gateway model names CHILD_SAs and pools after the
 * connection (`net` → `rw`), and the corpus's expectations name the originals.
 */
export function describeGatewayImport(doc: SwanctlDocument, dir: string): string {
  try {
    const r = importSwanctl(doc, { dir });
    const raw = Object.keys(isDocSection(r.ipsec.extraSwanctl?.connections) ? r.ipsec.extraSwanctl.connections : {}).filter(
      (c) => !r.notes.some((n) => n.kind === "model" && n.where === `connections.${c}`),
    );
    const renames = Object.entries(r.renames).map(([a, b]) => `${a} → ${b}`);
    return [
      `${r.ipsec.roadWarriors.length} road warrior(s) and ${r.ipsec.sites.length} site(s) in the gateway model`,
      raw.length ? `raw through extraSwanctl: ${raw.join(", ")}` : "",
      renames.length ? `renamed: ${renames.join(", ")}` : "",
      `${r.secrets.length} secret(s) moved to secret config keys`,
    ]
      .filter(Boolean)
      .join("; ");
  } catch (e) {
    return `does not fit the gateway model: ${(e as Error).message}`;
  }
}

/** Reads `hosts/<host>/etc` of a scenario through the swanctl model; `scratch` receives the placeholder-free copy. */
export function renderScenarioHost(scenarioDir: string, host: string, scratch: string, placeholders: Map<string, string>): RenderedHost {
  const etc = path.join(scenarioDir, "hosts", host, "etc");
  const files: Concern["files"][number][] = [];
  const conf = path.join(etc, "strongswan.conf");
  files.push({
    path: SCENARIO_DROP_IN,
    content: scenarioStrongswanConf(fs.existsSync(conf) ? parseSettingsFile(conf).tree : undefined),
    mode: "0644",
    validate: SETTINGS_VALIDATE,
  });
  let problems: string[] = [];
  let gatewayImport: string | undefined;
  const swanctl = path.join(etc, "swanctl", "swanctl.conf");
  if (fs.existsSync(swanctl)) {
    const copied = copyCase(swanctl, path.join(scratch, host), placeholders);
    const read = readSwanctlFile(copied);
    problems = errorsOf(read).map(formatLocatedProblem);
    if (GATEWAYS.has(host)) gatewayImport = describeGatewayImport(read.document, path.dirname(copied));
    // Secrets live in the corpus's swanctl.conf itself: the whole file is treated as one.
    files.push({
      path: SCENARIO_SWANCTL,
      content: renderDocument(rewriteUpdown(read.document), HEADER),
      mode: "0600",
      secret: true,
      validate: SETTINGS_VALIDATE,
    });
  }
  return {
    host,
    problems,
    ...(gatewayImport ? { gatewayImport } : {}),
    concern: {
      name: "strongswan-scenario",
      packages: ["strongswan-swanctl", "strongswan-charon", "libcharon-extra-plugins", "libcharon-extauth-plugins"],
      files,
      services: [strongswanService],
    },
  };
}
