import { PATIENT_GOBGP } from "./peers";
import { contains } from "../components/model/net";
import { hostIn, prefixLength } from "./address";
import { birdCheck } from "../doctor/checks/bird";
import { capacityCheck } from "../doctor/checks/capacity";
import { connectionsCheck } from "../doctor/checks/connections";
import { runChecks as runDoctor } from "../doctor/run";
import { Check, DoctorContext, Finding } from "../doctor/types";
import { LabHost } from "./host";
import { IkeSa, parseSas } from "../doctor/parse-sas";
import { ClientLab, GatewayLab, SiteLab, Topology, WgPeerLab } from "./topology";

/**
 * One fact the lab proves, with the evidence it read; `ok` undefined = not applicable to this stack. Facts are
 * grouped by gateway and connection (a road-warrior class, a site, a BGP neighbour, a WireGuard peer).
 */
export interface Fact {
  readonly id: string;
  readonly ok: boolean | undefined;
  readonly what: string;
  readonly evidence: string;
  readonly gateway?: string;
  readonly connection?: string;
  /** How the connection authenticates (road warriors and sites): psk, eap-mschapv2, pubkey. */
  readonly auth?: string;
}

export interface CheckContext {
  readonly topology: Topology;
  host(role: string): LabHost<string>;
  /** What doctor needs to judge this gateway (its model, the rendered plan, a shell inside it). */
  doctor(gateway: string): DoctorContext;
  /**
   * How long a ping waits for every reply (s), for a lab whose hosts run emulated and late: a reply that comes later
   * is lost, and a probe that must stay unanswered waits this long too. Default: 2 s per reply, 1 s for an isolation probe.
   */
  readonly replyDeadlineS?: number;
}

/** Doctor's checks of the gateway side: the lab runs these itself and adds only what needs the peers. */
export const GATEWAY_CHECKS: readonly Check[] = [connectionsCheck, birdCheck, capacityCheck];

/** One fact per doctor finding: the check's id, its verdict, what it found, its evidence and fix on one line. */
export function findingFact(f: Finding, gateway: string, conns: readonly string[], auth?: string): Fact {
  const first = (text: string) => text.split("\n").find((l) => l.trim()) ?? "";
  const shown = f.evidence.map((e) => `${e.command}: ${first(e.output).slice(0, 160)}`).join("; ");
  return {
    id: `doctor-${f.check}`,
    ok: f.status === "ok",
    what: f.what,
    evidence: `${f.status.toUpperCase()}${f.fix ? `; fix: ${f.fix}` : ""}; ${shown}`,
    gateway,
    connection: f.subject && (conns.includes(f.subject) || f.subject.startsWith("bgp ")) ? f.subject : "gateway",
    ...(auth ? { auth } : {}),
  };
}

/** Doctor's gateway-side findings for one gateway, as facts (doctor's run: fail-closed, redacted). */
export async function doctorFacts(ctx: CheckContext, g: GatewayLab): Promise<Fact[]> {
  const dctx = ctx.doctor(g.name);
  const authOf = (conn: string | undefined) =>
    ctx.topology.clients.find((c) => c.gateway === g.name && c.conn === conn)?.auth.kind ??
    (ctx.topology.sites.some((s) => s.gateway === g.name && s.conn === conn) ? "psk" : undefined);
  const conns = [...ctx.topology.clients, ...ctx.topology.sites].filter((c) => c.gateway === g.name).map((c) => c.conn);
  return (await runDoctor(GATEWAY_CHECKS, dctx)).map((f) => findingFact(f, g.name, conns, authOf(f.subject)));
}

const out = async (h: LabHost<string>, script: string): Promise<string> => {
  const r = await h.exec(script, { timeoutMs: 20_000 });
  return (r.stdout + (r.code !== 0 ? r.stderr : "")).trim();
};

export async function listSas(h: LabHost<string>, ike?: string): Promise<IkeSa[]> {
  return parseSas(await out(h, `swanctl --list-sas --raw${ike ? ` --ike ${ike}` : ""}`));
}

/** "2 packets transmitted, 2 received" → [2, 2]. */
export function pingCounts(text: string): [number, number] {
  const m = /(\d+) packets transmitted, (\d+) received/.exec(text);
  return m ? [Number(m[1]), Number(m[2])] : [0, 0];
}

