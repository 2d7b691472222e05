import * as fs from "fs";
import * as path from "path";
import { isIP, isIPv4 } from "../../model/net";
import { Gateway, RoadWarrior, Site, checkGateway, formatProblem, zodProblems, type GatewayModel } from "../../model/gateway";
import { gatewaySwanctlTree, poolName } from "../gateway-swanctl";
import { readDocument, isDocSection, type SwanctlDocument } from "./document";
import { sectionsOf, valueDifferences, type ValueDifference } from "./compare";
import { mergeDocuments } from "./merge";
import type { ModelValue } from "./types";
import { showValue } from "../../util/show-value";
import { NAME_RE, PROPOSAL_RE } from "../../model/names";

/**
 * `stage2 import`: a hand-written swanctl.conf → the gateway model's road warriors and sites, secrets moved to
 * secret config keys, and everything the model cannot say in `extraSwanctl` (raw swanctl laid over the rendered
 * file). The overlay is computed, not guessed: the mapped gateway is rendered and every value that comes out
 * different from the original (counting strongSwan's defaults) is put back through `extraSwanctl`. What stage2
 * changes on purpose (IKE bound to the floating IP, files and pools named after the connection, ...) is reported.
 */

export type NoteKind = "model" | "extra" | "changed" | "secret" | "not-imported";

export interface ImportNote {
  readonly kind: NoteKind;
  /** Where in the original swanctl.conf. */
  readonly where: string;
  readonly message: string;
}

export interface ImportedSecret {
  /** Secret config key, without the `stage2:` prefix. */
  readonly ref: string;
  readonly what: string;
  /** The value from the file: for tests and `--secrets-to`; never printed in the YAML. */
  readonly value: string;
}

export interface ImportResult {
  /** The `ipsec` part of a gateway: roadWarriors, sites and, when needed, extraSwanctl. */
  readonly ipsec: { roadWarriors: Record<string, unknown>[]; sites: Record<string, unknown>[]; extraSwanctl?: SwanctlDocument };
  /** The address IKE was bound to (local_addrs), to use as the floating IP. */
  readonly floatingIp?: string;
  readonly secrets: ImportedSecret[];
  readonly notes: ImportNote[];
  /** Original connection/child/pool names → the names stage2 renders. */
  readonly renames: Readonly<Record<string, string>>;
}

export interface ImportOptions {
  /** The directory of the swanctl.conf: x509/, x509ca/ and private/ are read from there. */
  readonly dir: string;
  /** Pool for a road warrior that has none (stage2 always gives one). Default 10.3.0.0/24. */
  readonly defaultPool?: string;
}

export const PLACEHOLDER_CERT = "-----BEGIN CERTIFICATE-----\nREPLACE+WITH+THE+CERTIFICATE\n-----END CERTIFICATE-----\n";

const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : v === undefined ? [] : [String(v)]);
const str = (v: unknown): string | undefined => (v === undefined ? undefined : String(v));
const slug = (s: string): string =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 40) || "x";
const isNetwork = (t: string): boolean => {
  const [addr, len] = t.split("/");
  return isIP(addr) && (len === undefined || /^\d{1,3}$/.test(len));
};

class Importer {
  readonly notes: ImportNote[] = [];
  readonly secrets: ImportedSecret[] = [];
  readonly renames: Record<string, string> = {};
  readonly usedSecrets = new Set<string>();
  readonly usedPools = new Set<string>();
  floatingIp?: string;

  constructor(
    readonly doc: SwanctlDocument,
    readonly opts: ImportOptions,
  ) {}

  /** Undoes what a connection that turned out unmappable recorded on the way. */
  checkpoint(): () => void {
    const notes = this.notes.length;
    const secrets = this.secrets.length;
    const renames = { ...this.renames };
    const usedSecrets = new Set(this.usedSecrets);
    const usedPools = new Set(this.usedPools);
    return () => {
      this.notes.length = notes;
      this.secrets.length = secrets;
      for (const k of Object.keys(this.renames)) if (!(k in renames)) delete this.renames[k];
      this.usedSecrets.clear();
      usedSecrets.forEach((x) => this.usedSecrets.add(x));
      this.usedPools.clear();
      usedPools.forEach((x) => this.usedPools.add(x));
    };
  }

