import { renderApplyScript } from "../../components/host/apply-script";
import { encodePayload } from "../../components/host/payload";
import type { Concern } from "../../components/host/types";
import { sh } from "../host";
import type { DatLine } from "./corpus";
import type { ScenarioHost } from "./topology";

/**
 * pretest.dat, step by step: `systemctl start strongswan` becomes the host's converge (stage2's apply script in its
 * "direct" form, the files on stdin: validate → swap → charon started → `swanctl --load-all`), `expect-connection`
 * waits until charon has loaded the connection, the corpus's source-NAT rules become nftables rules, and swanctl
 * and file commands run as written. The corpus's firewall (iptables-restore) is not reproduced.
 */

export interface Step {
  readonly line: DatLine;
  readonly outcome: "done" | "failed" | "skipped";
  readonly detail: string;
}

export interface PretestContext {
  readonly hosts: ReadonlyMap<string, ScenarioHost>;
  readonly concerns: ReadonlyMap<string, Concern>;
}

const START = /^systemctl start strongswan$/;
const IPV4 = "\\d+\\.\\d+\\.\\d+\\.\\d+";
const SNAT = new RegExp(`^iptables -t nat -A POSTROUTING -o (\\S+) -s (\\S+) -p (udp|tcp) -j SNAT --to-source (${IPV4})(?::(\\d+-\\d+))?$`);
const DNAT = new RegExp(`^iptables -t nat -A PREROUTING -i (\\S+) -s (\\S+) -p (udp|tcp) -j DNAT --to-destination (${IPV4})$`);

/** The corpus's `iptables -t nat` SNAT/DNAT lines as nftables rules with the same match and translation. */
export function natRule(command: string): { chain: "postrouting" | "prerouting"; rule: string } | undefined {
  const s = SNAT.exec(command);
  if (s) {
    const [, oif, src, proto, to, ports] = s;
    return { chain: "postrouting", rule: `oifname "${oif}" ip saddr ${src} meta l4proto ${proto} snat ip to ${to}${ports ? `:${ports}` : ""}` };
  }
  const d = DNAT.exec(command);
  if (d) {
    const [, iif, src, proto, to] = d;
    return { chain: "prerouting", rule: `iifname "${iif}" ip saddr ${src} meta l4proto ${proto} dnat ip to ${to}` };
  }
  return undefined;
}

const NAT_TABLE = [
  "add table ip nat",
  "add chain ip nat prerouting { type nat hook prerouting priority dstnat; policy accept; }",
  "add chain ip nat postrouting { type nat hook postrouting priority srcnat; policy accept; }",
].join("; ");

export async function convergeHost(host: ScenarioHost, concern: Concern): Promise<string> {
  const res = await host.exec(renderApplyScript(concern, "direct"), { input: encodePayload(concern.files), timeoutMs: 60_000 });
  const out = (res.stdout + res.stderr).trim();
  if (res.code !== 0 || !/^stage2: [a-z0-9-]+: (activated|unchanged)$/m.test(res.stdout)) throw new Error(`converge of ${host.role} failed: ${out}`);
  return out
    .split("\n")
    .filter((l) => l.startsWith("stage2:"))
    .join("; ");
}

async function waitForConnection(host: ScenarioHost, conn: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const r = await host.exec("swanctl --list-conns --raw");
    if (r.code === 0 && new RegExp(`\\b${conn.replace(/[^A-Za-z0-9_-]/g, "")} \\{`).test(r.stdout.replace(/list-conn event \{/g, ""))) return;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`${host.role}: connection ${conn} not loaded after ${timeoutMs} ms`);
}

async function step(line: DatLine, ctx: PretestContext): Promise<Step> {
  const host = ctx.hosts.get(line.host);
  const c = line.command;
  if (!host) return { line, outcome: "skipped", detail: `host ${line.host} is not part of the lab's corpus network` };
  if (/^iptables-restore\b/.test(c))
    return { line, outcome: "skipped", detail: "the corpus's firewall rules are not reproduced (the lab's hosts filter nothing)" };
  try {
    if (START.test(c)) {
      const concern = ctx.concerns.get(line.host);
      if (!concern) throw new Error(`${line.host} has no configuration in this scenario`);
      return { line, outcome: "done", detail: await convergeHost(host, concern) };
    }
    const expect = /^expect-connection (\S+)$/.exec(c);
    if (expect) {
      await waitForConnection(host, expect[1]);
      return { line, outcome: "done", detail: "loaded" };
    }
    const nat = natRule(c);
    if (nat) {
      await sh(host, `nft '${NAT_TABLE}'\nnft add rule ip nat ${nat.chain} '${nat.rule}'`);
      return { line, outcome: "done", detail: `nft ${nat.chain}: ${nat.rule}` };
    }
    if (/^iptables\b/.test(c)) return { line, outcome: "skipped", detail: "an iptables rule the runner does not translate" };
    if (/^(swanctl\b|sleep\b|cat\b|cd \/etc\/swanctl; rm\b|rm \/etc\/swanctl\/|ip route add\b)/.test(c)) {
      const r = await host.exec(c, { timeoutMs: 40_000 });
      const out = (r.stdout + r.stderr).trim();
      return { line, outcome: "done", detail: `exit ${r.code}${out ? `: ${out.split("\n").slice(-2).join(" | ").slice(0, 300)}` : ""}` };
    }
    return { line, outcome: "skipped", detail: "command kind the runner does not run" };
  } catch (e) {
    return { line, outcome: "failed", detail: (e as Error).message };
  }
}

/** Runs the steps in order; consecutive starts run in parallel, like the corpus harness's hosts booting. */
export async function runPretest(lines: readonly DatLine[], ctx: PretestContext): Promise<Step[]> {
  const steps: Step[] = [];
  for (let i = 0; i < lines.length;) {
    let j = i;
    while (j < lines.length && START.test(lines[j].command)) j++;
    if (j > i) {
      steps.push(...(await Promise.all(lines.slice(i, j).map((l) => step(l, ctx)))));
      i = j;
      continue;
    }
    steps.push(await step(lines[i], ctx));
    i++;
  }
  return steps;
}