/**
 * Whether ping's summary shows the `count` replies asked for. With a deadline (`-w`) ping sends on past a lost
 * echo until `count` replies came back, so a loss the deadline made up for is not a failure; without one it sends
 * exactly `count`, and every reply must come.
 */
export function pingReached(text: string, count: number): boolean {
  const [sent, got] = pingCounts(text);
  return sent > 0 && got >= count;
}

async function ping(
  ctx: CheckContext,
  h: LabHost<string>,
  to: string,
  from?: string,
  count = 3,
  deadlineS = ctx.replyDeadlineS,
): Promise<{ ok: boolean; evidence: string }> {
  const wait = deadlineS ? `-w ${deadlineS}` : "-W 2";
  const text = await out(h, `ping -n -c ${count} -i 0.2 ${wait} ${from ? `-I ${from} ` : ""}${to}`);
  const [sent, got] = pingCounts(text);
  return { ok: pingReached(text, count), evidence: `${got}/${sent} echo replies` };
}

const same = (a: readonly string[], b: readonly string[]): boolean => [...a].sort().join(" ") === [...b].sort().join(" ");
const established = (sas: readonly IkeSa[]) => sas.find((s) => s.state === "ESTABLISHED");
const gatewayOf = (t: Topology, name: string): GatewayLab => t.gateways.find((g) => g.name === name)!;

export async function clientVip(ctx: CheckContext, c: ClientLab): Promise<string | undefined> {
  return established(await listSas(ctx.host(c.role), c.conn))?.localVips[0];
}

/** The first client's virtual IP (the single-gateway lab's "rw"). */
export const rwVip = async (ctx: CheckContext): Promise<string | undefined> => (ctx.topology.clients[0] ? clientVip(ctx, ctx.topology.clients[0]) : undefined);

/** Lab hosts that live inside `prefixes`: the nodes, the sites' LAN hosts. */
function hostsInside(t: Topology, prefixes: readonly string[]): { role: string; addr: string }[] {
  const all = [...t.nodes.map((n) => ({ role: n.role, addr: n.addr })), ...t.sites.flatMap((s) => s.lans.map((l) => ({ role: l.host, addr: l.hostAddr })))];
  return all.filter((h) => prefixes.some((p) => contains(p, h.addr)));
}

/** Every fact of the stack: per gateway, per road-warrior class, per site, per BGP neighbour, per WireGuard peer. */
export async function runChecks(ctx: CheckContext, gateway?: string): Promise<Fact[]> {
  const all = ctx.topology;
  const mine = <T extends { readonly gateway: string }>(xs: readonly T[]) => xs.filter((x) => !gateway || x.gateway === gateway);
  // Only one gateway's facts (a test that broke that gateway); other gateways' clients stay isolation targets.
  const t = {
    ...all,
    gateways: all.gateways.filter((g) => !gateway || g.name === gateway),
    clients: mine(all.clients),
    sites: mine(all.sites),
    wgPeers: mine(all.wgPeers),
  };
  const vips = new Map<string, string | undefined>(await Promise.all(all.clients.map(async (c) => [c.role, await clientVip(ctx, c)] as const)));
  const groups = await Promise.all([
    ...t.gateways.map((g) => gatewayFacts(ctx, g)),
    ...t.clients.map((c) => clientFacts(ctx, c, vips)),
    ...t.sites.map((s) => siteFacts(ctx, s)),
    ...t.wgPeers.map((p) => wireguardFact(ctx, p).then((f) => [f])),
    Promise.all(t.clients.map((c) => spoofDropped(ctx, c, all.clients.indexOf(c)))),
    Promise.all(
      t.gateways.flatMap((g) => {
        const c = t.clients.find((x) => x.gateway === g.name);
        return c ? [ipsecNotOnWireguard(ctx, g, c, vips.get(c.role))] : [];
      }),
    ),
  ]);
  // After the peers' facts: their pings are the traffic doctor's half-open check looks for.
  const facts = [...groups.flat(), ...(await Promise.all(t.gateways.map((g) => doctorFacts(ctx, g)))).flat()];
  const order = (f: Fact) => t.gateways.findIndex((g) => g.name === f.gateway);
  return facts
    .map((f, i) => ({ f, i }))
    .sort((a, b) => order(a.f) - order(b.f) || a.i - b.i)
    .map((x) => x.f);
}

