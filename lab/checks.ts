import { contains } from "../components/model/net";
import { hostIn, prefixLength } from "./address";
import { LabHost } from "./host";
import { LabLayout, Role } from "./layout";
import { IkeSa, parseSas } from "./sa";

/** One fact the lab proves, with the evidence it read; `ok` undefined = not applicable to this stack. */
export interface Fact {
  readonly id: string;
  readonly ok: boolean | undefined;
  readonly what: string;
  readonly evidence: string;
}

export interface CheckContext {
  readonly layout: LabLayout;
  host(role: Role): LabHost;
}

const out = async (h: LabHost, script: string): Promise<string> => {
  const r = await h.exec(script, { timeoutMs: 20_000 });
  return (r.stdout + (r.code !== 0 ? r.stderr : "")).trim();
};

export async function listSas(h: LabHost, ike?: string): Promise<IkeSa[]> {
  return parseSas(await out(h, `swanctl --list-sas --raw${ike ? ` --ike ${ike}` : ""}`));
}

/** "2 packets transmitted, 2 received" → [2, 2]. */
export function pingCounts(text: string): [number, number] {
  const m = /(\d+) packets transmitted, (\d+) received/.exec(text);
  return m ? [Number(m[1]), Number(m[2])] : [0, 0];
}

async function ping(h: LabHost, to: string, from?: string, count = 3): Promise<{ ok: boolean; evidence: string }> {
  const text = await out(h, `ping -n -c ${count} -i 0.2 -W 2 ${from ? `-I ${from} ` : ""}${to}`);
  const [sent, got] = pingCounts(text);
  return { ok: sent > 0 && got === sent, evidence: `${got}/${sent} echo replies` };
}

export const rwVip = async (ctx: CheckContext): Promise<string | undefined> =>
  (await listSas(ctx.host("rw"), ctx.layout.rw.conn)).find((s) => s.state === "ESTABLISHED")?.localVips[0];