  note(kind: NoteKind, where: string, message: string): void {
    this.notes.push({ kind, where, message });
  }

  secret(ref: string, what: string, value: string, where: string): string {
    if (!this.secrets.some((s) => s.ref === ref)) {
      this.secrets.push({ ref, what, value });
      this.note("secret", where, `moved to the secret config key stage2:${ref} (${what})`);
    }
    return ref;
  }

  /** A PEM file next to the swanctl.conf, or a placeholder and a note. */
  pem(sub: string, file: string | undefined, where: string, what: string): string {
    const candidates = file ? [path.join(this.opts.dir, sub, file), path.join(this.opts.dir, file)] : this.listDir(sub);
    for (const candidate of candidates) {
      if (fs.existsSync(candidate)) {
        const text = fs.readFileSync(candidate, "utf8");
        if (/^-----BEGIN [A-Z0-9 ]+-----\n[A-Za-z0-9+/=\n]+-----END [A-Z0-9 ]+-----\n?$/.test(text)) return text;
        this.note("changed", where, `${candidate} is not one PEM block (DER?); convert it to PEM and put it into the stack config`);
        return PLACEHOLDER_CERT;
      }
    }
    this.note("changed", where, `${what} ${file ? `${sub}/${file}` : `in ${sub}/`} not found beside the swanctl.conf: replace the placeholder with its PEM`);
    return PLACEHOLDER_CERT;
  }

  listDir(sub: string): string[] {
    const dir = path.join(this.opts.dir, sub);
    return fs.existsSync(dir)
      ? fs
          .readdirSync(dir)
          .sort()
          .map((f) => path.join(dir, f))
      : [];
  }

  /** IKE/EAP secrets of the file, by section name. */
  secretSections(prefix: string): [string, SwanctlDocument][] {
    return sectionsOf(this.doc.secrets).filter(([name]) => name.startsWith(prefix));
  }

  idsOf(sec: SwanctlDocument): string[] {
    return Object.entries(sec)
      .filter(([k]) => k.startsWith("id"))
      .map(([, v]) => String(v));
  }

  /** The PSK for a pair of identities: a secret naming one of them, else the only secret without ids. */
  psk(ids: (string | undefined)[], where: string): { name: string; value: string } | undefined {
    const wanted = ids.filter((x): x is string => x !== undefined && x !== "%any");
    const all = this.secretSections("ike");
    const hit =
      all.find(([, s]) => this.idsOf(s).some((id) => wanted.includes(id))) ??
      (all.filter(([, s]) => this.idsOf(s).length === 0).length === 1 ? all.find(([, s]) => this.idsOf(s).length === 0) : undefined);
    if (!hit || hit[1].secret === undefined) {
      this.note("not-imported", where, `no secrets.ike* section holds the pre-shared key for ${wanted.join(" / ") || "this connection"}`);
      return undefined;
    }
    this.usedSecrets.add(hit[0]);
    return { name: hit[0], value: String(hit[1].secret) };
  }
}

/** Why a connection cannot become a road warrior or site, or undefined. */
function unmappable(name: string, conn: SwanctlDocument): string | undefined {
  if (!NAME_RE.test(name)) return `the name must be lower-case letters, digits and '-' (stage2 names files and pools after it)`;
  const rounds = Object.keys(conn).filter((k) => isDocSection(conn[k]) && /^(local|remote)/.test(k));
  if (rounds.join(",") !== "local,remote" && rounds.join(",") !== "remote,local") {
    return `it has the authentication rounds ${rounds.join(", ") || "(none)"}; the gateway model has exactly one local and one remote round`;
  }
  if (conn.version !== undefined && conn.version !== 2 && conn.version !== 0) return "it uses IKEv1; stage2 speaks IKEv2 only";
  if (sectionsOf(conn.children).length === 0) return "it has no children (CHILD_SAs)";
  const proposals = [...list(conn.proposals), ...sectionsOf(conn.children).flatMap(([, c]) => list(c.esp_proposals))];
  const bad = proposals.find((p) => !PROPOSAL_RE.test(p));
  if (bad) return `the proposal ${bad} does not fit the gateway model's proposal syntax`;
  const [, child] = sectionsOf(conn.children)[0];
  if (child.ah_proposals !== undefined) return "its CHILD_SA uses AH";
  return undefined;
}