/** Whether `prefix` lies inside the union of `nets` (halving it until each part lies inside one of them). */
export function coveredBy(prefix: string, nets: readonly string[], depth = 8): boolean {
  if (nets.some((n) => contains(n, prefix))) return true;
  const len = prefixLength(prefix);
  if (depth === 0 || len >= 32 || !nets.some((n) => contains(prefix, n.split("/")[0]))) return false;
  const half = 2 ** (32 - len - 1);
  return [hostIn(prefix, 0), hostIn(prefix, half)].every((a) => coveredBy(`${a}/${len + 1}`, nets, depth - 1));
}

/**
 * Per BGP neighbour: the node's RIB from the gateway holds every pool and site network it serves, and nothing
 * outside them (BIRD may add the tunnels' own routes inside them).
 */
async function gatewayFacts(ctx: CheckContext, g: GatewayLab): Promise<Fact[]> {
  return Promise.all(
    g.nodes.map(async (role) => {
      const text = await out(ctx.host(role), `${PATIENT_GOBGP}\ngobgp neighbor ${g.privateAddr} adj-in -a ipv4`);
      const got = [...new Set([...text.matchAll(/\b(\d+\.\d+\.\d+\.\d+\/\d+)\b/g)].map((m) => m[1]))].sort();
      const extra = got.filter((p) => !coveredBy(p, g.exported));
      const missing = g.exported.filter((n) => !got.some((p) => contains(p, n.split("/")[0]) && prefixLength(p) <= prefixLength(n)));
      return {
        id: "bgp-rib",
        ok: got.length > 0 && extra.length === 0 && missing.length === 0,
        what: `${role}'s gobgpd RIB from ${g.privateAddr} covers exactly the pools and sites' networks (${g.exported.join(", ")})`,
        evidence: `received: ${got.join(", ") || "nothing"}${missing.length ? `; MISSING ${missing.join(", ")}` : ""}${extra.length ? `; NOT EXPORTED BY STAGE2 ${extra.join(", ")}` : ""}`,
        gateway: g.name,
        connection: `bgp ${role}`,
      };
    }),
  );
}

async function clientFacts(ctx: CheckContext, c: ClientLab, vips: ReadonlyMap<string, string | undefined>): Promise<Fact[]> {
  const t = ctx.topology;
  const g = gatewayOf(t, c.gateway);
  const fact = (id: string, ok: boolean, what: string, evidence: string): Fact => ({
    id,
    ok,
    what,
    evidence,
    gateway: c.gateway,
    connection: c.conn,
    auth: c.auth.kind,
  });
  const vip = vips.get(c.role);
  const client = ctx.host(c.role);
  // Its pings wait out their deadline for replies that must not come: beside the other facts, not after them.
  const isolated = isolation(ctx, c, vip, vips);
  isolated.catch(() => undefined);
  const [gwSas, mine, addrs] = await Promise.all([
    listSas(ctx.host(g.role), c.conn),
    listSas(client, c.conn),
    out(client, "ip -4 -o addr show | awk '{print $4}' | tr '\\n' ' '"),
  ]);
  const gwSa = gwSas.find((s) => s.state === "ESTABLISHED" && s.remoteVips.includes(vip ?? "-"));
  const facts: Fact[] = [
    fact(
      "ike-sa",
      !!gwSa && gwSa.localHost === g.floatingIp && gwSa.localPort === "4500" && gwSa.natRemote,
      `${g.name}'s IKE SA for ${c.conn} binds the floating IP ${g.floatingIp} with NAT-T (client ${c.auth.id})`,
      gwSa
        ? `${gwSa.name} ${gwSa.state} local ${gwSa.localHost}[${gwSa.localPort}] remote ${gwSa.remoteHost}[${gwSa.remotePort}] nat-remote=${gwSa.natRemote ? "yes" : "no"}`
        : "no ESTABLISHED IKE SA on the gateway for the client",
    ),
    fact(
      "rw-vip",
      !!vip && contains(c.pool, vip) && addrs.split(" ").some((a) => a.startsWith(`${vip}/`)),
      `${c.role} holds a virtual IP from the pool ${c.pool}`,
      vip ? `virtual IP ${vip}; addresses: ${addrs.trim()}` : "no ESTABLISHED IKE SA",
    ),
  ];
  const child = established(mine)?.children.find((k) => k.state === "INSTALLED");
  facts.push(
    fact(
      "rw-ts",
      !!child && !!vip && same(child.remoteTs, c.localTs) && same(child.localTs, [`${vip}/32`]),
      `${c.role} asked for 0.0.0.0/0 and got exactly what ${c.conn} offers (${c.localTs.join(", ")})`,
      child ? `CHILD_SA ${child.localTs.join(",")} === ${child.remoteTs.join(",")}` : "no INSTALLED CHILD_SA",
    ),
  );
  const targets = hostsInside(t, c.localTs).filter((h) => (t.nodes.some((n) => n.role === h.role) ? g.nodes.includes(h.role) : true));
  const bare = c.localTs.filter((p) => !targets.some((h) => contains(p, h.addr)));
  const reached = vip ? await Promise.all(targets.map(async (h) => ({ h, r: await ping(ctx, client, h.addr, vip) }))) : [];
  facts.push(
    fact(
      "rw-reach",
      reached.length > 0 && reached.every((x) => x.r.ok),
      `${c.role} (${vip ?? "?"}) reaches the hosts inside ${c.conn}'s traffic selectors`,
      [...reached.map((x) => `${x.h.role} ${x.h.addr}: ${x.r.evidence}`), ...bare.map((p) => `${p}: no lab host there`)].join("; ") || "no virtual IP",
    ),
  );
  const node = g.nodes[0];
  const route = vip
    ? (await out(ctx.host(node), `ip -4 route get ${vip}`))
        .split("\n")[0]
        .replace(/\s+uid \d+\s*$/, "")
        .trim()
    : "";
  const back = vip ? await ping(ctx, ctx.host(node), vip) : { ok: false, evidence: "no virtual IP" };
  facts.push(
    fact(
      "rw-return",
      route.includes(`via ${g.privateAddr} `) && back.ok,
      `${node} routes ${vip ?? "the virtual IP"} via ${g.name} (${g.privateAddr}), where the tunnel ends, and reaches it`,
      `kernel: ${route || "-"}; ${back.evidence}`,
    ),
  );
  facts.push(await isolated);
  return facts;
}

