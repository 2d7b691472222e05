import { ConfiguredAddress } from "../host/interface-addresses";
import { WgConf } from "../host/wg-conf";
import { Ruleset } from "../nft/ruleset";
import { SwanctlConfig } from "../swanctl/config";
import { Finding, note } from "./finding";
import { readGatewayFiles, report } from "./gateway-files";
import { CommandLoad, filesOf, HostFileView, isRemoteCommand } from "./host-files";
import { outsideCommands } from "./outside-commands";
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
  /** What is unknown at preview: advisory notes. */
  readonly notes: Finding[];
  /** What the commands do that cannot be read: gateway-commands-readable's findings (fail closed). */
  readonly unreadable: Finding[];
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
  const unreadableFindings: Finding[] = [];
  const loadsOf = new Map<GatewayView, CommandLoad[]>();
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
    report(read.issues, unreadableFindings);
    loadsOf.set(gw, [...(loadsOf.get(gw) ?? []), ...read.loads]);
  }
  const gateways = [...gatewaysByGroup.values()];
  for (const gw of gateways) readGatewayFiles(gw, loadsOf.get(gw) ?? [], unreadableFindings);
  unreadableFindings.push(...outsideCommands(subjects));

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
        ? gateways.find(
            (g) => g.addresses.some((a) => a.address === known) || g.swanctl.some((s) => s.config.connections.some((c) => c.localAddrs?.includes(known))),
          )
        : undefined) ??
      (gateways.length === 1 ? gateways[0] : undefined);
    if (gw) gw.floatingIps.push(view);
    else unplaced.push(view);
  }
  return { subjects, gateways, unplaced, notes, unreadable: unreadableFindings, secretsVisible };
}

/** The host's floating IP addresses: Hetzner's when known, else the /32s its network configuration adds. */
export function floatingAddresses(gw: GatewayView): { addresses: string[]; source: "hcloud" | "interface" | "none" } {
  const known = gw.floatingIps.flatMap((f) => (f.address.kind === "known" ? [f.address.value] : []));
  if (known.length) return { addresses: known, source: "hcloud" };
  const configured = gw.addresses.filter((a) => a.prefix === undefined || a.prefix === 32).map((a) => a.address);
  if (configured.length) return { addresses: [...new Set(configured)], source: "interface" };
  return { addresses: [], source: "none" };
}