function mapConnection(im: Importer, name: string, conn: SwanctlDocument): { kind: "rw" | "site"; entry: Record<string, unknown> } | string {
  const why = unmappable(name, conn);
  if (why) return why;
  const where = `connections.${name}`;
  const local = conn.local as SwanctlDocument;
  const remote = conn.remote as SwanctlDocument;
  const [childName, child] = sectionsOf(conn.children)[0];
  const localAddrs = list(conn.local_addrs);
  const bind = localAddrs.length === 1 && isIP(localAddrs[0]) ? localAddrs[0] : undefined;
  if (bind && !isIPv4(bind)) return `it binds IKE to the IPv6 address ${bind}; the gateway's floating IP is IPv4`;
  if (bind && im.floatingIp !== undefined && im.floatingIp !== bind) {
    return `it binds IKE to ${bind}, another connection to ${im.floatingIp}: a gateway has one floating IP`;
  }
  const remoteAddrs = list(conn.remote_addrs).filter((a) => a !== "%any");
  const pools = list(conn.pools);
  const isRoadWarrior = pools.length > 0 || remoteAddrs.length === 0;
  const proposals = {
    ike: conn.proposals !== undefined ? list(conn.proposals) : ["default"],
    esp: child.esp_proposals !== undefined ? list(child.esp_proposals) : ["default"],
  };
  const dpdDelay = str(conn.dpd_delay) ?? "0s";
  const localTs = list(child.local_ts);
  if (localTs.length === 0 || !localTs.every(isNetwork))
    return `its CHILD_SA ${childName} has local_ts ${localTs.join(",") || "dynamic"}; the gateway model needs subnets`;
  const localAuth = str(local.auth) ?? "pubkey";
  const remoteAuth = str(remote.auth) ?? "pubkey";
  const localId = str(local.id);
  const remoteId = str(remote.id);
  const keyRef = `${name}-key`;
  const pubkeyLocal = () => {
    const cert = im.pem("x509", list(local.certs)[0], `${where}.local.certs`, "the gateway certificate");
    const key = im.listDir("private").concat(im.listDir("rsa"), im.listDir("ecdsa"), im.listDir("pkcs8"))[0];
    const value = key ? fs.readFileSync(key, "utf8") : "";
    if (!key)
      im.note(
        "changed",
        `${where}.local`,
        `no private key beside the swanctl.conf: set stage2:${keyRef} to the key of ${list(local.certs)[0] ?? "the certificate"}`,
      );
    im.secret(keyRef, `${name}: gateway certificate key`, value, `${where}.local`);
    return { cert, keySecret: keyRef };
  };

  if (isRoadWarrior) {
    if (pools.length > 1) return `it hands out addresses from ${pools.length} pools; the gateway model has one per road warrior`;
    let pool = im.opts.defaultPool ?? "10.3.0.0/24";
    let dns: string[] = [];
    if (pools.length === 1) {
      const p = isDocSection(im.doc.pools) ? (im.doc.pools[pools[0]] as SwanctlDocument | undefined) : undefined;
      if (!p || p.addrs === undefined) return `its pool ${pools[0]} is not defined in this file (a plugin pool such as dhcp?)`;
      if (!String(p.addrs).includes("/")) return `its pool ${pools[0]} is a range (${p.addrs}); the gateway model takes a subnet`;
      pool = String(p.addrs);
      dns = list(p.dns);
      im.usedPools.add(pools[0]);
      im.renames[`pools.${pools[0]}`] = `pools.${name}-pool`;
    } else {
      im.note("changed", where, `had no pool; stage2 gives every road warrior one: ${pool} (a client only gets an address when it asks for one)`);
    }
    let localModel: Record<string, unknown>;
    if (localAuth === "pubkey") localModel = { kind: "pubkey", ...pubkeyLocal(), ...(localId ? { id: localId } : {}) };
    else if (localAuth === "psk") localModel = { kind: "psk", ...(localId ? { id: localId } : {}) };
    else return `the gateway authenticates with ${localAuth}; the model offers pubkey or psk`;
    let clients: Record<string, unknown>;
    if (remoteAuth === "eap-mschapv2") {
      const users = im.secretSections("eap").map(([secName, s]) => {
        im.usedSecrets.add(secName);
        const id = str(s.id) ?? im.idsOf(s)[0] ?? secName;
        return { id, passwordSecret: im.secret(`eap-${name}-${slug(id)}`, `${name}: EAP password of ${id}`, String(s.secret ?? ""), `secrets.${secName}`) };
      });
      if (users.length === 0) return "it expects EAP-MSCHAPv2 but the file holds no secrets.eap* users";
      clients = { kind: "eap-mschapv2", users };
      if (remote.eap_id !== undefined && remote.eap_id !== "%any")
        return `it only accepts the EAP identity ${remote.eap_id}; the model accepts every configured user`;
    } else if (remoteAuth === "psk") {
      if (!remoteId || remoteId === "%any") return "its PSK clients have no identity (the model needs the identities that share the key)";
      const found = im.psk([remoteId, localId], `${where}.remote`);
      if (!found) return "its pre-shared key is not in this file";
      clients = { kind: "psk", ids: [remoteId], secret: im.secret(`psk-${name}`, `${name}: pre-shared key`, found.value, `secrets.${found.name}`) };
    } else if (remoteAuth === "pubkey") {
      const caFile = list(remote.cacerts)[0];
      const authority = sectionsOf(im.doc.authorities)[0];
      const ca = caFile
        ? im.pem("x509ca", caFile, `${where}.remote.cacerts`, "the client CA")
        : authority && authority[1].cacert
          ? im.pem("x509ca", String(authority[1].cacert), `authorities.${authority[0]}`, "the client CA")
          : im.pem("x509ca", undefined, `${where}.remote`, "the client CA");
      clients = { kind: "pubkey", ca, ...(remoteId && remoteId !== "%any" ? { id: remoteId } : {}) };
      if (!caFile) im.note("changed", `${where}.remote`, "accepted any trusted CA; stage2 pins the client CA (cacerts)");
    } else {
      return `its clients authenticate with ${remoteAuth}; the model offers eap-mschapv2, psk or pubkey`;
    }
    im.renames[`connections.${name}.children.${childName}`] = `connections.${name}.children.${name}`;
    if (bind) im.floatingIp = bind;
    return {
      kind: "rw",
      entry: { name, pool, ...(dns.length ? { dns } : {}), localTs, local: localModel, clients, dpdDelay, proposals },
    };
  }

  if (!remoteAddrs.every((a) => isIP(a))) return `its remote_addrs ${remoteAddrs.join(",")} are not all IP addresses`;
  const remoteTs = list(child.remote_ts);
  if (remoteTs.length === 0 || !remoteTs.every(isNetwork))
    return `its CHILD_SA ${childName} has remote_ts ${remoteTs.join(",") || "dynamic"}; a site needs subnets`;
  let auth: Record<string, unknown>;
  if (localAuth === "psk" && remoteAuth === "psk") {
    const found = im.psk([localId, remoteId], where);
    if (!found) return "its pre-shared key is not in this file";
    auth = {
      kind: "psk",
      secret: im.secret(`psk-${name}`, `${name}: pre-shared key`, found.value, `secrets.${found.name}`),
      ...(localId ? { localId } : {}),
      ...(remoteId ? { remoteId } : {}),
    };
  } else if (localAuth === "pubkey" && remoteAuth === "pubkey") {
    if (!remoteId || remoteId === "%any") return "its peer has no identity (remote.id); the model pins the peer";
    const caFile = list(remote.cacerts)[0];
    auth = { kind: "pubkey", ...pubkeyLocal(), peerCa: im.pem("x509ca", caFile, `${where}.remote`, "the peer's CA"), remoteId };
  } else {
    return `it authenticates ${localAuth}/${remoteAuth}; a site uses psk/psk or pubkey/pubkey`;
  }
  const startRaw = str(child.start_action) ?? "none";
  const startAction = ({ route: "trap", clear: "none", restart: "start" } as Record<string, string>)[startRaw] ?? startRaw;
  if (!["trap", "none", "start"].includes(startAction)) return `its start_action ${startRaw} is not trap, none or start`;
  im.renames[`connections.${name}.children.${childName}`] = `connections.${name}.children.${name}`;
  if (bind) im.floatingIp = bind;
  return {
    kind: "site",
    entry: { name, remoteAddrs, localTs, remoteTs, auth, startAction, dpdDelay, proposals },
  };
}

