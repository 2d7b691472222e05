import { spawn } from "child_process";
import * as path from "path";
import { renderApplyScript, Step, STEP_HOOK, STATE_ROOT } from "../components/host/apply-script";
import { encodePayload } from "../components/host/payload";
import { Concern, HostPlan, ServiceManager } from "../components/host/types";
import { GatewayModel } from "../components/model/gateway";
import { planGateway } from "../components/plan";
import { ConvergeResult } from "./converge";
import { RunResult } from "./exec";
import { rwChildSpis } from "./hitless";
import { LabHost, sh } from "./host";
import { Fault, interruptedScript, PAUSED_FILE } from "./interrupt-hook";
import { Lab } from "./lab";
import { issueLabPki } from "./pki";
import { baseArgs, sshRun } from "./ssh";

/**
 * The fault suite, for both labs: a converge of the gateway stopped at one step of one concern's apply script
 * (SIGKILL, or the SSH connection closing), then an ordinary converge. It must end with the new configuration in
 * the daemons, no staging or pending journal entry on the gateway, and the road warrior's CHILD_SA on the SPIs it
 * had (its connection never changes here).
 */

export interface InterruptCase {
  /** The concern whose apply script is interrupted. */
  readonly concern: string;
  readonly at: Step;
  readonly how: Fault;
}

export interface InterruptOutcome extends InterruptCase {
  /** What the interrupted run printed (its exit code, its last lines). */
  readonly interrupted: string;
  /** Empty when the case recovered. */
  readonly problems: readonly string[];
  readonly ms: number;
}

/** What the suite needs of a lab: the gateway's shell, its converge, and SSH to it as a converge runs it. */
export interface FaultLab {
  readonly manager: ServiceManager;
  readonly gw: LabHost<string>;
  /** The gateway as the lab converged it. */
  readonly model: GatewayModel;
  plan(gw: GatewayModel): HostPlan;
  converge(gw: GatewayModel): Promise<ConvergeResult>;
  /** One command over the lab's own SSH connection to the gateway, `input` on stdin. */
  run(command: string, input: string): Promise<RunResult>;
  /** ssh's argv for `command` on the gateway over a connection of its own (no multiplexing: killing it closes it). */
  sshArgv(command: string): string[];
  /** The road warrior's CHILD_SA SPIs ("none" without one). */
  rwSpis(): Promise<string>;
}

/**
 * The namespace lab: every step by both faults (twelve cases), spread over three concerns so that each gets the
 * steps where its script differs: swanctl's three-file swap and its reload rolled back, WireGuard's state derived
 * on activation and undone on rollback, nftables before the swap.
 */
export const NAMESPACE_CASES: readonly InterruptCase[] = [
  { concern: "nftables", at: "staged", how: "kill" },
  { concern: "wireguard", at: "staged", how: "close" },
  { concern: "nftables", at: "validated", how: "kill" },
  { concern: "nftables", at: "validated", how: "close" },
  { concern: "swanctl", at: "swapping", how: "kill" },
  { concern: "wireguard", at: "swapped", how: "kill" },
  { concern: "swanctl", at: "swapping", how: "close" },
  { concern: "nftables", at: "swapped", how: "close" },
  { concern: "wireguard", at: "activating", how: "kill" },
  { concern: "swanctl", at: "activating", how: "close" },
  { concern: "swanctl", at: "rollback", how: "kill" },
  { concern: "wireguard", at: "rollback", how: "close" },
];

/**
 * The kernel lab (each case costs a converge on an emulated VM): every step once, the faults alternating. swanctl
 * where systemd acts (`systemctl reload strongswan` and its rollback) and for the three-file swap; WireGuard
 * (wg-quick@wg0 on the kernel module) before activation.
 */
export const KERNEL_CASES: readonly InterruptCase[] = [
  { concern: "wireguard", at: "staged", how: "close" },
  { concern: "wireguard", at: "validated", how: "kill" },
  { concern: "swanctl", at: "swapping", how: "close" },
  { concern: "wireguard", at: "swapped", how: "kill" },
  { concern: "swanctl", at: "activating", how: "close" },
  { concern: "swanctl", at: "rollback", how: "kill" },
];

const FLIP_SOURCE = "198.51.100.64/26";
const EXTRA_SITE = "extra";
const EXTRA_KEYS = ["lab-fault-extra-key-a", "lab-fault-extra-key-b"] as const;