/** The client reaches nothing of another connection: other classes' clients, sites' LAN hosts outside its selectors. */
async function isolation(ctx: CheckContext, c: ClientLab, vip: string | undefined, vips: ReadonlyMap<string, string | undefined>): Promise<Fact> {
  const t = ctx.topology;
  const others = [
    ...t.clients.filter((o) => o.role !== c.role).flatMap((o) => (vips.get(o.role) ? [{ what: `${o.gateway}/${o.conn}`, addr: vips.get(o.role)! }] : [])),
    ...t.sites.flatMap((s) => s.lans.map((l) => ({ what: `${s.gateway}/${s.conn}`, addr: l.hostAddr }))),
  ].filter((o) => !c.localTs.some((p) => contains(p, o.addr)));
  const base = { id: "isolation", gateway: c.gateway, connection: c.conn, auth: c.auth.kind };
  if (!vip) return { ...base, ok: false, what: `${c.role} reaches no other connection`, evidence: "no virtual IP" };
  const text = others.length
    ? await out(
        ctx.host(c.role),
        others.map((o) => `ping -n -c 1 -W ${ctx.replyDeadlineS ?? 1} -I ${vip} ${o.addr} >/dev/null 2>&1 && echo "REACHED ${o.addr}" &`).join("\n") + "\nwait",
      )
    : "";
  const reached = others.filter((o) => text.includes(`REACHED ${o.addr}`));
  return {
    ...base,
    ok: reached.length === 0,
    what: `${c.role} reaches no other connection's network (${others.length} targets: other classes' clients, sites' LANs)`,
    evidence: reached.length ? `REACHED ${reached.map((o) => `${o.what} ${o.addr}`).join(", ")}` : `0/${others.length} answered`,
  };
}

