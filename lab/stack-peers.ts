import { classProfiles } from "../components/clients/profile";
import { CLIENT_SECRETS_FILE, clientCertName, clientTrustFile, renderClientSecrets, renderClientSwanctl } from "../components/clients/swanctl-client";
import { GatewayModel } from "../components/model/gateway";
import { contains } from "../components/model/net";
import { CheckContext, clientVip } from "./checks";
import { sh } from "./host";
import { dial, startGobgpd, startPeerCharon, startWgClient } from "./peer-hosts";
import { CLIENT_LAB_DROP_IN, PATIENT_GOBGP, renderClientLabDropIn, renderNodeGobgpd, renderSitePeerSwanctl } from "./peers";
import { LabPki } from "./pki";
import { ClientLab, SiteLab, Topology } from "./topology";

/**
 * The peers of a whole-stack lab, whoever runs its hosts (the namespace lab, or the kernel lab's VM): every
 * road-warrior client, site peer and kube-router node started, every tunnel connected, the nodes' BGP routes awaited.
 */
export interface StackLabContext extends CheckContext {
  /** One gateway with the lab's overrides, as the lab converged it. */
  model(change: undefined, gateway: string): GatewayModel;
  secret(key: string): string;
  pki(): LabPki | undefined;
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function gatewayRole(t: Topology, name: string): string {
  const g = t.gateways.find((x) => x.name === name);
  if (!g) throw new Error(`the lab has no gateway ${name}`);
  return g.role;
}

/** The node a site's traffic comes from on the gateway's side: one inside the site's localTs. */
export function siteTrigger(t: Topology, s: SiteLab): { role: string; addr: string } | undefined {
  const gw = t.gateways.find((g) => g.name === s.gateway)!;
  const node = t.nodes.find((n) => gw.nodes.includes(n.role) && s.gatewayTs.some((ts) => contains(ts, n.addr)));
  return node ? { role: node.role, addr: node.addr } : undefined;
}

/** Starts every client, site peer and node (the tunnels are connected later, by connectStackPeers). */
export async function startStackPeers(ctx: StackLabContext): Promise<void> {
  const t = ctx.topology;
  const pki = ctx.pki();
  await Promise.all([
    ...t.clients.map((c) => startClient(ctx, c, pki)),
    ...t.sites.map((s) => startPeerCharon(ctx.host(s.role), renderSitePeerSwanctl(sitePeerSpec(s), ctx.secret(s.auth.secretKey)))),
    ...t.nodes.map((n) => startGobgpd(ctx.host(n.role), renderNodeGobgpd(n))),
  ]);
}

/**
 * A client loads the Linux profile `stage2 clients` writes for its user (swanctl.conf, the trust anchor, the
 * secrets file), from the gateway's model as the lab converged it, plus the lab's drop-in (renderClientLabDropIn).
 */
function startClient(ctx: StackLabContext, c: ClientLab, pki: LabPki | undefined): Promise<void> {
  const gw = ctx.model(undefined, c.gateway);
  const rw = gw.ipsec.roadWarriors.find((r) => r.name === c.conn);
  if (!rw) throw new Error(`${c.gateway} has no road-warrior class ${c.conn}`);
  const profiles = classProfiles(gw, rw, c.floatingIp);
  const p = c.auth.kind === "pubkey" ? profiles[0] : profiles.find((x) => x.user === c.auth.id);
  if (!p) throw new Error(`${c.gateway}/${c.conn}: stage2 clients writes no profile for ${c.auth.id}`);
  const files: { path: string; content: string; mode?: string }[] = [{ path: CLIENT_LAB_DROP_IN, content: renderClientLabDropIn(c.conn) }];
  const trust = clientTrustFile(p);
  if (trust && p.trust) files.push({ path: `/etc/swanctl/${trust.dir}/${trust.name}`, content: p.trust.pem });
  if (c.auth.kind === "pubkey") {
    const mine = pki?.clients[c.role];
    if (!mine) throw new Error(`${c.role}: the lab CA issued no certificate for it`);
    files.push(
      { path: `/etc/swanctl/x509/${clientCertName(p)}`, content: mine.cert },
      { path: `/etc/swanctl/private/${clientCertName(p)}`, content: mine.key, mode: "0600" },
    );
  } else {
    files.push({ path: `/etc/swanctl/${CLIENT_SECRETS_FILE}`, content: renderClientSecrets(p, ctx.secret(c.auth.secretKey)), mode: "0600" });
  }
  return startPeerCharon(ctx.host(c.role), renderClientSwanctl(p), files);
}

/**
 * Connects every peer: clients and self-initiating sites dial, WireGuard peers point at their gateway; once the
 * nodes have the gateways' routes, trap sites are brought up from the gateway's side by `trap`.
 */
export async function connectStackPeers(
  ctx: StackLabContext,
  trap: (s: SiteLab) => Promise<void>,
  progress: (line: string) => void = () => undefined,
): Promise<void> {
  const t = ctx.topology;
  const t0 = Date.now();
  await Promise.all([
    ...t.clients.map((c) => dial(ctx.host(c.role), c.conn)),
    ...t.sites.filter((s) => s.startAction === "none").map((s) => dial(ctx.host(s.role), s.conn)),
    ...t.wgPeers.map(async (p) => {
      const gw = t.gateways.find((g) => g.name === p.gateway)!;
      const key = (await sh(ctx.host(gw.role), `wg show ${gw.wgInterface} public-key`)).trim();
      await startWgClient(ctx.host(p.role), p, key);
      // Connected means a handshake: the first packets wait for it, and a slow gateway's reply can outlast them.
      // Its outcome is the wireguard fact's to judge.
      await ctx.host(p.role).exec(`ping -n -c 1 -w ${ctx.replyDeadlineS ?? 5} ${p.gatewayTunnel}`, { timeoutMs: 60_000 });
    }),
  ]);
  const t1 = Date.now();
  await waitForBgp(ctx);
  const t2 = Date.now();
  await Promise.all(t.sites.filter((s) => s.startAction !== "none").map(trap));
  progress(`  tunnels: initiated in ${t1 - t0} ms, nodes had the BGP routes ${t2 - t1} ms later, trap sites up ${Date.now() - t2} ms later`);
}

/** Pings the site's first LAN host from the node on the gateway's side until it answers through the tunnel. */
export async function pingThroughSite(ctx: StackLabContext, s: SiteLab, timeoutMs: number): Promise<void> {
  const from = siteTrigger(ctx.topology, s);
  if (!from) throw new Error(`${s.conn}: no node lies in the site's localTs; nothing on the gateway's side can reach it`);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const r = await ctx.host(from.role).exec(`ping -n -c 1 -W 1 ${s.lans[0].hostAddr}`);
    if (r.code === 0) return;
    await delay(200);
  }
  throw new Error(`${s.conn}: ${from.role} does not reach ${s.lans[0].hostAddr} through the site's tunnel within ${timeoutMs} ms`);
}