export async function runChecks(ctx: CheckContext): Promise<Fact[]> {
  const { layout } = ctx;
  const facts: Fact[] = [];
  const gw = ctx.host("gw");
  const fip = layout.addrs.floatingIp;

  const gwSa = (await listSas(gw, layout.rw.conn)).find((s) => s.state === "ESTABLISHED");
  facts.push({
    id: "ike-sa",
    ok: !!gwSa && gwSa.localHost === fip && gwSa.localPort === "4500" && gwSa.natRemote,
    what: `gw's IKE SA for ${layout.rw.conn} binds the floating IP ${fip} with NAT-T`,
    evidence: gwSa
      ? `${gwSa.name} ${gwSa.state} local ${gwSa.localHost}[${gwSa.localPort}] remote ${gwSa.remoteHost}[${gwSa.remotePort}] nat-remote=${gwSa.natRemote ? "yes" : "no"}`
      : "no ESTABLISHED IKE SA on gw",
  });

  const vip = await rwVip(ctx);
  const rwAddrs = await out(ctx.host("rw"), "ip -4 -o addr show | awk '{print $4}' | tr '\\n' ' '");
  facts.push({
    id: "rw-vip",
    ok: !!vip && contains(layout.rw.pool, vip) && rwAddrs.split(" ").some((a) => a.startsWith(`${vip}/`)),
    what: `rw holds a virtual IP from the pool ${layout.rw.pool}`,
    evidence: vip ? `virtual IP ${vip}; rw's addresses: ${rwAddrs.trim()}` : "rw has no ESTABLISHED IKE SA",
  });

  const rwToNode = vip ? await ping(ctx.host("rw"), layout.addrs.node, vip) : { ok: false, evidence: "no virtual IP" };
  facts.push({ id: "rw-to-node", ok: rwToNode.ok, what: `rw (${vip ?? "?"}) reaches node ${layout.addrs.node}`, evidence: rwToNode.evidence });

  const node = ctx.host("node");
  const rib = await out(node, "gobgp global rib -a ipv4");
  const ribLine = rib.split("\n").find((l) => vip && l.startsWith("*>") && l.split(/\s+/).slice(1, 3).some((f) => f.includes("/") && contains(f, vip)));
  const route = vip ? (await out(node, `ip -4 route get ${vip}`)).split("\n")[0].replace(/\s+uid \d+\s*$/, "").trim() : "";
  facts.push({
    id: "node-bgp",
    ok: !!ribLine && ribLine.includes(layout.bgp.gatewayAddr) && route.includes(`via ${layout.bgp.gatewayAddr}`),
    what: `node learned rw's route over BGP from ${layout.bgp.gatewayAddr} (gobgpd RIB) and installed it`,
    evidence: `RIB: ${ribLine ? ribLine.replace(/\s+/g, " ").trim() : "no best path covering the virtual IP"}; kernel: ${route || "-"}`,
  });

  const nodeToRw = vip ? await ping(node, vip) : { ok: false, evidence: "no virtual IP" };
  facts.push({ id: "node-to-rw", ok: nodeToRw.ok, what: `node reaches rw back at ${vip ?? "?"}`, evidence: nodeToRw.evidence });

  if (layout.site && layout.addrs.sitehost) {
    const siteToNode = await ping(ctx.host("sitehost"), layout.addrs.node);
    const siteSa = (await listSas(ctx.host("site"), layout.site.conn)).find((s) => s.state === "ESTABLISHED");
    facts.push({
      id: "site-to-node",
      ok: siteToNode.ok && !!siteSa,
      what: `site's LAN host ${layout.addrs.sitehost} reaches node through the ${layout.site.conn} tunnel`,
      evidence: `${siteToNode.evidence}; site IKE SA: ${siteSa ? `${siteSa.localHost} ↔ ${siteSa.remoteHost} ${siteSa.state}` : "none"}`,
    });
  } else facts.push({ id: "site-to-node", ok: undefined, what: "site-to-site", evidence: "the stack has no ipsec.sites" });

  if (layout.wg) {
    const wgPing = await ping(ctx.host("wgpeer"), layout.wg.gatewayTunnel);
    const hs = await out(gw, `wg show ${layout.wg.interface} latest-handshakes`);
    const latest = Math.max(0, ...hs.split("\n").map((l) => Number(l.split(/\s+/)[1] ?? 0)));
    const age = latest > 0 ? Math.round(Date.now() / 1000 - latest) : undefined;
    facts.push({
      id: "wireguard",
      ok: wgPing.ok && age !== undefined,
      what: `WireGuard handshake with ${layout.wg.name} is up and wgpeer reaches gw at ${layout.wg.gatewayTunnel}`,
      evidence: `${wgPing.evidence}; latest handshake ${age === undefined ? "never" : `${age} s ago`}`,
    });
  } else facts.push({ id: "wireguard", ok: undefined, what: "WireGuard peer", evidence: "the stack has no wireguard.peers" });

  facts.push(await ipsecNotOnWireguard(ctx, vip));
  facts.push(await spoofDropped(ctx));
  return facts;
}