async function siteFacts(ctx: CheckContext, s: SiteLab): Promise<Fact[]> {
  const t = ctx.topology;
  const g = gatewayOf(t, s.gateway);
  const fact = (id: string, ok: boolean, what: string, evidence: string): Fact => ({
    id,
    ok,
    what,
    evidence,
    gateway: s.gateway,
    connection: s.conn,
    auth: "psk",
  });
  const sa = established(await listSas(ctx.host(g.role), s.conn));
  const byGateway = s.startAction !== "none";
  const node = t.nodes.find((n) => g.nodes.includes(n.role) && s.gatewayTs.some((p) => contains(p, n.addr)));
  const facts: Fact[] = [
    fact(
      "site-up",
      // A trap site may come back by the peer's hand (its DPD after a gateway restart); a `none` site only ever does.
      !!sa && s.addrs.includes(sa.remoteHost) && sa.localHost === g.floatingIp && (byGateway || !sa.initiator),
      `${s.conn} (startAction ${s.startAction}) is up on the floating IP${byGateway ? ` (the lab brings it up from the gateway's side, ${node?.role ?? "no node"})` : ", brought up by the peer"}`,
      sa ? `${sa.localHost} ↔ ${sa.remoteHost} ${sa.state}, initiated by ${sa.initiator ? g.name : "the peer"}` : "no ESTABLISHED IKE SA on the gateway",
    ),
  ];
  const reach = node
    ? await Promise.all(
        s.lans.map(async (l) => ({ l, there: await ping(ctx, ctx.host(node.role), l.hostAddr), back: await ping(ctx, ctx.host(l.host), node.addr) })),
      )
    : [];
  facts.push(
    fact(
      "site-reach",
      reach.length === s.lans.length && reach.every((r) => r.there.ok && r.back.ok),
      `every LAN of ${s.conn} (${s.lans.map((l) => l.net).join(", ")}) and ${node?.role ?? "a node"} reach each other through the tunnel`,
      node
        ? reach.map((r) => `${r.l.host} ${r.l.hostAddr}: to it ${r.there.evidence}, back ${r.back.evidence}`).join("; ")
        : "no node inside the site's localTs",
    ),
  );
  return facts;
}

async function wireguardFact(ctx: CheckContext, p: WgPeerLab): Promise<Fact> {
  const g = gatewayOf(ctx.topology, p.gateway);
  // The ping first: a peer that has sent nothing yet has had no handshake.
  // wireguard-go on both ends of a loaded machine answers late at times: every reply is waited for up to 5 s.
  const reach = await ping(ctx, ctx.host(p.role), p.gatewayTunnel, undefined, 3, ctx.replyDeadlineS ?? 5);
  const [key, allowed, hs] = await Promise.all([
    out(ctx.host(p.role), "wg show wg0 public-key"),
    out(ctx.host(g.role), `wg show ${g.wgInterface} allowed-ips`),
    out(ctx.host(g.role), `wg show ${g.wgInterface} latest-handshakes`),
  ]);
  const mine = allowed.split("\n").find((l) => l.startsWith(`${key}\t`) || l.startsWith(`${key} `));
  const ips = mine ? mine.split(/\s+/).slice(1) : [];
  const when = Number(
    hs
      .split("\n")
      .find((l) => l.startsWith(key))
      ?.split(/\s+/)[1] ?? 0,
  );
  const age = when > 0 ? Math.round(Date.now() / 1000 - when) : undefined;
  return {
    id: "wireguard",
    ok: reach.ok && age !== undefined && same(ips, p.allowedIps),
    what: `${p.name} on ${g.name}: AllowedIPs ${p.allowedIps.join(", ")}, a handshake, and ${p.role} reaches ${p.gatewayTunnel}`,
    evidence: `allowed-ips ${ips.join(",") || "none"}; latest handshake ${age === undefined ? "never" : `${age} s ago`}; ${reach.evidence}`,
    gateway: g.name,
    connection: `wireguard ${p.name}`,
  };
}

/** Counts IKE/ESP packets on wg0 and on the public interface while a client of the gateway pings a node. */
async function ipsecNotOnWireguard(ctx: CheckContext, g: GatewayLab, c: ClientLab, vip: string | undefined): Promise<Fact> {
  const filter = "udp port 500 or udp port 4500 or esp";
  const ifaces = [g.wgInterface, g.publicInterface];
  const gw = ctx.host(g.role);
  // Both captures must be listening before the first ping; each prints a line per packet as it arrives.
  await out(
    gw,
    [
      ...ifaces.map(
        (i) =>
          `setsid tcpdump -l --immediate-mode -n -p -i ${i} '${filter}' </dev/null >/tmp/stage2-cap.${i} 2>/tmp/stage2-cap.${i}.err & echo $! > /tmp/stage2-cap.${i}.pid`,
      ),
      `for n in $(seq 200); do ${ifaces.map((i) => `grep -q 'listening on' /tmp/stage2-cap.${i}.err`).join(" && ")} && break; sleep 0.05; done`,
    ].join("\n"),
  );
  const node = ctx.topology.nodes.find((n) => n.role === g.nodes[0])!;
  const pinged = vip ? await ping(ctx, ctx.host(c.role), node.addr, vip, 5) : { ok: false, evidence: "no virtual IP" };
  const counted = await out(
    gw,
    [
      "sleep 0.2",
      ...ifaces.map(
        (i) => `kill -KILL $(cat /tmp/stage2-cap.${i}.pid); grep -q 'listening on' /tmp/stage2-cap.${i}.err && wc -l < /tmp/stage2-cap.${i} || echo NaN`,
      ),
    ].join("\n"),
  );
  const [onWg, onPublic] = counted.split("\n").map((l) => Number(/^(\d+)/.exec(l)?.[1] ?? NaN));
  return {
    id: "ipsec-not-on-wg0",
    ok: pinged.ok && onWg === 0 && onPublic > 0,
    what: `IPsec packets never cross ${g.name}'s ${g.wgInterface}`,
    evidence: `while ${c.role} pinged ${node.role} (${pinged.evidence}): ${onWg} IKE/ESP packets on ${g.wgInterface}, ${onPublic} on ${g.publicInterface}`,
    gateway: g.name,
    connection: "gateway",
  };
}

/**
 * A packet from a class's pool that did not come through its tunnel: sent from the internet straight to the
 * gateway's public interface, it must reach nothing (the node counts what arrives from that source).
 */
async function spoofDropped(ctx: CheckContext, c: ClientLab, n: number): Promise<Fact> {
  const g = gatewayOf(ctx.topology, c.gateway);
  const node = ctx.topology.nodes.find((x) => x.role === g.nodes[0])!;
  const spoof = hostIn(c.pool, 2 ** (32 - prefixLength(c.pool)) - 2);
  const nodeHost = ctx.host(node.role);
  // A probe table and a routing table of its own per class, so every class's probe runs at once.
  const probe = `stage2-lab-probe${n}`;
  const table = 100 + n;
  const counter = async () => {
    const text = await out(nodeHost, `nft list chain ip ${probe} pre`);
    return Number(new RegExp(`ip saddr ${spoof.replace(/\./g, "\\.")} counter packets (\\d+)`).exec(text)?.[1] ?? NaN);
  };
  await out(
    nodeHost,
    `nft delete table ip ${probe} 2>/dev/null; nft -f - <<'EOF'\ntable ip ${probe} {\n\tchain pre {\n\t\ttype filter hook prerouting priority raw; policy accept;\n\t\tip saddr ${spoof} counter\n\t}\n}\nEOF`,
  );
  const before = await counter();
  const port = ctx.topology.hosts.find((h) => h.role === "internet")!.routes.find((r) => r[0] === `${g.publicAddr}/32`)![2];
  const sent = await out(
    ctx.host("internet"),
    [
      `ip addr add ${spoof}/32 dev lo`,
      `ip route add ${node.addr}/32 via ${g.publicAddr} dev ${port} table ${table}`,
      `ip rule add from ${spoof} lookup ${table}`,
      `ping -n -c 3 -i 0.2 -W 0.5 -I ${spoof} ${node.addr}`,
      `ip rule del from ${spoof} lookup ${table}`,
      `ip route flush table ${table}`,
      `ip addr del ${spoof}/32 dev lo`,
    ].join("; "),
  );
  const after = await counter();
  await out(nodeHost, `nft delete table ip ${probe}`);
  const [tx] = pingCounts(sent);
  return {
    id: "pool-spoof",
    ok: tx === 3 && before === 0 && after === 0,
    what: `a packet from ${c.conn}'s pool (${spoof}) that did not come through its tunnel reaches nothing`,
    evidence: `${tx} sent from the internet to ${g.name}'s public interface; ${node.role} counted ${Number.isNaN(after) ? "?" : after}`,
    gateway: c.gateway,
    connection: c.conn,
    auth: c.auth.kind,
  };
}

/** Facts counted per gateway, per connection and per auth kind (the summary under the check). */
export function factCounts(facts: readonly Fact[]): { gateway: Map<string, number>; connection: Map<string, number>; auth: Map<string, number> } {
  const count = (key: (f: Fact) => string | undefined) => {
    const m = new Map<string, number>();
    for (const f of facts) {
      const k = key(f);
      if (k !== undefined && f.ok !== undefined) m.set(k, (m.get(k) ?? 0) + 1);
    }
    return m;
  };
  return {
    gateway: count((f) => f.gateway),
    connection: count((f) => (f.gateway && f.connection ? `${f.gateway}/${f.connection}` : undefined)),
    auth: count((f) => f.auth),
  };
}
