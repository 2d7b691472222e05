/**
 * Generates components/strongswan/swanctl/options.generated.ts from strongSwan 5.9.8's swanctl.opt:
 * every swanctl.conf key with its strongSwan default and documentation, grouped by the section it lives in,
 * plus the value type stage2 checks it against (TYPES below: swanctl.opt states types in prose only; the enum
 * values are the ones charon 5.9.8 accepted when tried on this machine, see docs/swanctl-reference.md).
 *
 *   npx ts-node tools/swanctl-gen-model.ts [path/to/swanctl.opt]      (writes the file)
 *   npx ts-node tools/swanctl-gen-model.ts --check                     (exit 1 when the file is stale)
 */
import * as fs from "fs";
import * as path from "path";
import { writeOrCheck } from "./generated-file";

export const OPT_FILE = path.resolve(__dirname, "..", "..", "shared", "reference", "strongswan-5.9.8", "swanctl.opt");
export const OUT_FILE = path.resolve(__dirname, "..", "components", "strongswan", "swanctl", "options.generated.ts");

type TypeSpec =
  | { kind: "bool" }
  | { kind: "int"; min: number; max: number }
  | { kind: "choice"; values: string[]; aliases?: Record<string, string> }
  | { kind: "duration" }
  | { kind: "volume" }
  | { kind: "string"; format: string }
  | { kind: "list"; format: string };

const bool: TypeSpec = { kind: "bool" };
const u32: TypeSpec = { kind: "int", min: 0, max: 4294967295 };
const port: TypeSpec = { kind: "int", min: 0, max: 65535 };
const duration: TypeSpec = { kind: "duration" };
const volume: TypeSpec = { kind: "volume" };
const str = (format: string): TypeSpec => ({ kind: "string", format });
const list = (format: string): TypeSpec => ({ kind: "list", format });
const choice = (values: string[], aliases?: Record<string, string>): TypeSpec => ({ kind: "choice", values, ...(aliases ? { aliases } : {}) });

// Section kinds: where each swanctl.opt section pattern lands in the model.
const SECTIONS: Record<string, string> = {
  "connections.<conn>": "connection",
  "connections.<conn>.local<suffix>": "local",
  "connections.<conn>.local<suffix>.cert<suffix>": "cert",
  "connections.<conn>.remote<suffix>": "remote",
  "connections.<conn>.remote<suffix>.cert<suffix>": "cert",
  "connections.<conn>.remote<suffix>.cacert<suffix>": "cacert",
  "connections.<conn>.children.<child>": "child",
  "secrets.eap<suffix>": "secret_eap",
  "secrets.xauth<suffix>": "secret_xauth",
  "secrets.ntlm<suffix>": "secret_ntlm",
  "secrets.ike<suffix>": "secret_ike",
  "secrets.ppk<suffix>": "secret_ppk",
  "secrets.private<suffix>": "secret_private",
  "secrets.rsa<suffix>": "secret_rsa",
  "secrets.ecdsa<suffix>": "secret_ecdsa",
  "secrets.pkcs8<suffix>": "secret_pkcs8",
  "secrets.pkcs12<suffix>": "secret_pkcs12",
  "secrets.token<suffix>": "secret_token",
  "pools.<name>": "pool",
  "authorities.<name>": "authority",
};