/** Counts IKE/ESP packets on wg0 and on the public interface while rw pings node. */
async function ipsecNotOnWireguard(ctx: CheckContext, vip: string | undefined): Promise<Fact> {
  const { layout } = ctx;
  const wgIf = layout.wg?.interface ?? "wg0";
  const filter = "udp port 500 or udp port 4500 or esp";
  const ifaces = [wgIf, layout.publicInterface];
  const gw = ctx.host("gw");
  // Both captures must be listening before the first ping; each prints a line per packet as it arrives.
  await out(
    gw,
    [
      ...ifaces.map(
        (i) => `setsid tcpdump -l --immediate-mode -n -p -i ${i} '${filter}' </dev/null >/tmp/stage2-cap.${i} 2>/tmp/stage2-cap.${i}.err & echo $! > /tmp/stage2-cap.${i}.pid`,
      ),
      `for n in $(seq 200); do ${ifaces.map((i) => `grep -q 'listening on' /tmp/stage2-cap.${i}.err`).join(" && ")} && break; sleep 0.05; done`,
    ].join("\n"),
  );
  const pinged = vip ? await ping(ctx.host("rw"), layout.addrs.node, vip, 5) : { ok: false, evidence: "no virtual IP" };
  const counted = await out(
    gw,
    ["sleep 0.2", ...ifaces.map((i) => `kill -KILL $(cat /tmp/stage2-cap.${i}.pid); grep -q 'listening on' /tmp/stage2-cap.${i}.err && wc -l < /tmp/stage2-cap.${i} || echo NaN`)].join("\n"),
  );
  const [onWg, onPublic] = counted.split("\n").map((l) => Number(/^(\d+)/.exec(l)?.[1] ?? NaN));
  return {
    id: "ipsec-not-on-wg0",
    ok: pinged.ok && onWg === 0 && onPublic > 0,
    what: `IPsec packets never cross ${wgIf}`,
    evidence: `while rw pinged node (${pinged.evidence}): ${onWg} IKE/ESP packets on ${wgIf}, ${onPublic} on ${layout.publicInterface}`,
  };
}

/**
 * A packet with a pool source that did not come through IPsec: sent from the internet straight to gw's
 * public interface, it must not be forwarded. node counts what arrives from that source (nft counter).
 */
async function spoofDropped(ctx: CheckContext): Promise<Fact> {
  const { layout } = ctx;
  const spoof = hostIn(layout.rw.pool, 2 ** (32 - prefixLength(layout.rw.pool)) - 2);
  const node = ctx.host("node");
  const counter = async () => {
    const t = await out(node, "nft list chain ip stage2-lab-probe pre");
    return Number(new RegExp(`ip saddr ${spoof.replace(/\./g, "\\.")} counter packets (\\d+)`).exec(t)?.[1] ?? NaN);
  };
  await out(
    node,
    `nft delete table ip stage2-lab-probe 2>/dev/null; nft -f - <<'EOF'\ntable ip stage2-lab-probe {\n\tchain pre {\n\t\ttype filter hook prerouting priority raw; policy accept;\n\t\tip saddr ${spoof} counter\n\t}\n}\nEOF`,
  );
  const before = await counter();
  const dropped = await gatewayPoolDrops(ctx.host("gw"), layout.rw.pool);
  const internet = ctx.host("internet");
  const sent = await out(
    internet,
    [
      `ip addr add ${spoof}/32 dev lo`,
      `ip route add ${layout.addrs.node}/32 via ${layout.addrs.gwPublic} dev to-gw`,
      `ping -n -c 3 -i 0.2 -W 0.5 -I ${spoof} ${layout.addrs.node}`,
      `ip route del ${layout.addrs.node}/32 via ${layout.addrs.gwPublic} dev to-gw`,
      `ip addr del ${spoof}/32 dev lo`,
    ].join("; "),
  );
  const after = await counter();
  const droppedAfter = await gatewayPoolDrops(ctx.host("gw"), layout.rw.pool);
  const [tx] = pingCounts(sent);
  return {
    id: "spoof-dropped",
    ok: tx === 3 && before === 0 && after === 0,
    what: `a packet from the pool (${spoof}) that did not come through IPsec is dropped`,
    evidence:
      `${tx} sent from the internet to gw's public interface; node counted ${Number.isNaN(after) ? "?" : after}` +
      (dropped === undefined || droppedAfter === undefined ? "" : `; gw's drop rule for the pool counted +${droppedAfter - dropped}`),
  };
}

/** The packet counter of gw's drop rule(s) for the pool's source range, when the ruleset has one. */
async function gatewayPoolDrops(gw: LabHost, pool: string): Promise<number | undefined> {
  const lines = (await out(gw, "nft list ruleset")).split("\n").filter((l) => l.includes(pool) && /\bdrop\b/.test(l) && l.includes("counter packets"));
  if (!lines.length) return undefined;
  return lines.reduce((sum, l) => sum + Number(/counter packets (\d+)/.exec(l)?.[1] ?? 0), 0);
}
