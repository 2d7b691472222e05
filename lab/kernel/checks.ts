import { PATIENT_GOBGP } from "../peers";
import { POOL_WITHOUT_IPSEC } from "../../components/nftables/render";
import { contains } from "../../components/model/net";
import { labShell } from "../../doctor/lab-shell";
import { runChecks as runDoctor } from "../../doctor/run";
import { DoctorContext } from "../../doctor/types";
import { unitsCheck } from "../../doctor/checks/units";
import { GATEWAY_CHECKS } from "../checks";
import { LabHost } from "../host";
import type { KernelLab } from "./kernel-lab";
import { LabLayout, Role } from "../layout";
import { IkeSa, parseSas } from "../../doctor/parse-sas";

/** One fact about the running kernel lab: pass or fail, with the evidence it was judged on. */
export interface CheckResult {
  readonly name: string;
  readonly ok: boolean;
  readonly evidence: string;
}

/** The lab-only observation table: counts decrypted packets from the pool in the forward hook, no verdicts. */
export const OBSERVE_TABLE = "inet stage2-lab-observe";
const OBSERVE_COMMENT = "lab: decrypted from the pool";

export function renderObserveTable(pool: string): string {
  return [
    `table ${OBSERVE_TABLE} {}`,
    `delete table ${OBSERVE_TABLE}`,
    `table ${OBSERVE_TABLE} {`,
    "\tchain forward {",
    "\t\ttype filter hook forward priority filter - 10; policy accept;",
    `\t\tmeta ipsec exists ip saddr ${pool} counter comment "${OBSERVE_COMMENT}"`,
    "\t}",
    "}",
    "",
  ].join("\n");
}

/** Packets counted by the rule with this comment in `nft -j list ruleset` output (undefined when absent). */
export function counterOf(nftJson: string, comment: string): number | undefined {
  const doc = JSON.parse(nftJson) as { nftables: Array<{ rule?: { comment?: string; expr?: Array<{ counter?: { packets: number } }> } }> };
  for (const item of doc.nftables) {
    if (item.rule?.comment !== comment) continue;
    const counter = item.rule.expr?.find((e) => e.counter)?.counter;
    if (counter) return counter.packets;
  }
  return undefined;
}

async function out(host: LabHost, script: string, timeoutMs = 60_000): Promise<string> {
  const res = await host.exec(script, { timeoutMs });
  return res.stdout + (res.code === 0 ? "" : `\n(exit ${res.code}) ${res.stderr.trim()}`);
}

const pingOk = (text: string, count: number): boolean => new RegExp(`${count} packets transmitted, ${count} received`).test(text);
const pingLine = (text: string): string => text.split("\n").find((l) => l.includes("packets transmitted")) ?? text.trim().slice(-200);

