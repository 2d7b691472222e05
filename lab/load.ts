import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { shq } from "../components/host/apply-script";
import { GatewayModel } from "../components/model/gateway";
import { planGateway } from "../components/plan";
import { listSas } from "./checks";
import { ConvergeResult } from "./converge";
import { LabHost, sh } from "./host";
import { destroyLab } from "./netns";
import { defaultStateDir, Lab, PlanFn, sitePeerSpec } from "./lab";
import { LoadClient, renderLoadClientsSwanctl, renderLoadPeerSettings, renderLoadSitesSwanctl } from "./load-peers";
import { clientConn, clientId, LoadSite, loadSites, LoadSize, poolClients, withLoadSites, writeLoadStack } from "./load-stack";
import { startPeerCharon } from "./peer-hosts";

/**
 * Load on one live gateway of the namespace lab: hundreds of road warriors behind the lab's NAT, each its own IKE_SA,
 * identity and virtual IP, all dialled by one charon in the road-warrior host; and many sites, all dialled by one
 * charon in the site host from addresses of their own. The gateway is stage2's, converged over SSH as always.
 */

/** charon's SAs as the lab reads them (swanctl --list-sas). */
type IkeSa = Awaited<ReturnType<typeof listSas>>[number];

const LOAD_SETTINGS = "/etc/strongswan.d/zz-stage2-load.conf";
/** Concurrent `swanctl --initiate`s: each holds one of the peer charon's threads until its SA is up. */
const PARALLEL = 16;

export interface LoadLabOptions {
  readonly size: LoadSize;
  readonly prefix?: string;
  readonly progress?: (line: string) => void;
  /** What the gateway receives: planGateway unless a test injects another. */
  readonly plan?: PlanFn;
}

/** The gateway's SAs as the load counts them: by a key that survives a reload (a client's virtual IP, a site's name). */
export interface SaCensus {
  readonly clients: number;
  readonly sites: number;
  /** key → "spiIn/spiOut" of the installed CHILD_SA, seen from the gateway. */
  readonly spis: ReadonlyMap<string, string>;
}

export function census(sas: readonly IkeSa[], siteNames: ReadonlySet<string>): SaCensus {
  const spis = new Map<string, string>();
  let clients = 0;
  let sites = 0;
  for (const sa of sas) {
    const child = sa.children.find((c) => c.state === "INSTALLED");
    if (sa.state !== "ESTABLISHED" || !child) continue;
    const key = sa.remoteVips[0] ?? (siteNames.has(sa.name) ? sa.name : undefined);
    if (!key) continue;
    if (sa.remoteVips[0]) clients++;
    else sites++;
    spis.set(key, `${child.spiIn}/${child.spiOut}`);
  }
  return { clients, sites, spis };
}

/** What a change did to the SAs that were up before it. */
export interface SaKeep {
  readonly before: number;
  readonly after: number;
  /** Up before, gone or with new SPIs after (`except` not counted). */
  readonly lost: readonly string[];
  readonly kept: number;
}

export function compareCensus(before: SaCensus, after: SaCensus, except: readonly string[] = []): SaKeep {
  const lost: string[] = [];
  let kept = 0;
  for (const [key, spi] of before.spis) {
    if (except.includes(key)) continue;
    if (after.spis.get(key) === spi) kept++;
    else lost.push(key);
  }
  return { before: before.spis.size, after: after.spis.size, lost, kept };
}

export interface Initiated {
  readonly ms: number;
  readonly failed: readonly string[];
}

/** Initiates `children` from one charon, PARALLEL at a time; the ones swanctl reported failed. */
async function initiateAll(host: LabHost<string>, children: readonly string[], timeoutS = 60): Promise<Initiated> {
  const t0 = Date.now();
  const out = await sh(
    host,
    `printf '%s\\n' ${children.map(shq).join(" ")} | xargs -P ${PARALLEL} -n 1 bash --norc -c 'swanctl --initiate --child "$0" --timeout ${timeoutS} >/dev/null 2>&1 || echo "FAILED $0"'`,
    { timeoutMs: (children.length * timeoutS * 1000) / PARALLEL + 60_000 },
  );
  return { ms: Date.now() - t0, failed: [...out.matchAll(/^FAILED (\S+)$/gm)].map((m) => m[1]) };
}