// What stage2 decides on purpose; the overlay does not undo these.
const DELIBERATE: Record<string, string> = {
  local_addrs: "IKE is bound to the floating IP",
  pools: "the pool is named after the connection",
  certs: "certificate files are named after the connection",
  cacerts: "the peer's CA is pinned in a file named after the connection",
};

/** A gateway around imported IPsec, only to render it (addresses from the documentation ranges). */
function stubGateway(ipsec: ImportResult["ipsec"], floatingIp: string): { gw?: GatewayModel; problems: string[] } {
  const parsed = Gateway.safeParse({
    name: "imported",
    server: { id: 1, ipv4: "192.0.2.1", hostKey: "ssh-ed25519 AAAA" },
    floatingIp: { location: "fsn1", address: floatingIp },
    private: { address: "172.31.255.2/30", networks: ["172.31.255.0/30"] },
    wireguard: { address: "172.31.254.1/30" },
    ipsec: { roadWarriors: ipsec.roadWarriors, sites: ipsec.sites },
  });
  if (!parsed.success) return { problems: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`) };
  return {
    gw: parsed.data,
    problems: checkGateway(parsed.data)
      .filter((p) => p.path.startsWith("ipsec."))
      .map(formatProblem),
  };
}

/** The overlay that makes the rendered connection say what the original said, and the differences stage2 keeps. */
function overlayFor(original: SwanctlDocument, rendered: SwanctlDocument, name: string, childName: string, im: Importer): SwanctlDocument {
  const overlay: SwanctlDocument = {};
  const at = ["connections", name];
  const apply = (diffs: ValueDifference[], into: SwanctlDocument, where: string) => {
    for (const d of diffs) {
      if (d.first !== undefined) {
        into[d.key] = d.first;
        im.note(
          "extra",
          `${where}.${d.key}`,
          `${d.firstDefaulted ? "strongSwan's default" : "value"} ${showValue(d.first)} kept through extraSwanctl (stage2 would render ${d.second === undefined ? "nothing" : showValue(d.second)})`,
        );
      } else {
        im.note(
          "changed",
          `${where}.${d.key}`,
          `stage2 sets ${d.key} = ${showValue(d.second)} (not set in the original, and swanctl has no default to restore)`,
        );
      }
    }
  };
  const conn = original;
  const rconn = (rendered.connections as SwanctlDocument)[name] as SwanctlDocument;
  apply(valueDifferences(conn, rconn, at, ["local_addrs", "pools"]), overlay, `connections.${name}`);
  for (const round of ["local", "remote"]) {
    const o: SwanctlDocument = {};
    apply(
      valueDifferences(conn[round] as SwanctlDocument, (rconn[round] as SwanctlDocument) ?? {}, [...at, round], ["certs", "cacerts"]),
      o,
      `connections.${name}.${round}`,
    );
    for (const [sub, sec] of sectionsOf(conn[round])) {
      o[sub] = sec;
      im.note("extra", `connections.${name}.${round}.${sub}`, "section kept through extraSwanctl");
    }
    if (Object.keys(o).length) overlay[round] = o;
  }
  const children: SwanctlDocument = {};
  for (const [cname, child] of sectionsOf(conn.children)) {
    if (cname === childName) {
      const o: SwanctlDocument = {};
      const rchild = ((rconn.children as SwanctlDocument)[name] as SwanctlDocument) ?? {};
      apply(valueDifferences(child, rchild, [...at, "children", name]), o, `connections.${name}.children.${cname}`);
      if (Object.keys(o).length) children[name] = o;
    } else {
      children[cname] = child;
      im.note("extra", `connections.${name}.children.${cname}`, "further CHILD_SA kept through extraSwanctl");
    }
  }
  if (Object.keys(children).length) overlay.children = children;
  for (const [key, why] of Object.entries(DELIBERATE)) {
    const before = conn[key] ?? (conn.local as SwanctlDocument)?.[key] ?? (conn.remote as SwanctlDocument)?.[key];
    const after = rconn[key] ?? (rconn.local as SwanctlDocument)?.[key] ?? (rconn.remote as SwanctlDocument)?.[key];
    if (before === undefined && after === undefined) continue;
    if (JSON.stringify(before) !== JSON.stringify(after))
      im.note("changed", `connections.${name}.${key}`, `${why}: ${showValue(before ?? "(default)")} → ${showValue(after)}`);
  }
  return overlay;
}

/** Imports a swanctl.conf document (from `readSwanctl`). */
export function importSwanctl(doc: SwanctlDocument, opts: ImportOptions): ImportResult {
  const im = new Importer(doc, opts);
  const roadWarriors: Record<string, unknown>[] = [];
  const sites: Record<string, unknown>[] = [];
  const extra: SwanctlDocument = {};
  const extraConns: SwanctlDocument = {};
  const mapped: { name: string; childName: string }[] = [];
  for (const [name, conn] of sectionsOf(doc.connections)) {
    const rollback = im.checkpoint();
    let res = mapConnection(im, name, conn);
    if (typeof res !== "string") {
      // The entry must be one the gateway model takes as it is.
      const parsed = (res.kind === "rw" ? RoadWarrior : Site).safeParse(res.entry);
      if (!parsed.success) res = `the gateway model refuses it: ${zodProblems(parsed.error, res.entry).map(formatProblem).join("; ")}`;
    }
    if (typeof res === "string") {
      rollback();
      extraConns[name] = conn;
      im.note("extra", `connections.${name}`, `kept as raw swanctl in extraSwanctl: ${res}`);
      for (const p of list(conn.pools)) {
        const pool = isDocSection(doc.pools) ? doc.pools[p] : undefined;
        if (isDocSection(pool) && !im.usedPools.has(p)) {
          im.usedPools.add(p);
          extra.pools = { ...((extra.pools as SwanctlDocument) ?? {}), [p]: pool };
          im.note("extra", `pools.${p}`, `kept through extraSwanctl with connection ${name}`);
        }
      }
      continue;
    }
    (res.kind === "rw" ? roadWarriors : sites).push(res.entry);
    im.note(
      "model",
      `connections.${name}`,
      `→ ipsec.${res.kind === "rw" ? "roadWarriors" : "sites"}[${(res.kind === "rw" ? roadWarriors : sites).length - 1}]`,
    );
    mapped.push({ name, childName: sectionsOf(conn.children)[0][0] });
  }
  const ipsec: ImportResult["ipsec"] = { roadWarriors, sites };
  if (mapped.length) {
    const stub = stubGateway(ipsec, im.floatingIp ?? "198.51.100.1");
    if (!stub.gw) throw new Error(`the imported road warriors and sites do not fit the gateway model: ${stub.problems.join("; ")}`);
    stub.problems.forEach((p) => im.note("changed", "ipsec", `the gateway model's checks report: ${p}`));
    const rendered = readDocument(gatewaySwanctlTree(stub.gw, { floatingIp: im.floatingIp ?? "198.51.100.1" })).document;
    for (const { name, childName } of mapped) {
      const o = overlayFor(sectionsOf(doc.connections).find(([n]) => n === name)?.[1] as SwanctlDocument, rendered, name, childName, im);
      if (Object.keys(o).length) extraConns[name] = o;
    }
    for (const rw of stub.gw.ipsec.roadWarriors) {
      const orig = Object.entries(im.renames)
        .find(([, to]) => to === `pools.${poolName(rw)}`)?.[0]
        ?.slice("pools.".length);
      if (!orig) continue;
      const o: SwanctlDocument = {};
      const origPool = (doc.pools as SwanctlDocument)[orig] as SwanctlDocument;
      const rPool = ((rendered.pools as SwanctlDocument)[poolName(rw)] as SwanctlDocument) ?? {};
      for (const d of valueDifferences(origPool, rPool, ["pools", poolName(rw)])) {
        if (d.first === undefined) continue;
        o[d.key] = d.first;
        im.note("extra", `pools.${orig}.${d.key}`, `kept through extraSwanctl`);
      }
      if (Object.keys(o).length) extra.pools = { ...((extra.pools as SwanctlDocument) ?? {}), [poolName(rw)]: o };
    }
  }
  if (Object.keys(extraConns).length) extra.connections = extraConns;
  for (const [name, pool] of sectionsOf(doc.pools)) {
    if (im.usedPools.has(name)) continue;
    extra.pools = { ...((extra.pools as SwanctlDocument) ?? {}), [name]: pool };
    im.note("extra", `pools.${name}`, "pool no imported connection uses, kept through extraSwanctl");
  }
  if (sectionsOf(doc.authorities).length) {
    extra.authorities = doc.authorities as SwanctlDocument;
    im.note("extra", "authorities", "kept through extraSwanctl (certificate files must be provided on the host)");
  }
  for (const [name] of sectionsOf(doc.secrets)) {
    if (!im.usedSecrets.has(name))
      im.note(
        "not-imported",
        `secrets.${name}`,
        "no imported connection uses this secret; stage2 keeps secrets out of plain configuration, so add it by hand if a raw connection needs it",
      );
  }
  for (const key of Object.keys(doc)) {
    if (!["connections", "secrets", "pools", "authorities"].includes(key)) im.note("not-imported", key, "not a swanctl.conf section");
  }
  if (Object.keys(extra).length) ipsec.extraSwanctl = extra;
  return { ipsec, floatingIp: im.floatingIp, secrets: im.secrets, notes: im.notes, renames: im.renames };
}