/**
 * The configurations a suite flips between: the lab's own (even steps) and one that adds an SSH source
 * (nftables), lowers WireGuard's MTU and adds a site authenticated by certificate (odd steps). The site's
 * certificate and CA come from one of two PKIs in turn, so every flip to it changes three files of one concern
 * (swanctl.conf, the certificate, the CA) and the key (swanctl-secrets). The road warrior's connection never changes.
 */
export interface Flip {
  /** The configuration of step `n`: the lab's own when n is even. */
  to(gw: GatewayModel, n: number): GatewayModel;
  /** The added site's keys, beside the lab's secrets. */
  readonly secrets: Readonly<Record<string, string>>;
}

/** Issues the added site's two certificates (a CA each, in `dir`) and returns the flip. */
export async function makeFlip(dir: string): Promise<Flip> {
  const pkis = await Promise.all(
    EXTRA_KEYS.map((keySecret) =>
      issueLabPki(path.join(dir, keySecret), { gateways: [{ keySecret, subject: "CN=extra.lab.example", sans: ["extra.lab.example"] }], clients: [] }),
    ),
  );
  return {
    secrets: Object.fromEntries(EXTRA_KEYS.map((k, i) => [k, pkis[i].gateways[k].key])),
    to(gw, n) {
      if (n % 2 === 0) return gw;
      const site = gw.ipsec.sites[0];
      if (!site) throw new Error(`${gw.name} has no site to model the added one on`);
      const i = ((n - 1) / 2) % 2;
      const keySecret = EXTRA_KEYS[i];
      const extra = {
        ...site,
        name: EXTRA_SITE,
        remoteAddrs: ["198.51.100.77"],
        remoteTs: ["10.21.0.0/24"],
        auth: { kind: "pubkey" as const, cert: pkis[i].gateways[keySecret].cert, keySecret, peerCa: pkis[i].caCert, remoteId: "peer.extra.lab.example" },
      };
      return {
        ...gw,
        sshFrom: [...gw.sshFrom, FLIP_SOURCE],
        wireguard: { ...gw.wireguard, mtu: gw.wireguard.mtu - 20 },
        ipsec: { ...gw.ipsec, sites: [...gw.ipsec.sites, extra] },
      };
    },
  };
}

/** The daemon facts a flip changes, by the concern that makes them live: how to read one, and what a model wants. */
const FACTS = {
  nftables: {
    probe: () => `nft list ruleset | grep -q '${FLIP_SOURCE}' && echo "ssh from ${FLIP_SOURCE}" || echo "ssh not from ${FLIP_SOURCE}"`,
    want: (gw: GatewayModel) => `ssh ${gw.sshFrom.includes(FLIP_SOURCE) ? "" : "not "}from ${FLIP_SOURCE}`,
  },
  wireguard: {
    probe: (gw: GatewayModel) => `ip -o link show ${gw.wireguard.interface} | grep -o 'mtu [0-9]*'`,
    want: (gw: GatewayModel) => `mtu ${gw.wireguard.mtu}`,
  },
  swanctl: {
    probe: () => `swanctl --list-conns | grep -q '^${EXTRA_SITE}:' && echo "conn ${EXTRA_SITE}" || echo "no conn ${EXTRA_SITE}"`,
    want: (gw: GatewayModel) => `${gw.ipsec.sites.some((s) => s.name === EXTRA_SITE) ? "" : "no "}conn ${EXTRA_SITE}`,
  },
};
type Facts = Record<keyof typeof FACTS, string>;
const FACT_NAMES = Object.keys(FACTS) as (keyof typeof FACTS)[];
const factOf = (concern: string): keyof typeof FACTS => {
  const name = FACT_NAMES.find((n) => n === concern);
  if (!name) throw new Error(`the fault suite reads no daemon fact of ${concern}`);
  return name;
};

/** What the gateway's daemons run (the live ruleset, the link's MTU, charon's connections), reduced to what a flip changes. */
export async function running(fl: FaultLab, gw: GatewayModel): Promise<Facts> {
  const lines = (await sh(fl.gw, FACT_NAMES.map((n) => FACTS[n].probe(gw)).join("; "))).trim().split("\n");
  return Object.fromEntries(FACT_NAMES.map((n, i) => [n, lines[i] ?? "(nothing)"])) as Facts;
}

export function expected(gw: GatewayModel): Facts {
  return Object.fromEntries(FACT_NAMES.map((n) => [n, FACTS[n].want(gw)])) as Facts;
}

const show = (f: Facts, only: readonly (keyof Facts)[] = FACT_NAMES): string => only.map((n) => f[n]).join(", ");