/** Waits until every node that peers with a client's gateway routes the client's virtual IP via that gateway. */
export async function waitForBgp(ctx: StackLabContext, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const want = (
    await Promise.all(
      ctx.topology.clients.map(async (c) => {
        const vip = await clientVip(ctx, c);
        if (!vip) throw new Error(`${c.role} has no virtual IP after initiating`);
        const gw = ctx.topology.gateways.find((g) => g.name === c.gateway)!;
        return gw.nodes.map((node) => ({ node, vip, via: gw.privateAddr }));
      }),
    )
  ).flat();
  let missing = want;
  while (Date.now() < deadline) {
    const routed = await Promise.all(missing.map(async (w) => (await ctx.host(w.node).exec(`ip -4 route get ${w.vip}`)).stdout.includes(`via ${w.via} `)));
    missing = missing.filter((_, i) => !routed[i]);
    if (missing.length === 0) return;
    await delay(200);
  }
  const m = missing[0];
  const rib = await ctx.host(m.node).exec(`${PATIENT_GOBGP}\ngobgp neighbor; gobgp global rib -a ipv4`);
  throw new Error(`${m.node} has no BGP route to ${m.vip} via ${m.via} after ${timeoutMs} ms:\n${rib.stdout}${rib.stderr}`);
}

export const sitePeerSpec = (s: SiteLab) => ({
  conn: s.conn,
  localAddrs: s.addrs,
  floatingIp: s.floatingIp,
  localTs: s.lans.map((l) => l.net),
  remoteTs: s.gatewayTs,
  localId: s.auth.localId,
  remoteId: s.auth.remoteId,
  ike: s.ike,
  esp: s.esp,
});
