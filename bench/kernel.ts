import { GatewayModel } from "../components/model/gateway";
import { pingLoss } from "../lab/hitless";
import { LabHost } from "../lab/host";
import { kernelChecks } from "../lab/kernel";
import { KernelLab, kernelLabUp } from "../lab/kernel/kernel-lab";
import { parseSas } from "../doctor/parse-sas";
import { benchLab, formatLabFigures, LabFigures, recovery, Recovery } from "./lab";

/** rw pings the gateway's private address (through the tunnel) every 0.2 s: TCG is slower than the namespace lab. */
const INTERVAL_S = 0.2;

async function pingDuring(lab: KernelLab, fn: () => Promise<unknown>): Promise<{ sent: number; lost: number; ms: number }> {
  const rw = lab.hosts.get("rw") as LabHost;
  const pid = (
    await rw.exec(`setsid ping -n -i ${INTERVAL_S} -W 2 ${lab.layout.addrs.gwPrivate} </dev/null >/tmp/stage2-bench.log 2>&1 & echo $!`)
  ).stdout.trim();
  const t0 = Date.now();
  try {
    await fn();
  } finally {
    await new Promise((r) => setTimeout(r, 1000));
    await rw.exec(`kill -INT ${pid}; for i in $(seq 40); do kill -0 ${pid} 2>/dev/null || break; sleep 0.05; done`);
  }
  const loss = pingLoss((await rw.exec("cat /tmp/stage2-bench.log")).stdout);
  return { sent: loss.sent, lost: loss.lost.length, ms: Date.now() - t0 };
}

const oneMoreSite = (gw: GatewayModel): GatewayModel => {
  const site = gw.ipsec.sites[0];
  return site
    ? { ...gw, ipsec: { ...gw.ipsec, sites: [...gw.ipsec.sites, { ...site, name: "bench", remoteAddrs: ["198.51.100.78"], remoteTs: ["10.22.0.0/24"] }] } }
    : gw;
};
const holdTime = (gw: GatewayModel): GatewayModel => (gw.bgp ? { ...gw, bgp: { ...gw.bgp, holdTime: gw.bgp.holdTime === 60 ? 90 : 60 } } : gw);

async function rwEstablished(lab: KernelLab, timeoutMs: number): Promise<boolean> {
  const gw = lab.hosts.get("gw") as LabHost;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const sas = parseSas((await gw.exec("swanctl --list-sas --raw")).stdout);
    if (sas.some((s) => s.name === lab.layout.rw.conn && s.state === "ESTABLISHED" && s.children.length > 0)) return true;
    await new Promise((r) => setTimeout(r, 1000));
  }
  return false;
}

export interface KernelFigures extends LabFigures {
  /** qemu start → the VM's sshd answers. */
  readonly bootMs: number;
}

/** VM boot → all checks green, then the namespace lab's figures measured on the kernel dataplane with systemd. */
export async function benchKernel(): Promise<KernelFigures> {
  const t0 = Date.now();
  const lab = await kernelLabUp({ name: "bench" });
  const upMs = Date.now() - t0;
  try {
    const t1 = Date.now();
    const checks = await kernelChecks(lab);
    const checkMs = Date.now() - t1;
    const t2 = Date.now();
    const noop = await lab.converge();
    const noopMs = Date.now() - t2;
    const reload = await pingDuring(lab, () => lab.converge(lab.plan(oneMoreSite(lab.gateway))));
    const bgpRestart = await pingDuring(lab, () => lab.converge(lab.plan(holdTime(oneMoreSite(lab.gateway)))));
    const gw = lab.hosts.get("gw") as LabHost;
    let restartRecovery: Recovery = "not back";
    const restart = await pingDuring(lab, async () => {
      await gw.exec("systemctl restart strongswan");
      const rw = lab.hosts.get("rw") as LabHost;
      restartRecovery = await recovery(
        (ms) => rwEstablished(lab, ms),
        () => rw.exec(`swanctl --initiate --child ${lab.layout.rw.conn} --timeout 30`, { timeoutMs: 40_000 }),
        30_000,
      );
    });
    return {
      bootMs: (lab.timings.boot ?? 0) * 1000,
      upMs,
      checkMs,
      failed: checks.filter((c) => !c.ok).map((c) => c.name),
      noopMs,
      noopActivated: noop.activated,
      reload,
      bgpRestart,
      restart,
      restartRecovery,
    };
  } finally {
    await lab.stop();
  }
}

function sideBySide(ns: LabFigures, k: KernelFigures): string[] {
  const lost = (w: LabFigures["reload"]) => `${w.lost}/${w.sent} lost`;
  const rows: [string, string, string][] = [
    [
      "cold up → all checks green",
      `${((ns.upMs + ns.checkMs) / 1000).toFixed(1)} s`,
      `${((k.upMs + k.checkMs) / 1000).toFixed(1)} s (VM boot ${(k.bootMs / 1000).toFixed(1)} s)`,
    ],
    [
      "no-op re-converge",
      `${(ns.noopMs / 1000).toFixed(2)} s, ${ns.noopActivated} activations`,
      `${(k.noopMs / 1000).toFixed(2)} s, ${k.noopActivated} activations`,
    ],
    ["hitless reload", lost(ns.reload), lost(k.reload)],
    ["BGP hold time changed", lost(ns.bgpRestart), lost(k.bgpRestart)],
    ["charon restart", `${lost(ns.restart)} (${ns.restartRecovery})`, `${lost(k.restart)} (${k.restartRecovery})`],
  ];
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max("namespace lab".length, ...rows.map((r) => r[1].length));
  const line = (r: readonly string[]) => `  ${r[0].padEnd(w0)}  ${r[1].padEnd(w1)}  ${r[2]}`;
  return ["side by side (one run):", line(["", "namespace lab", "kernel lab"]), ...rows.map(line)];
}

/** Called by bench/index.ts: both labs in one run, their figures side by side (the namespace lab's from this run). */
export async function bench(namespace?: LabFigures): Promise<void> {
  const kernel = await benchKernel();
  const ns = namespace ?? (await benchLab());
  const labels = { label: "kernel lab (Debian's kernel + systemd in qemu TCG)", ping: `rw pings gw's private address every ${INTERVAL_S * 1000} ms` };
  console.log([...formatLabFigures(kernel, labels), ...sideBySide(ns, kernel)].join("\n"));
}
