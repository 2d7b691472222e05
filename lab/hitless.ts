import { clientVip, listSas } from "./checks";
import { sh } from "./host";
import { Lab } from "./lab";

/** What continuous pings through every tunnel saw while something ran. */
export interface PingWindow<T> {
  readonly result: T;
  /** Summed over every tunnel. */
  readonly sent: number;
  readonly lost: readonly number[];
  readonly ms: number;
  /** Per connection (`gateway/conn`): echo requests sent and the sequence numbers lost. */
  readonly tunnels: Readonly<Record<string, { readonly sent: number; readonly lost: readonly number[] }>>;
}

const INTERVAL_S = 0.05;
/** Echo requests sent in the last 200 ms before the stop may legitimately still be in flight. */
const IN_FLIGHT = 4;

/** Parses ping's per-packet lines: the replied sequence numbers and the highest one sent; the last `inFlight` are not judged. */
export function pingLoss(text: string, inFlight = IN_FLIGHT): { sent: number; lost: number[] } {
  const replied = new Set<number>();
  for (const m of text.matchAll(/bytes from [^:]+: icmp_seq=(\d+)/g)) replied.add(Number(m[1]));
  const sent = Number(/(\d+) packets transmitted/.exec(text)?.[1] ?? 0);
  const lost: number[] = [];
  for (let seq = 1; seq <= sent - inFlight; seq++) if (!replied.has(seq)) lost.push(seq);
  return { sent, lost };
}

/** A ping through each tunnel: every client from its virtual IP to a node of its gateway, every site's LAN host to a node. */
async function pingers(lab: Lab): Promise<{ key: string; role: string; from?: string; to: string }[]> {
  const t = lab.topology;
  const nodeOf = (gateway: string) => t.nodes.find((n) => n.role === t.gateways.find((g) => g.name === gateway)!.nodes[0])!.addr;
  const clients = await Promise.all(
    t.clients.map(async (c) => {
      const vip = await clientVip(lab, c);
      if (!vip) throw new Error(`${c.role} has no virtual IP: its tunnel is down before the pings started`);
      return { key: `${c.gateway}/${c.conn}`, role: c.role, from: vip, to: nodeOf(c.gateway) };
    }),
  );
  const sites = t.sites.flatMap((s) => {
    const node = lab.siteTrigger(s);
    return node ? [{ key: `${s.gateway}/${s.conn}`, role: s.lans[0].host, to: node.addr }] : [];
  });
  return [...clients, ...sites];
}

/** Runs `fn` while every tunnel carries a ping every 50 ms, and reports every echo request that went unanswered. */
export async function pingWhile<T>(lab: Lab, fn: () => Promise<T>): Promise<PingWindow<T>> {
  const all = await pingers(lab);
  const pids = await Promise.all(
    all.map(async (p) =>
      (
        await sh(
          lab.host(p.role),
          `setsid ping -n -i ${INTERVAL_S} -W 2 ${p.from ? `-I ${p.from} ` : ""}${p.to} </dev/null >/tmp/stage2-hitless.log 2>&1 & echo $!`,
        )
      ).trim(),
    ),
  );
  const t0 = Date.now();
  await new Promise((r) => setTimeout(r, 300));
  let result: T;
  try {
    result = await fn();
  } finally {
    await new Promise((r) => setTimeout(r, 500));
    await Promise.all(
      all.map((p, i) => lab.host(p.role).exec(`kill -INT ${pids[i]}; for i in $(seq 40); do kill -0 ${pids[i]} 2>/dev/null || break; sleep 0.05; done`)),
    );
  }
  const ms = Date.now() - t0;
  const tunnels: Record<string, { sent: number; lost: number[] }> = {};
  for (const p of all) tunnels[p.key] = pingLoss(await sh(lab.host(p.role), "cat /tmp/stage2-hitless.log"));
  const windows = Object.values(tunnels);
  return { result, sent: windows.reduce((n, w) => n + w.sent, 0), lost: windows.flatMap((w) => w.lost), ms, tunnels };
}

/** Every tunnel's CHILD_SA SPIs ("in/out", seen from the peer), by `gateway/conn`: their identity across reloads. */
export async function childSpis(lab: Lab): Promise<Record<string, string>> {
  const t = lab.topology;
  const peers = [
    ...t.clients.map((c) => ({ key: `${c.gateway}/${c.conn}`, role: c.role, conn: c.conn })),
    ...t.sites.map((s) => ({ key: `${s.gateway}/${s.conn}`, role: s.role, conn: s.conn })),
  ];
  const spis = await Promise.all(
    peers.map(async (p) => {
      const sa = (await listSas(lab.host(p.role), p.conn)).find((s) => s.state === "ESTABLISHED");
      const child = sa?.children.find((c) => c.state === "INSTALLED");
      return [p.key, child ? `${child.spiIn}/${child.spiOut}` : "none"] as const;
    }),
  );
  return Object.fromEntries(spis);
}

/** The first client's CHILD_SA SPIs. */
export async function rwChildSpis(lab: Lab): Promise<string> {
  const c = lab.topology.clients[0];
  return c ? ((await childSpis(lab))[`${c.gateway}/${c.conn}`] ?? "none") : "none";
}
