import { ConfiguredAddress, configuredAddresses, isNetworkConfigPath } from "../host/interface-addresses";
import { parseWgConf, WgConf } from "../host/wg-conf";
import { parseRuleset, Ruleset } from "../nft/ruleset";
import { parseSwanctl, SwanctlConfig } from "../swanctl/config";
import { Finding, note } from "./finding";
import { filesOf, HostFileView, isRemoteCommand } from "./host-files";
import { Subject, TYPES } from "./subject";
import { Read, readString } from "./values";

/** A floating IP with its assignments, as far as the stack shows them. */
export interface FloatingIpView {
  readonly subject: Subject;
  /** The address: known when Hetzner already gave it (adopted IP or a preview stand-in), else unknown. */
  readonly address: Read<string>;
  readonly assignments: Subject[];
}

/** Everything one gateway host receives, correlated across resources. */
export interface GatewayView {
  readonly label: string;
  /** The SSH target of its remote commands (the server's primary address), when known. */
  readonly host?: string;
  readonly commands: Subject[];
  readonly files: HostFileView[];
  readonly swanctl: { readonly file: HostFileView; readonly config: SwanctlConfig }[];
  readonly rulesets: { readonly file: HostFileView; readonly ruleset: Ruleset }[];
  readonly wireguard: { readonly file: HostFileView; readonly conf: WgConf }[];
  /** Addresses configured on interfaces by network configuration files. */
  readonly addresses: (ConfiguredAddress & { readonly file: HostFileView })[];
  readonly floatingIps: FloatingIpView[];
}

export interface StackView {
  readonly subjects: readonly Subject[];
  readonly gateways: GatewayView[];
  /** Floating IPs no gateway could be matched to. */
  readonly unplaced: FloatingIpView[];
  /** What could not be read (unknown at preview, unparsable files). */
  readonly notes: Finding[];
  /** True when secret-ness of inputs is visible (the offline runner); the Pulumi engine unwraps secrets first. */
  readonly secretsVisible: boolean;
}

/** "type::name" of a URN: the same key whether or not a parent type chain is spelled in it. */
export function urnKey(urn: string): string {
  const parts = urn.split("::");
  const name = parts.slice(3).join("::");
  const types = (parts[2] ?? "").split("$");
  return `${types[types.length - 1]}::${name}`;
}

const SWANCTL_RE = /^\/etc\/swanctl\/(swanctl\.conf|conf\.d\/[^/]+\.conf)$/;
const NFT_RE = /^\/etc\/(nftables\.conf|nftables\.d\/[^/]+|nftables\/[^/]+\.nft)$/;
const WG_RE = /^\/etc\/wireguard\/[^/]+\.conf$/;

function globMatch(pattern: string, path: string): boolean {
  const re = pattern.replace(/[.+^${}()|\\]/g, "\\$&").replace(/\*/g, "[^/]*").replace(/\?/g, "[^/]");
  return new RegExp(`^${re}$`).test(path);
}

class UnionFind {
  private readonly up = new Map<string, string>();
  find(x: string): string {
    const p = this.up.get(x);
    if (p === undefined || p === x) return x;
    const root = this.find(p);
    this.up.set(x, root);
    return root;
  }
  union(a: string, b: string): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra !== rb) this.up.set(rb, ra);
  }
}