/** Stops a lab peer's charon (by its pid file) and starts it again with `swanctl` and the load's settings. */
async function restartPeer(host: LabHost<string>, swanctl: string): Promise<void> {
  await sh(
    host,
    'pid=$(cat /run/charon.pid 2>/dev/null) || exit 0; kill -TERM "$pid"; for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done',
  );
  await startPeerCharon(host, swanctl, [{ path: LOAD_SETTINGS, content: renderLoadPeerSettings() }]);
}

/** Pings `to` from every source address inside `host`, 32 at a time, one retry; the sources that got no reply. */
async function unreachable(host: LabHost<string>, sources: readonly string[], to: string): Promise<string[]> {
  if (sources.length === 0) return [];
  const out = await sh(
    host,
    `printf '%s\\n' ${sources.join(" ")} | xargs -P 32 -n 1 bash --norc -c 'ping -n -q -c 1 -W 3 -I "$0" ${to} >/dev/null || ping -n -q -c 1 -W 3 -I "$0" ${to} >/dev/null || echo "LOST $0"'`,
    { timeoutMs: sources.length * 500 + 60_000 },
  );
  return [...out.matchAll(/^LOST (\S+)$/gm)].map((m) => m[1]);
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The least time between two full listings of the gateway's SAs while waiting (see waitForAll). */
const CENSUS_EVERY_MS = 5_000;

export class LoadLab {
  readonly sites: readonly LoadSite[];
  /** The clients the pool holds; the identity after them is one too many. */
  readonly clients: readonly LoadClient[];
  readonly oneTooMany: LoadClient;
  private readonly siteNames: ReadonlySet<string>;

  private constructor(
    readonly lab: Lab,
    readonly size: LoadSize,
    private readonly dir: string,
  ) {
    this.sites = loadSites(size.sites);
    const n = poolClients(size);
    this.clients = Array.from({ length: n }, (_, i) => ({ conn: clientConn(i), id: clientId(i) }));
    this.oneTooMany = { conn: clientConn(n), id: clientId(n), keyingtries: 1 };
    this.siteNames = new Set([...lab.topology.sites.map((s) => s.conn), ...this.sites.map((s) => s.name)]);
  }

  /** The lab (its own stack file, the load's class and pool) up with its ordinary peers; the load is not started yet. */
  static async up(opts: LoadLabOptions): Promise<LoadLab> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stage2-load-"));
    const prefix = opts.prefix ?? "s2load";
    try {
      const { lab } = await Lab.up({ stackFile: writeLoadStack(dir, opts.size), prefix, progress: opts.progress }, opts.plan ?? planGateway);
      return new LoadLab(lab, opts.size, dir);
    } catch (err) {
      // A lab that failed half-way up holds namespaces and daemons: nobody else would take them down.
      await destroyLab(prefix, defaultStateDir(prefix));
      fs.rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }

  get gateway(): LabHost<string> {
    return this.lab.host("gw");
  }

  /** The gateway as the load runs it (with its sites), optionally changed further. */
  model(change?: (gw: GatewayModel) => GatewayModel): GatewayModel {
    return this.lab.model((gw) => {
      const loaded = withLoadSites(gw, this.sites);
      return change ? change(loaded) : loaded;
    });
  }

  converge(change?: (gw: GatewayModel) => GatewayModel): Promise<ConvergeResult> {
    return this.lab.converge(this.model(change));
  }

  async census(): Promise<SaCensus> {
    return census(await listSas(this.gateway), this.siteNames);
  }

  /** charon's resident memory on the gateway, in KiB. */
  async charonRssKb(): Promise<number> {
    const out = await sh(this.gateway, "awk '/^VmRSS:/ { print $2 }' /proc/$(cat /run/charon.pid)/status");
    return Number(out.trim());
  }

  /**
   * The sites: the gateway gets their connections, the lab's site host their addresses (routed to it by the
   * lab's internet) and an address in each LAN, and its charon every site's connection; then each is dialled.
   */
  async startSites(): Promise<Initiated> {
    const t = this.lab.topology;
    const site = t.sites[0];
    const wan = t.links.find((l) => l.b.role === site.role && l.b.ifname === "wan");
    if (!wan) throw new Error(`${site.role} has no link to the lab's internet`);
    const taken = t.hosts.flatMap((h) => h.ifaces.flatMap((i) => i.addrs.map((a) => a.split("/")[0])));
    const clash = this.sites.find((s) => taken.includes(s.addr));
    if (clash) throw new Error(`${clash.addr} (${clash.name}) is already a lab address`);
    await sh(
      this.lab.host(site.role),
      this.sites.map((s) => `ip addr replace ${s.addr}/32 dev wan && ip addr replace ${s.net.replace(/\.0\/24$/, ".1")}/32 dev lo`).join("\n"),
    );
    await sh(this.lab.host("internet"), this.sites.map((s) => `ip route replace ${s.addr}/32 dev ${wan.a.ifname} scope link`).join("\n"));
    await this.converge();
    const secrets = this.lab.secrets([this.model()]);
    const peers = [
      ...t.sites.filter((s) => s.gateway === t.gateways[0].name).map((s) => ({ spec: sitePeerSpec(s), psk: this.lab.secret(s.auth.secretKey) })),
      ...this.sites.map((s) => ({
        spec: { ...sitePeerSpec(site), conn: s.name, localAddrs: [s.addr], localTs: [s.net], localId: s.addr },
        psk: secrets[s.secretKey],
      })),
    ];
    await restartPeer(this.lab.host(site.role), renderLoadSitesSwanctl(peers));
    return initiateAll(
      this.lab.host(site.role),
      peers.map((p) => p.spec.conn),
    );
  }

  /** The road warriors: the lab's client host's charon gets one connection per identity (and the one too many), then dials all but that one. */
  async startClients(): Promise<Initiated> {
    const c = this.lab.topology.clients[0];
    if (c.auth.kind !== "psk") throw new Error(`${c.role}: the load's class must be a PSK class`);
    const swanctl = renderLoadClientsSwanctl(c, [...this.clients, this.oneTooMany], this.lab.secret(c.auth.secretKey));
    await restartPeer(this.lab.host(c.role), swanctl);
    return initiateAll(
      this.lab.host(c.role),
      this.clients.map((x) => x.conn),
    );
  }

  /** Every client pings a node from its virtual IP, every site from its LAN address: those that got no reply. */
  async traffic(): Promise<{ clients: number; sites: number; lost: string[] }> {
    const t = this.lab.topology;
    const node = t.nodes[0].addr;
    const vips = (await listSas(this.lab.host(t.clients[0].role))).flatMap((s) => (s.state === "ESTABLISHED" ? s.localVips.slice(0, 1) : []));
    const lans = this.sites.map((s) => s.net.replace(/\.0\/24$/, ".1"));
    const [a, b] = await Promise.all([unreachable(this.lab.host(t.clients[0].role), vips, node), unreachable(this.lab.host(t.sites[0].role), lans, node)]);
    return { clients: vips.length, sites: lans.length, lost: [...a, ...b] };
  }

  /** charon's count of IKE_SAs (`swanctl --stats`): cheap, where listing them is not. */
  private async ikeSaCount(): Promise<number> {
    return Number(/IKE_SAs: (\d+) total/.exec(await sh(this.gateway, "swanctl --stats"))?.[1] ?? 0);
  }

  /**
   * Waits until the gateway holds every client's and every site's SA; the time it took. A full census lists every
   * SA, and charon checks each one out to report it: asked twice a second on a gateway of 611 SAs, it starved the
   * peers' IKE setups (after a restart, 432 of 510 clients and 0 of 101 sites back in 5 minutes, against all in 48 s
   * when listed every 5 s). So the count comes from --stats each second, and the census only once the count is there.
   */
  async waitForAll(timeoutMs: number, since = Date.now()): Promise<number> {
    const want = { clients: this.clients.length, sites: this.siteNames.size };
    let last: SaCensus | undefined;
    let listed = 0;
    while (Date.now() - since < timeoutMs) {
      if ((await this.ikeSaCount()) >= want.clients + want.sites && Date.now() - listed >= CENSUS_EVERY_MS) {
        listed = Date.now();
        last = await this.census();
        if (last.clients >= want.clients && last.sites >= want.sites) return Date.now() - since;
      }
      await delay(1000);
    }
    last = await this.census();
    if (last.clients >= want.clients && last.sites >= want.sites) return Date.now() - since;
    throw new Error(
      `after ${timeoutMs} ms the gateway holds ${last.clients} of ${want.clients} clients' and ${last.sites} of ${want.sites} sites' SAs; ${await this.notBack()}`,
    );
  }

  /** The clients without a tunnel, as their own charon sees them, and the gateway's pool: why a wait fell short. */
  async notBack(): Promise<string> {
    const sas = await listSas(this.lab.host(this.lab.topology.clients[0].role));
    const state = (conn: string): string => {
      const mine = sas.filter((s) => s.name === conn);
      if (mine.length === 0) return "no IKE_SA";
      return mine.map((s) => `${s.state}${s.children.length ? ` ${s.children.map((c) => c.state).join("+")}` : " no CHILD_SA"}`).join(", ");
    };
    const missing = this.clients.filter((c) => state(c.conn) !== "ESTABLISHED INSTALLED").map((c) => `${c.conn} ${c.id}: ${state(c.conn)}`);
    const extra = state(this.oneTooMany.conn);
    const pools = (await sh(this.gateway, "swanctl --list-pools")).trim().split("\n").slice(-1)[0];
    return `clients without a tunnel (their charon): ${missing.slice(0, 20).join("; ") || "none"}${missing.length > 20 ? ` and ${missing.length - 20} more` : ""}; the one too many: ${extra}; pool: ${pools}`;
  }

  /**
   * A charon restart as a restart-based tool does it: charon stops (deleting every SA), the converge starts it
   * again; then every peer dials again by itself. The time until the gateway holds all SAs again.
   */
  async restartCharon(timeoutMs = 300_000): Promise<{ before: SaCensus; after: SaCensus; ms: number }> {
    const before = await this.census();
    const t0 = Date.now();
    await sh(this.gateway, 'pid=$(cat /run/charon.pid); kill -TERM "$pid"; for i in $(seq 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done');
    await this.converge();
    const ms = await this.waitForAll(timeoutMs, t0);
    return { before, after: await this.census(), ms };
  }

  /** A re-converge with `change`: what it did to every SA that was up (except those of the connections it changes). */
  async reconverge(change: (gw: GatewayModel) => GatewayModel, except: readonly string[] = []): Promise<{ keep: SaKeep; ms: number; activated: number }> {
    const before = await this.census();
    const r = await this.converge(change);
    return { keep: compareCensus(before, await this.census(), except), ms: r.ms, activated: r.activated };
  }

  /** The one client too many dials: charon's own words for why it got no tunnel, and the pool's leases. */
  async oneMore(): Promise<{ refused: boolean; reason: string; pools: string }> {
    const host = this.lab.host(this.lab.topology.clients[0].role);
    const r = await host.exec(`swanctl --initiate --child ${this.oneTooMany.conn} --timeout 30 --loglevel 1`, { timeoutMs: 40_000 });
    const lines = (r.stdout + r.stderr).split("\n");
    const reason = lines.filter((l) => /INTERNAL_ADDRESS_FAILURE|virtual IP|no CHILD_SA|failed/i.test(l)).map((l) => l.replace(/^\[\w+\]\s*/, "").trim());
    const pools = (await sh(this.gateway, "swanctl --list-pools")).trim();
    return { refused: r.code !== 0, reason: [...new Set(reason)].join("; "), pools };
  }

  async down(): Promise<void> {
    try {
      await this.lab.down();
    } finally {
      fs.rmSync(this.dir, { recursive: true, force: true });
    }
  }
}
