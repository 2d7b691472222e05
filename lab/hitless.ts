import { listSas, rwVip } from "./checks";
import { sh } from "./host";
import { Lab } from "./lab";

/** What a continuous ping from rw to node saw while something ran. */
export interface PingWindow<T> {
  readonly result: T;
  readonly sent: number;
  /** Sequence numbers that never got a reply (excluding the last ones still in flight when the ping stopped). */
  readonly lost: readonly number[];
  readonly ms: number;
}

const INTERVAL_S = 0.05;
/** Echo requests sent in the last 200 ms before the stop may legitimately still be in flight. */
const IN_FLIGHT = 4;

/** Parses ping's per-packet lines: the replied sequence numbers and the highest one sent. */
export function pingLoss(text: string): { sent: number; lost: number[] } {
  const replied = new Set<number>();
  for (const m of text.matchAll(/bytes from [^:]+: icmp_seq=(\d+)/g)) replied.add(Number(m[1]));
  const sent = Number(/(\d+) packets transmitted/.exec(text)?.[1] ?? 0);
  const lost: number[] = [];
  for (let seq = 1; seq <= sent - IN_FLIGHT; seq++) if (!replied.has(seq)) lost.push(seq);
  return { sent, lost };
}

/**
 * Runs `fn` while rw pings node from its virtual IP every 50 ms through the tunnel, and reports every echo
 * request that went unanswered.
 */
export async function pingWhile<T>(lab: Lab, fn: () => Promise<T>): Promise<PingWindow<T>> {
  const rw = lab.host("rw");
  const vip = await rwVip(lab);
  if (!vip) throw new Error("rw has no virtual IP: the tunnel is down before the ping started");
  const pid = (
    await sh(rw, `setsid ping -n -i ${INTERVAL_S} -W 2 -I ${vip} ${lab.layout.addrs.node} </dev/null >/tmp/stage2-hitless.log 2>&1 & echo $!`)
  ).trim();
  const t0 = Date.now();
  await new Promise((r) => setTimeout(r, 300));
  let result: T;
  try {
    result = await fn();
  } finally {
    await new Promise((r) => setTimeout(r, 500));
    await rw.exec(`kill -INT ${pid}; for i in $(seq 40); do kill -0 ${pid} 2>/dev/null || break; sleep 0.05; done`);
  }
  const text = await sh(rw, "cat /tmp/stage2-hitless.log");
  return { result, ...pingLoss(text), ms: Date.now() - t0 };
}

/** rw's CHILD_SA SPIs ("in/out"), the identity of its tunnel across reloads. */
export async function rwChildSpis(lab: Lab): Promise<string> {
  const sa = (await listSas(lab.host("rw"), lab.layout.rw.conn)).find((s) => s.state === "ESTABLISHED");
  const child = sa?.children.find((c) => c.state === "INSTALLED");
  return child ? `${child.spiIn}/${child.spiOut}` : "none";
}