/** Original document with stage2's renames applied (children, pools): what the rendered file should say. */
export function applyRenames(doc: SwanctlDocument, renames: Readonly<Record<string, string>>): SwanctlDocument {
  let out: SwanctlDocument = JSON.parse(JSON.stringify(doc)) as SwanctlDocument;
  for (const [from, to] of Object.entries(renames)) {
    const a = from.split(".");
    const b = to.split(".");
    const parentA = a.slice(0, -1).reduce<SwanctlDocument | undefined>((d, k) => (d && isDocSection(d[k]) ? (d[k] as SwanctlDocument) : undefined), out);
    if (!parentA || !(a[a.length - 1] in parentA)) continue;
    const value = parentA[a[a.length - 1]];
    delete parentA[a[a.length - 1]];
    const patch: SwanctlDocument = {};
    let cur = patch;
    b.slice(0, -1).forEach((k) => {
      cur[k] = {};
      cur = cur[k] as SwanctlDocument;
    });
    cur[b[b.length - 1]] = value;
    out = mergeDocuments(out, patch);
  }
  for (const [, conn] of sectionsOf(out.connections)) {
    const pools = list(conn.pools);
    conn.pools = pools.map((p) => (renames[`pools.${p}`] ?? `pools.${p}`).slice("pools.".length)) as ModelValue;
    if (!pools.length) delete conn.pools;
  }
  return out;
}