/** The apply script's leftovers on the gateway: staging, pending entries, half-written files. */
export async function leftovers(fl: FaultLab): Promise<string> {
  return (await sh(fl.gw, `ls -d ${STATE_ROOT}/*/stage.* ${STATE_ROOT}/*/pending 2>/dev/null; find /etc -name '*.stage2-tmp' 2>/dev/null; true`)).trim();
}

const concernOf = (fl: FaultLab, gw: GatewayModel, name: string): Concern => {
  const concern = fl.plan(gw).concerns.find((x) => x.name === name);
  if (!concern) throw new Error(`${gw.name}'s plan has no ${name} concern`);
  return concern;
};

/** A concern's remote command and payload for a model, as the converge sends them. */
export function remote(fl: FaultLab, gw: GatewayModel, name: string): { script: string; payload: string; concern: Concern } {
  const concern = concernOf(fl, gw, name);
  return { script: renderApplyScript(concern, fl.manager), payload: encodePayload(concern.files), concern };
}

/**
 * Runs the concern's script over a connection of its own, stopped at `c.at`. For `close`, the script pauses there
 * and the client is killed with its process group (a ProxyCommand too).
 */
async function interruptedRun(fl: FaultLab, gw: GatewayModel, c: InterruptCase): Promise<string> {
  const { script, payload } = remote(fl, gw, c.concern);
  await sh(fl.gw, `rm -f ${PAUSED_FILE}`);
  const argv = fl.sshArgv(interruptedScript(script, c.at, c.how));
  const child = spawn(argv[0], argv.slice(1), { stdio: ["pipe", "pipe", "pipe"], detached: true });
  const killAll = () => {
    try {
      process.kill(-(child.pid as number), "SIGKILL");
    } catch {
      // already gone
    }
  };
  let out = "";
  child.stdout.on("data", (b: Buffer) => (out += b.toString()));
  child.stderr.on("data", (b: Buffer) => (out += b.toString().replace(/\.+/g, ".")));
  child.stdin.on("error", () => undefined);
  child.stdin.end(payload);
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  const deadline = Date.now() + 120_000;
  if (c.how === "close") {
    while (Date.now() < deadline && (await fl.gw.exec(`test -e ${PAUSED_FILE}`)).code !== 0) await new Promise((r) => setTimeout(r, 100));
    killAll();
  }
  const timer = setTimeout(killAll, Math.max(deadline - Date.now(), 1));
  const code = await exited;
  clearTimeout(timer);
  killAll();
  return `exit ${code}: ${out.trim().split("\n").slice(-3).join(" | ")}`;
}

/**
 * What must hold after a case: the new configuration live (the facts of `only`), nothing left over, the road
 * warrior's SPIs kept.
 */
async function problemsAfter(fl: FaultLab, to: GatewayModel, spis: string, only: readonly (keyof Facts)[] = FACT_NAMES): Promise<string[]> {
  const problems: string[] = [];
  const [now, left, after] = await Promise.all([running(fl, to), leftovers(fl), fl.rwSpis()]);
  if (show(now, only) !== show(expected(to), only))
    problems.push(`the gateway runs "${show(now, only)}", not the new configuration's "${show(expected(to), only)}"`);
  if (left) problems.push(`left on the gateway: ${left.replace(/\n/g, " ")}`);
  if (spis === "none" || after !== spis) problems.push(`rw's CHILD_SA changed: ${spis} -> ${after}`);
  return problems;
}

/** One case: the gateway's converge to `to` interrupted, then an ordinary converge to `to`. */
export async function interruptCase(fl: FaultLab, c: InterruptCase, to: GatewayModel): Promise<InterruptOutcome> {
  const t0 = Date.now();
  const spis = await fl.rwSpis();
  const interrupted = await interruptedRun(fl, to, c);
  const problems: string[] = [];
  try {
    await fl.converge(to);
  } catch (e) {
    problems.push(`the ordinary converge failed: ${(e as Error).message}`);
  }
  problems.push(...(await problemsAfter(fl, to, spis)));
  return { ...c, interrupted, problems, ms: Date.now() - t0 };
}

/** Every case in turn, each flipping the gateway to the other configuration (case i to step i + 1). */
export async function interruptSuite(
  fl: FaultLab,
  flip: Flip,
  cases: readonly InterruptCase[],
  progress: (o: InterruptOutcome) => void = () => undefined,
): Promise<InterruptOutcome[]> {
  const outcomes: InterruptOutcome[] = [];
  for (const [i, c] of cases.entries()) {
    const outcome = await interruptCase(fl, c, flip.to(fl.model, i + 1));
    progress(outcome);
    outcomes.push(outcome);
  }
  return outcomes;
}