export function buildStackView(subjects: readonly Subject[], secretsVisible: boolean): StackView {
  const byKey = new Map(subjects.map((s) => [urnKey(s.urn), s]));
  const parentOf = (s: Subject): Subject | undefined => (s.parent ? byKey.get(urnKey(s.parent)) : undefined);
  const rootOf = (s: Subject): Subject | undefined => {
    let top: Subject | undefined;
    for (let p = parentOf(s), hops = 0; p && p.type !== "pulumi:pulumi:Stack" && hops < 64; p = parentOf(p), hops++) top = p;
    return top;
  };
  const notes: Finding[] = [];
  const groups = new UnionFind();
  const keyOf = new Map<Subject, string>();
  const hostOf = new Map<Subject, string>();
  for (const s of subjects.filter(isRemoteCommand)) {
    const host = readString(s.props, "connection.host");
    const root = rootOf(s);
    const rootKey = root ? `root:${urnKey(root.urn)}` : undefined;
    if (host.kind === "known") hostOf.set(s, host.value);
    else if (host.kind === "unknown") notes.push(note(s, `connection.host is unknown at preview; the resource is judged on its own`));
    const key = host.kind === "known" ? `host:${host.value}` : (rootKey ?? `urn:${s.urn}`);
    keyOf.set(s, key);
    // One Stage2Gateway is one host, even where some of its commands do not know the address yet.
    if (rootKey && root?.type === TYPES.gateway) groups.union(key, rootKey);
  }

  const gatewaysByGroup = new Map<string, GatewayView>();
  for (const [s, key] of keyOf) {
    const group = groups.find(key);
    let gw = gatewaysByGroup.get(group);
    if (!gw) {
      const root = rootOf(s);
      const host = hostOf.get(s);
      gw = {
        label: root?.type === TYPES.gateway ? root.name : (host ?? s.name),
        host,
        commands: [],
        files: [],
        swanctl: [],
        rulesets: [],
        wireguard: [],
        addresses: [],
        floatingIps: [],
      };
      gatewaysByGroup.set(group, gw);
    }
    gw.commands.push(s);
    const read = filesOf(s);
    gw.files.push(...read.files);
    notes.push(...read.notes);
  }
  const gateways = [...gatewaysByGroup.values()];
  for (const gw of gateways) readFiles(gw, notes);

  // Floating IPs: matched to a gateway by a shared component, by their address, or as the only gateway.
  const unplaced: FloatingIpView[] = [];
  const fips = subjects.filter((s) => s.type === TYPES.floatingIp);
  const assignments = subjects.filter((s) => s.type === TYPES.floatingIpAssignment);
  for (const fip of fips) {
    const key = urnKey(fip.urn);
    const root = rootOf(fip);
    const sameRoot = (a: Subject) => root !== undefined && rootOf(a) === root;
    const fipsUnderRoot = fips.filter((f) => rootOf(f) === root).length;
    const mine = assignments.filter(
      (a) => a.dependencies.some((d) => urnKey(d) === key) || (sameRoot(a) && fipsUnderRoot === 1) || (fips.length === 1 && !a.dependencies.length),
    );
    const ipAddress = readString(fip.props, "ipAddress");
    const view: FloatingIpView = {
      subject: fip,
      address: ipAddress.kind === "absent" ? { kind: "unknown" } : ipAddress,
      assignments: mine,
    };
    const known = view.address.kind === "known" ? view.address.value : undefined;
    const gw =
      (root && gateways.find((g) => g.commands.some((c) => rootOf(c) === root))) ??
      (known !== undefined
        ? gateways.find((g) => g.addresses.some((a) => a.address === known) || g.swanctl.some((s) => s.config.connections.some((c) => c.localAddrs?.includes(known))))
        : undefined) ??
      (gateways.length === 1 ? gateways[0] : undefined);
    if (gw) gw.floatingIps.push(view);
    else unplaced.push(view);
  }
  return { subjects, gateways, unplaced, notes, secretsVisible };
}

function readFiles(gw: GatewayView, notes: Finding[]): void {
  const fail = (file: HostFileView, what: string, err: unknown) =>
    notes.push(note(file.subject, `${file.path} could not be read as ${what} (${(err as Error).message}); it is not checked`));
  const swanctlFiles = gw.files.filter((f) => SWANCTL_RE.test(f.path));
  for (const file of swanctlFiles) {
    try {
      gw.swanctl.push({ file, config: parseSwanctl(file.content, file.path) });
    } catch (err) {
      fail(file, "swanctl.conf", err);
    }
  }
  // An include whose files no resource of this host writes: those files exist only on the host.
  for (const { file, config } of gw.swanctl) {
    for (const pattern of config.includes) {
      const abs = pattern.startsWith("/") ? pattern : `${file.path.slice(0, file.path.lastIndexOf("/"))}/${pattern}`;
      if (!/[*?[]/.test(abs) && !swanctlFiles.some((f) => globMatch(abs, f.path))) {
        notes.push(note(file.subject, `${file.path} includes ${abs}, which no resource of this stack writes; it is not checked`));
      }
    }
  }
  for (const file of gw.files.filter((f) => NFT_RE.test(f.path))) {
    try {
      gw.rulesets.push({ file, ruleset: parseRuleset(file.content) });
    } catch (err) {
      fail(file, "an nftables ruleset", err);
    }
  }
  for (const file of gw.files.filter((f) => WG_RE.test(f.path))) gw.wireguard.push({ file, conf: parseWgConf(file.path, file.content) });
  for (const file of gw.files.filter((f) => isNetworkConfigPath(f.path))) {
    gw.addresses.push(...configuredAddresses(file.path, file.content).map((a) => ({ ...a, file })));
  }
}

/** The host's floating IP addresses: Hetzner's when known, else the /32s its network configuration adds. */
export function floatingAddresses(gw: GatewayView): { addresses: string[]; source: "hcloud" | "interface" | "none" } {
  const known = gw.floatingIps.flatMap((f) => (f.address.kind === "known" ? [f.address.value] : []));
  if (known.length) return { addresses: known, source: "hcloud" };
  const configured = gw.addresses.filter((a) => a.prefix === undefined || a.prefix === 32).map((a) => a.address);
  if (configured.length) return { addresses: [...new Set(configured)], source: "interface" };
  return { addresses: [], source: "none" };
}
