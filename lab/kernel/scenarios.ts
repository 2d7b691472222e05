import { pingLoss } from "../hitless";
import * as crypto from "crypto";
import * as net from "net";
import { HostPlan } from "../../components/host/types";
import { GatewayModel } from "../../components/model/gateway";
import { ConvergeError } from "../converge";
import { LabHost } from "../host";
import { parseSas } from "../../doctor/parse-sas";
import { CheckResult } from "./checks";
import { KernelLab } from "./kernel-lab";

const host = (lab: KernelLab, role: "gw" | "rw"): LabHost => lab.hosts.get(role) as LabHost;

async function stdout(h: LabHost, script: string, timeoutMs = 60_000): Promise<string> {
  return (await h.exec(script, { timeoutMs })).stdout;
}

/**
 * The VM is sealed: it has no route off its management /24, and a connection it opens to the machine (qemu's host
 * alias, where a listener waits on 127.0.0.1) never arrives: restrict=on drops it inside qemu.
 */
export async function sealedCheck(lab: KernelLab, mgmtHostAlias: string): Promise<CheckResult> {
  let arrived = 0;
  const server = net.createServer((s) => {
    arrived++;
    s.destroy();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as net.AddressInfo).port;
  try {
    const out = await stdout(
      host(lab, "gw"),
      `ip route show dev mgmt0; ip route show table all dev mgmt0 | grep -c . ; timeout 5 bash -c 'echo > /dev/tcp/${mgmtHostAlias}/${port}' && echo CONNECTED || echo refused`,
    );
    const routes = out.split("\n").filter((l) => / dev mgmt0| proto kernel/.test(l) && !/^(local|broadcast) /.test(l));
    const onlyLink = routes.every((l) => /scope link/.test(l) && !l.startsWith("default"));
    const ok = out.includes("refused") && !out.includes("CONNECTED") && arrived === 0 && onlyLink;
    return {
      name: "VM sealed: no route off the management link, no connection reaches the machine",
      ok,
      evidence: `routes on mgmt0: ${routes.join("; ") || "none"}; connect to ${mgmtHostAlias}:${port} → ${out.includes("CONNECTED") ? "connected" : "refused"}, listener saw ${arrived}`,
    };
  } finally {
    server.close();
  }
}

/** SPIs of the road warrior's CHILD_SA on the gateway ("in/out"). */
export async function rwSpis(lab: KernelLab): Promise<string> {
  const sas = parseSas(await stdout(host(lab, "gw"), "swanctl --list-sas --raw"));
  const child = sas.find((s) => s.name === lab.layout.rw.conn)?.children[0];
  return child ? `${child.spiIn}/${child.spiOut}` : "none";
}

/** The lab stack changed in BIRD (hold time), nftables (one more sshFrom prefix) and one more site connection. */
export function changedGateway(gw: GatewayModel): GatewayModel {
  const site = gw.ipsec.sites[0];
  return {
    ...gw,
    sshFrom: [...gw.sshFrom, "192.0.2.64/28"],
    bgp: gw.bgp ? { ...gw.bgp, holdTime: gw.bgp.holdTime === 60 ? 90 : 60 } : gw.bgp,
    ipsec: {
      ...gw.ipsec,
      sites: site ? [...gw.ipsec.sites, { ...site, name: "extra", remoteAddrs: ["198.51.100.77"], remoteTs: ["10.21.0.0/24"] }] : gw.ipsec.sites,
    },
  };
}

export interface HitlessResult {
  readonly activatedUnchanged: number;
  readonly activatedChanged: readonly string[];
  readonly transmitted: number;
  readonly received: number;
  readonly spisBefore: string;
  readonly spisAfter: string;
  readonly seconds: number;
}

/**
 * While the road warrior pings the gateway's private address through the tunnel every 0.2 s, re-converge (a) the
 * unchanged stack, (b) a changed one (BIRD, nftables, one more connection: `systemctl reload`), then (c) back.
 */
export async function hitless(lab: KernelLab): Promise<HitlessResult> {
  const rw = host(lab, "rw");
  const target = lab.layout.addrs.gwPrivate;
  const t0 = Date.now();
  const spisBefore = await rwSpis(lab);
  await stdout(rw, `setsid ping -i 0.2 -W 1 ${target} </dev/null >/tmp/hitless.log 2>&1 & echo $! > /tmp/hitless.pid`);
  try {
    const unchanged = await lab.converge();
    const changed = await lab.converge(lab.plan(changedGateway(lab.gateway)));
    await lab.converge();
    return {
      activatedUnchanged: unchanged.activated,
      activatedChanged: changed.results.filter((r) => r.status === "activated").map((r) => r.concern),
      ...(await stopPing()),
      spisBefore,
      spisAfter: await rwSpis(lab),
      seconds: (Date.now() - t0) / 1000,
    };
  } finally {
    await rw.exec("[ -f /tmp/hitless.pid ] && kill -INT $(cat /tmp/hitless.pid) 2>/dev/null; true");
  }

  // Stopped 3 s after the last converge; the replies to the last IN_FLIGHT pings may still be on their way (under CI's
  // load one took over a second), so those are not judged.
  async function stopPing(): Promise<{ transmitted: number; received: number }> {
    return settledPings(await stdout(rw, "sleep 3; kill -INT $(cat /tmp/hitless.pid); sleep 1; rm -f /tmp/hitless.pid; cat /tmp/hitless.log"), IN_FLIGHT);
  }
}

/** The pings sent 0.2 s apart in the last 2 s before the stop. */
const IN_FLIGHT = 10;

/** From a ping log: the pings sent before the last `inFlight`, and how many of those got a reply. */
export function settledPings(log: string, inFlight: number): { transmitted: number; received: number } {
  const { sent, lost } = pingLoss(log, inFlight);
  const settled = Math.max(sent - inFlight, 0);
  return { transmitted: settled, received: settled - lost.length };
}

export interface FaultResult {
  readonly concern: string;
  /** The converge's error: the apply script's message, which carries the daemon's own. */
  readonly message: string;
  readonly fileUnchanged: boolean;
  readonly stillActive: string;
}

const sha = (text: string): string => crypto.createHash("sha256").update(text).digest("hex");

/** Replaces one file's content in a concern of the plan: a config the daemon rejects. */
function breakFile(plan: HostPlan, concern: string, path: string, edit: (content: string) => string): HostPlan {
  return {
    ...plan,
    concerns: plan.concerns
      .filter((c) => c.name === concern)
      .map((c) => ({ ...c, files: c.files.map((f) => (f.path === path ? { ...f, content: edit(f.content) } : f)) })),
  };
}

/**
 * Faults: BIRD's parser rejects bird.conf before the swap (validate), and charon rejects swanctl.conf on
 * `systemctl reload strongswan` (after the swap, so the script restores the previous file and reloads again).
 * Each returns the error and whether the previous config stayed active.
 */
export async function faults(lab: KernelLab): Promise<FaultResult[]> {
  const gw = host(lab, "gw");
  const cases = [
    {
      concern: "bird",
      path: "/etc/bird/bird.conf",
      edit: (c: string) => c + "protocol bgp broken {\n\tlocal as 65010;\n\tneighbor 10.0.1.9 as;\n}\n",
      active: "birdc show protocols | grep -E '^bgp' | head -3",
    },
    {
      concern: "swanctl",
      path: "/etc/swanctl/swanctl.conf",
      edit: (c: string) => c.replace(/proposals = [^\n]+/, "proposals = aes256-nosuchprf-modp2048"),
      active: "swanctl --list-conns | grep -E '^[a-z]+:' | head -5; swanctl --list-sas | grep -E 'ESTABLISHED|INSTALLED' | head -4",
    },
  ];
  const results: FaultResult[] = [];
  for (const c of cases) {
    const before = await stdout(gw, `cat ${c.path}`);
    let message = "(the converge succeeded)";
    try {
      await lab.converge(breakFile(lab.plan(), c.concern, c.path, c.edit));
    } catch (e) {
      message = e instanceof ConvergeError ? e.output : (e as Error).message;
    }
    const after = await stdout(gw, `cat ${c.path}`);
    results.push({ concern: c.concern, message, fileUnchanged: sha(before) === sha(after), stillActive: await stdout(gw, c.active) });
  }
  return results;
}