// Value types by key, relative to the section kind. `id<suffix>` and `<attr>` are key patterns.
const TYPES: Record<string, Record<string, TypeSpec>> = {
  connection: {
    version: { kind: "int", min: 0, max: 2 },
    local_addrs: list("addr"),
    remote_addrs: list("addr"),
    local_port: port,
    remote_port: port,
    proposals: list("ike_proposal"),
    vips: list("ip"),
    aggressive: bool,
    pull: bool,
    dscp: str("dscp"),
    encap: bool,
    mobike: bool,
    dpd_delay: duration,
    dpd_timeout: duration,
    fragmentation: choice(["yes", "accept", "force", "no"]),
    childless: choice(["allow", "force", "never"]),
    send_certreq: bool,
    send_cert: choice(["ifasked", "always", "never"]),
    ppk_id: str("identity"),
    ppk_required: bool,
    keyingtries: u32,
    unique: choice(["no", "never", "keep", "replace"]),
    reauth_time: duration,
    rekey_time: duration,
    over_time: duration,
    rand_time: duration,
    pools: list("name"),
    if_id_in: str("if_id"),
    if_id_out: str("if_id"),
    mediation: bool,
    mediated_by: str("name"),
    mediation_peer: str("identity"),
  },
  local: {
    round: u32,
    certs: list("file"),
    pubkeys: list("file"),
    auth: str("auth"),
    id: str("identity"),
    eap_id: str("identity"),
    aaa_id: str("identity"),
    xauth_id: str("identity"),
  },
  remote: {
    round: u32,
    id: str("identity"),
    eap_id: str("identity"),
    groups: list("text"),
    cert_policy: list("oid"),
    certs: list("file"),
    cacerts: list("file"),
    ca_id: str("identity"),
    pubkeys: list("file"),
    revocation: choice(["relaxed", "strict", "ifuri"]),
    auth: str("auth"),
  },
  cert: { file: str("file"), handle: str("hex"), slot: u32, module: str("text") },
  cacert: { file: str("file"), handle: str("hex"), slot: u32, module: str("text") },
  child: {
    ah_proposals: list("ah_proposal"),
    esp_proposals: list("esp_proposal"),
    sha256_96: bool,
    local_ts: list("ts"),
    remote_ts: list("ts"),
    rekey_time: duration,
    life_time: duration,
    rand_time: duration,
    rekey_bytes: volume,
    life_bytes: volume,
    rand_bytes: volume,
    rekey_packets: str("count"),
    life_packets: str("count"),
    rand_packets: str("count"),
    updown: str("text"),
    hostaccess: bool,
    mode: choice(["tunnel", "transport", "transport_proxy", "beet", "pass", "drop"]),
    policies: bool,
    policies_fwd_out: bool,
    dpd_action: choice(["clear", "trap", "restart"], { none: "clear", route: "trap", start: "restart" }),
    ipcomp: bool,
    inactivity: duration,
    reqid: u32,
    priority: u32,
    interface: str("ifname"),
    mark_in: str("mark"),
    mark_in_sa: bool,
    mark_out: str("mark"),
    set_mark_in: str("set_mark"),
    set_mark_out: str("set_mark"),
    if_id_in: str("if_id"),
    if_id_out: str("if_id"),
    label: str("text"),
    label_mode: choice(["system", "simple", "selinux"]),
    tfc_padding: str("tfc_padding"),
    replay_window: u32,
    hw_offload: choice(["no", "yes", "auto"]),
    copy_df: bool,
    copy_ecn: bool,
    copy_dscp: choice(["out", "in", "yes", "no"]),
    start_action: choice(["none", "trap", "start", "trap|start"], { clear: "none", route: "trap", restart: "start" }),
    close_action: choice(["none", "trap", "start"], { clear: "none", route: "trap", restart: "start" }),
  },
  secret_eap: { secret: str("secret"), "id<suffix>": str("identity") },
  secret_xauth: { secret: str("secret"), "id<suffix>": str("identity") },
  secret_ntlm: { secret: str("secret"), "id<suffix>": str("identity") },
  secret_ike: { secret: str("secret"), "id<suffix>": str("identity") },
  secret_ppk: { secret: str("secret"), "id<suffix>": str("identity") },
  secret_private: { file: str("file"), secret: str("secret") },
  secret_rsa: { file: str("file"), secret: str("secret") },
  secret_ecdsa: { file: str("file"), secret: str("secret") },
  secret_pkcs8: { file: str("file"), secret: str("secret") },
  secret_pkcs12: { file: str("file"), secret: str("secret") },
  secret_token: { handle: str("hex"), slot: u32, module: str("text"), pin: str("secret") },
  pool: { addrs: str("pool_addrs"), "<attr>": list("attr") },
  authority: {
    cacert: str("file"),
    file: str("file"),
    handle: str("hex"),
    slot: u32,
    module: str("text"),
    crl_uris: list("uri"),
    ocsp_uris: list("uri"),
    cert_uri_base: str("uri"),
  },
};

interface OptEntry {
  path: string;
  section: boolean;
  default?: string;
  summary: string;
  doc: string;
}