/** All checks of the kernel lab, in one boot; each host is asked as few times as possible (an SSH command costs on TCG). */
export async function runKernelChecks(layout: LabLayout, hosts: ReadonlyMap<Role, LabHost>, doctor: DoctorContext): Promise<CheckResult[]> {
  const host = (role: Role): LabHost => {
    const h = hosts.get(role);
    if (!h) throw new Error(`no ${role} host`);
    return h;
  };
  const gw = host("gw");
  const rw = host("rw");
  const node = host("node");
  const results: CheckResult[] = [];
  const add = (name: string, ok: boolean, evidence: string): void => void results.push({ name, ok, evidence: evidence.trim() });
  const fip = layout.addrs.floatingIp;
  const wgIf = layout.wg?.interface ?? "wg0";

  // The gateway's dataplane (its units are doctor's: the units check below).
  const dataplane = await out(
    gw,
    "swanctl --stats | grep -m1 'loaded plugins'; ip -br link show ipsec0 2>&1 | head -1; ip -d link show " +
      wgIf +
      " | grep -o 'wireguard' | head -1; [ -d /sys/module/wireguard ] && echo module:wireguard; [ -d /sys/module/esp4 ] && echo module:esp4",
  );
  const plugins = dataplane.split("\n").find((l) => l.includes("loaded plugins")) ?? "";
  add(
    "gw: kernel IPsec dataplane (kernel-netlink, no kernel-libipsec, no ipsec0, esp4 loaded)",
    / kernel-netlink /.test(plugins) && !plugins.includes("kernel-libipsec") && /does not exist/.test(dataplane) && dataplane.includes("module:esp4"),
    plugins.replace(/.*loaded plugins: /, "plugins: ").slice(0, 160) + " ...",
  );
  add(
    "gw: WireGuard on the kernel module",
    // wireguard-go would show a tun device here instead.
    dataplane.includes("\nwireguard\n") && dataplane.includes("module:wireguard"),
    `${wgIf}: ${dataplane.includes("\nwireguard\n") ? "type wireguard" : "not a wireguard link"}, /sys/module/wireguard ${dataplane.includes("module:wireguard") ? "present" : "absent"}`,
  );

  // The road warrior's tunnel in the kernel's XFRM.
  const gwSas = parseSas(await out(gw, "swanctl --list-sas --raw"));
  const rwSas = parseSas(await out(rw, "swanctl --list-sas --raw"));
  const gwRw: IkeSa | undefined = gwSas.find((s) => s.name === layout.rw.conn && s.state === "ESTABLISHED");
  add(
    "gw: road warrior's IKE SA on the floating IP with NAT-T",
    !!gwRw && gwRw.localHost === fip && gwRw.natRemote && gwRw.remotePort !== "500",
    gwRw
      ? `local ${gwRw.localHost}[${gwRw.localPort}] remote ${gwRw.remoteHost}[${gwRw.remotePort}] nat-remote=${gwRw.natRemote}`
      : `no ESTABLISHED ${layout.rw.conn} SA (${gwSas.map((s) => `${s.name}:${s.state}`).join(", ") || "none"})`,
  );
  const vip = rwSas.flatMap((s) => s.localVips)[0];
  add("rw: virtual IP from the pool", !!vip && contains(layout.rw.pool, vip), vip ? `${vip} in ${layout.rw.pool}` : "no virtual IP");

  // Traffic: rw → node through the tunnel, counted by `meta ipsec exists`; node's way back learned over BGP.
  await out(gw, `nft -f - <<'EOF'\n${renderObserveTable(layout.rw.pool)}EOF`);
  const before = counterOf(await out(gw, "nft -j list ruleset"), OBSERVE_COMMENT) ?? -1;
  const wgBefore = await out(gw, `cat /sys/class/net/${wgIf}/statistics/rx_packets /sys/class/net/${wgIf}/statistics/tx_packets`);
  const ping = await out(rw, `ping -c 5 -i 0.2 -W 3 ${layout.addrs.node}`);
  const after = counterOf(await out(gw, "nft -j list ruleset"), OBSERVE_COMMENT) ?? -1;
  const wgAfter = await out(gw, `cat /sys/class/net/${wgIf}/statistics/rx_packets /sys/class/net/${wgIf}/statistics/tx_packets`);
  add("rw reaches node through the tunnel", pingOk(ping, 5), pingLine(ping));
  add("gw: `meta ipsec exists` counts the road warrior's decrypted packets", before >= 0 && after - before >= 5, `counter ${before} → ${after}`);
  add("IPsec packets never cross wg0", wgBefore === wgAfter, `${wgIf} rx/tx packets ${wgBefore.replace("\n", "/")} → ${wgAfter.replace("\n", "/")}`);
  const bgp = await out(node, `${PATIENT_GOBGP}\ngobgp global rib -a ipv4; ip route show proto bgp; ping -c 3 -i 0.2 -W 3 ${vip ?? "0.0.0.0"}`);
  // A best path covering the virtual IP, from gw: the pool announced whole, or the /32 learned from table 220.
  const best = bgp.split("\n").find(
    (l) =>
      vip &&
      l.startsWith("*>") &&
      l
        .split(/\s+/)
        .slice(1, 3)
        .some((f) => f.includes("/") && contains(f, vip)) &&
      l.includes(layout.bgp.gatewayAddr),
  );
  add(
    "node learned the road warrior's route over BGP (gobgpd RIB)",
    !!best,
    best ? `RIB: ${best.replace(/\s+/g, " ").trim()}` : "no best path from gw covering the virtual IP",
  );
  add("node reaches rw back", pingOk(bgp, 3), pingLine(bgp));

  // A packet from the pool that did not come through IPsec: sent from the internet side, dropped and counted.
  const drop = async (): Promise<number> => counterOf(await out(gw, "nft -j list table inet stage2"), POOL_WITHOUT_IPSEC) ?? -1;
  const dropBefore = await drop();
  const spoof = "10.3.0.250";
  const internet = host("internet");
  await out(
    internet,
    `ip addr add ${spoof}/32 dev lo; ip route replace ${layout.addrs.node}/32 via ${layout.addrs.gwPublic} dev to-gw; ping -c 2 -i 0.2 -W 1 -I ${spoof} ${layout.addrs.node}; ip route del ${layout.addrs.node}/32; ip addr del ${spoof}/32 dev lo`,
  );
  const dropAfter = await drop();
  add(
    "a pool-sourced packet without IPsec is dropped and counted",
    dropBefore >= 0 && dropAfter - dropBefore >= 2,
    `"${POOL_WITHOUT_IPSEC}" counter ${dropBefore} → ${dropAfter}`,
  );

  if (layout.site && hosts.has("sitehost")) {
    const site = await out(host("sitehost"), `ping -c 3 -i 0.2 -W 3 ${layout.addrs.node}`);
    add("site's LAN host reaches node", pingOk(site, 3), pingLine(site));
  }
  if (layout.wg && hosts.has("wgpeer")) {
    const wg = await out(host("wgpeer"), `ping -c 3 -i 0.2 -W 3 ${layout.wg.gatewayTunnel}`);
    const hs = await out(gw, `wg show ${wgIf} latest-handshakes`);
    const stamp = Number(hs.trim().split(/\s+/)[1] ?? 0);
    add("WireGuard handshake up and wgpeer reaches gw", pingOk(wg, 3) && stamp > 0, `${pingLine(wg)}; latest handshake ${stamp}`);
  }

  // The gateway side as doctor sees it (XFRM states and policies, table 220, BIRD's exports, the pools), after the
  // peers' traffic above: one implementation for doctor and both labs.
  for (const f of await runDoctor([unitsCheck, ...GATEWAY_CHECKS], doctor))
    add(`gw: doctor ${f.check} ${f.subject ?? ""}`.trim(), f.status === "ok", `${f.status.toUpperCase()} ${f.what}${f.fix ? `; fix: ${f.fix}` : ""}`);
  return results;
}

/** How much longer a probe may take in the emulated VM than on a gateway. */
export const EMULATION_SLOWDOWN = 6;

/** What doctor needs to judge the kernel lab's gateway: its model as converged, the plan, a shell over the VM's SSH. */
export function kernelDoctorContext(lab: KernelLab): DoctorContext {
  const plan = lab.plan();
  const host = lab.hosts.get("gw");
  if (!host) throw new Error("the kernel lab has no gw host");
  return {
    gateway: lab.gateway,
    render: { floatingIp: lab.layout.addrs.floatingIp },
    plan,
    // TCG emulates every instruction, and runs several times slower again while CI's other tests share the 2 cores.
    shell: labShell(host, EMULATION_SLOWDOWN),
    secrets: plan.concerns.flatMap((c) => c.files.filter((f) => f.secret).map((f) => f.content)),
    now: new Date(),
  };
}

export function formatChecks(results: readonly CheckResult[]): string {
  return results.map((r) => `  ${r.ok ? "PASS" : "FAIL"}  ${r.name}\n        ${r.evidence}`).join("\n") + "\n";
}