/** One line per case and the total, as the bench prints them. */
export function formatOutcome(o: InterruptOutcome): string {
  return `  ${o.concern.padEnd(9)} ${o.how.padEnd(5)} at ${o.at.padEnd(10)} ${o.problems.length ? `NOT RECOVERED: ${o.problems.join("; ")}` : "recovered"} (${o.ms} ms; interrupted run: ${o.interrupted})`;
}

export interface TruncatedOutcome {
  readonly code: number;
  readonly stderr: string;
  /** What changed on the gateway (daemons, leftovers): empty when nothing did. */
  readonly problems: readonly string[];
}

/** The concern's payload for `to`, cut in half on its way: it must be refused whole, the gateway unchanged. */
export async function truncatedPayload(fl: FaultLab, to: GatewayModel, concern: string): Promise<TruncatedOutcome> {
  const { script, payload, concern: c } = remote(fl, to, concern);
  const files = `sha256sum ${c.files.map((f) => f.path).join(" ")} 2>&1; true`;
  const [before, sums] = [await running(fl, fl.model), await sh(fl.gw, files)];
  const res = await fl.run(script, payload.slice(0, Math.floor(payload.length / 2)));
  const problems: string[] = [];
  const after = await running(fl, fl.model);
  if (show(after) !== show(before)) problems.push(`the daemons changed: ${show(before)} -> ${show(after)}`);
  if ((await sh(fl.gw, files)) !== sums) problems.push(`a file of ${concern} changed`);
  const left = await leftovers(fl);
  if (left) problems.push(`left on the gateway: ${left}`);
  return { code: res.code, stderr: res.stderr, problems };
}

export interface ConcurrentOutcome {
  readonly first: RunResult;
  readonly second: RunResult;
  /** The files, the concern's daemon fact, leftovers, SPIs that are not one run's whole configuration: empty when none. */
  readonly problems: readonly string[];
}

/**
 * Two runs of one concern at once: the first holds the host's lock for `holdS` after its swap, the second starts
 * while it does. The second must wait for the first (or fail naming it), and the gateway end whole on the last
 * run that succeeded: its files and its configuration in the daemon, never a mix.
 */
export async function concurrentRuns(fl: FaultLab, a: GatewayModel, b: GatewayModel, concern: string, holdS: number): Promise<ConcurrentOutcome> {
  const spis = await fl.rwSpis();
  const ra = remote(fl, a, concern);
  const rb = remote(fl, b, concern);
  const slow = ra.script.replace(STEP_HOOK, () => `step() { [ "$1" != swapped ] || sleep ${holdS}; }`);
  const first = fl.run(slow, ra.payload);
  const deadline = Date.now() + 120_000;
  while ((await fl.gw.exec(`test -e ${STATE_ROOT}/${concern}/pending`)).code !== 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  const second = await fl.run(rb.script, rb.payload);
  const done = await first;
  const last = second.code === 0 ? rb : ra;
  const problems: string[] = [];
  if (done.code !== 0) problems.push(`the first run failed: ${done.stderr.trim()}`);
  for (const f of last.concern.files) {
    if ((await fl.gw.exec(`cat ${f.path}`)).stdout !== f.content) problems.push(`${f.path} is not the ${last === rb ? "second" : "first"} run's`);
  }
  problems.push(...(await problemsAfter(fl, last === rb ? b : a, spis, [factOf(concern)])));
  return { first: done, second, problems };
}

/** The namespace lab as the suite drives it: the "direct" scripts over SSH from the ops namespace. */
export function namespaceFaultLab(lab: Lab, flip: Flip): FaultLab {
  const model = lab.model();
  const client = lab.client();
  const target = lab.target(model);
  const secrets = (gw: GatewayModel) => ({ ...lab.secrets([gw]), ...flip.secrets });
  return {
    manager: "direct",
    gw: lab.host(lab.gatewayRole(model.name)),
    model,
    plan: (gw) => planGateway(gw, { floatingIp: gw.floatingIp.address as string }, secrets(gw)),
    converge: (gw) => lab.converge(gw, "direct", secrets(gw)),
    run: (command, input) => sshRun(client, target, command, { input, timeoutMs: 120_000 }),
    sshArgv: (command) => ["nsenter", `--net=/run/netns/${client.from.ns}`, "--", "ssh", ...baseArgs(client, target, "none"), target.host, "--", command],
    rwSpis: () => rwChildSpis(lab),
  };
}

/** Where a suite keeps the added site's certificate: in the lab's own state. */
export const flipDir = (stateDir: string): string => path.join(stateDir, "fault-pki");