/** Reads swanctl.opt: `key [= default]` or `section {...}` lines, then an indented summary and long description. */
export function readOpt(text: string): OptEntry[] {
  const entries: OptEntry[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const head = lines[i];
    if (head === "" || /^\s/.test(head)) continue;
    const m = /^include\s/.test(head) ? ["", "include", undefined, head.slice(8)] : /^(\S+)\s*(?:(\{.*\})|=\s?(.*))?$/.exec(head);
    if (!m) throw new Error(`swanctl.opt:${i + 1}: cannot read ${JSON.stringify(head)}`);
    const body: string[] = [];
    while (i + 1 < lines.length && (lines[i + 1] === "" || /^\s/.test(lines[i + 1]))) body.push(lines[++i].replace(/^\t/, ""));
    const paragraphs = body
      .join("\n")
      .trim()
      .split(/\n\s*\n/)
      .map((p) => p.replace(/\s*\n\s*/g, " ").trim());
    const summary = paragraphs[0] ?? "";
    const rest = paragraphs.slice(1);
    const isSection = m[2] !== undefined || /^Section (for|defining)/.test(summary);
    entries.push({
      path: String(m[1]),
      section: isSection,
      default: isSection || m[3] === undefined || m[3].trim() === "" ? undefined : m[3].trim(),
      summary,
      doc: (rest.length ? rest : [summary]).join("\n\n"),
    });
  }
  return entries;
}

export function generate(optText: string): string {
  const all = readOpt(optText);
  const entries = all.filter((e) => e.path !== "include");
  const sections: Record<string, { path: string; summary: string; doc: string; values: Record<string, unknown> }> = {};
  const containers: Record<string, { summary: string; doc: string }> = {};
  for (const inc of all.filter((e) => e.path === "include")) containers[`include ${inc.default}`] = { summary: inc.summary, doc: inc.doc };
  for (const e of entries.filter((x) => x.section)) {
    const kind = SECTIONS[e.path];
    if (kind === undefined) {
      if (e.path.includes(".") && !["connections.<conn>.children"].includes(e.path)) {
        // cert<suffix>/cacert<suffix> are documented with "=" yet are sections; those are mapped above.
        throw new Error(`swanctl.opt section ${e.path} has no section kind in SECTIONS`);
      }
      containers[e.path] = { summary: e.summary, doc: e.doc };
      continue;
    }
    if (sections[kind]) continue;
    sections[kind] = { path: e.path, summary: e.summary, doc: e.doc, values: {} };
  }
  // The XAuth secret section shares the EAP section's keys (swanctl.opt documents them once, under eap).
  const sharedWith: Record<string, string> = { secret_xauth: "secret_eap" };
  for (const e of entries.filter((x) => !x.section)) {
    const parent = e.path.slice(0, e.path.lastIndexOf("."));
    const key = e.path.slice(e.path.lastIndexOf(".") + 1);
    const kind = SECTIONS[parent];
    if (kind === undefined) throw new Error(`swanctl.opt key ${e.path} is in no known section`);
    const kinds = [
      kind,
      ...Object.entries(sharedWith)
        .filter(([, from]) => from === kind)
        .map(([to]) => to),
    ];
    for (const k of kinds) {
      const type = TYPES[k]?.[key];
      if (type === undefined) throw new Error(`swanctl.opt key ${e.path} has no type in TYPES.${k}`);
      sections[k].values[key] = { type, ...(e.default !== undefined ? { default: e.default } : {}), summary: e.summary, doc: e.doc };
    }
  }
  for (const [kind, types] of Object.entries(TYPES)) {
    for (const key of Object.keys(types)) {
      if (!sections[kind]?.values[key]) throw new Error(`TYPES.${kind}.${key} is not in swanctl.opt`);
    }
  }
  const out = [
    "// Generated by tools/swanctl-gen-model.ts from strongSwan 5.9.8's swanctl.opt. Do not edit; re-run the script.",
    "/* eslint-disable */",
    "",
    `export const SWANCTL_CONTAINERS = ${JSON.stringify(containers, null, 2)} as const;`,
    "",
    `export const SWANCTL_SECTIONS = ${JSON.stringify(sections, null, 2)} as const;`,
    "",
  ];
  return out.join("\n");
}

if (require.main === module) {
  const opt = process.argv.slice(2).find((a) => !a.startsWith("--")) ?? OPT_FILE;
  writeOrCheck(OUT_FILE, generate(fs.readFileSync(opt, "utf8")), "npx ts-node tools/swanctl-gen-model.ts");
}
