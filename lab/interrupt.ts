import { spawn } from "child_process";
import { renderApplyScript, Step, STEPS } from "../components/host/apply-script";
import { encodePayload } from "../components/host/payload";
import { planGateway } from "../components/plan";
import { GatewayModel } from "../components/model/gateway";
import { rwChildSpis } from "./hitless";
import { sh } from "./host";
import { baseArgs } from "./ssh";
import { Lab } from "./lab";
import { Fault, interruptedScript, PAUSED_FILE } from "./interrupt-hook";

/**
 * The fault suite: a converge of gw stopped at one step of one concern's apply script (SIGKILL, or the SSH
 * connection closing), then an ordinary converge. It must end with the new configuration in the daemons, no
 * staging or pending journal entry on gw, and the road warrior's CHILD_SA on the SPIs it had (its connection
 * never changes here).
 */

export interface InterruptCase {
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

export const INTERRUPT_CASES: readonly InterruptCase[] = (["kill", "close"] as const).flatMap((how) => STEPS.map((at) => ({ at, how })));

/** The concern whose script is interrupted: the first the change touches. */
export const VICTIM = "nftables";

const FLIP_SOURCE = "198.51.100.64/26";

/** Two configurations a case flips between: another SSH source (nftables) and, with WireGuard, another MTU. */
export function flip(gw: GatewayModel, on: boolean): GatewayModel {
  if (!on) return gw;
  return { ...gw, sshFrom: [...gw.sshFrom, FLIP_SOURCE], wireguard: { ...gw.wireguard, mtu: gw.wireguard.mtu - 20 } };
}

/** What gw's daemons run (the live ruleset, the link's MTU), reduced to the two facts `flip` changes. */
export async function running(lab: Lab, gw: GatewayModel): Promise<string> {
  const script = [
    `nft list ruleset | grep -q '${FLIP_SOURCE}' && echo "ssh from ${FLIP_SOURCE}" || echo "ssh not from ${FLIP_SOURCE}"`,
    `ip -o link show ${gw.wireguard.interface} | grep -o 'mtu [0-9]*'`,
  ].join("; ");
  return (await sh(gwHost(lab, gw), script)).trim().replace(/\n/g, ", ");
}

export function expected(gw: GatewayModel): string {
  return `ssh ${gw.sshFrom.includes(FLIP_SOURCE) ? "" : "not "}from ${FLIP_SOURCE}, mtu ${gw.wireguard.mtu}`;
}

const gwHost = (lab: Lab, gw: GatewayModel) => lab.host(lab.gatewayRole(gw.name));

/** The apply script's leftovers on gw: staging, pending entries, half-written files. */
export async function leftovers(lab: Lab, gw: GatewayModel): Promise<string> {
  return (
    await sh(gwHost(lab, gw), "ls -d /var/lib/stage2/*/stage.* /var/lib/stage2/*/pending 2>/dev/null; find /etc -name '*.stage2-tmp' 2>/dev/null; true")
  ).trim();
}

/**
 * Runs the victim's script over a connection of its own (no multiplexing: closing it is closing the TCP
 * connection), stopped at `c.at`. For `close`, the script pauses there and the client is killed.
 */
async function interruptedRun(lab: Lab, gw: GatewayModel, c: InterruptCase): Promise<string> {
  const plan = planGateway(gw, { floatingIp: gw.floatingIp.address as string }, lab.secrets([gw]));
  const concern = plan.concerns.find((x) => x.name === VICTIM);
  if (!concern) throw new Error(`gw's plan has no ${VICTIM} concern`);
  const host = gwHost(lab, gw);
  await sh(host, `rm -f ${PAUSED_FILE}`);
  const client = lab.client();
  const target = lab.target(gw);
  const argv = [
    "nsenter",
    `--net=/run/netns/${client.from.ns}`,
    "--",
    "ssh",
    ...baseArgs(client, target, "none"),
    target.host,
    "--",
    interruptedScript(renderApplyScript(concern, "direct"), c.at, c.how),
  ];
  const child = spawn(argv[0], argv.slice(1), { stdio: ["pipe", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (b: Buffer) => (out += b.toString()));
  child.stderr.on("data", (b: Buffer) => (out += b.toString().replace(/\.+/g, ".")));
  child.stdin.on("error", () => undefined);
  child.stdin.end(encodePayload(concern.files));
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  const deadline = Date.now() + 60_000;
  if (c.how === "close") {
    while (Date.now() < deadline && (await host.exec(`test -e ${PAUSED_FILE}`)).code !== 0) await new Promise((r) => setTimeout(r, 100));
    child.kill("SIGKILL");
  }
  const timer = setTimeout(() => child.kill("SIGKILL"), Math.max(deadline - Date.now(), 1));
  const code = await exited;
  clearTimeout(timer);
  return `exit ${code}: ${out.trim().split("\n").slice(-3).join(" | ")}`;
}

/** One case: gw's converge to `to` interrupted, then an ordinary converge to `to`. */
export async function interruptCase(lab: Lab, c: InterruptCase, to: GatewayModel): Promise<InterruptOutcome> {
  const t0 = Date.now();
  const spis = await rwChildSpis(lab);
  const interrupted = await interruptedRun(lab, to, c);
  const problems: string[] = [];
  try {
    await lab.converge(to);
  } catch (e) {
    problems.push(`the ordinary converge failed: ${(e as Error).message}`);
  }
  const want = expected(to);
  const [now, left, after] = await Promise.all([running(lab, to), leftovers(lab, to), rwChildSpis(lab)]);
  if (now !== want) problems.push(`gw runs "${now}", not the new configuration's "${want}"`);
  if (left) problems.push(`left on gw: ${left.replace(/\n/g, " ")}`);
  if (after !== spis) problems.push(`rw's CHILD_SA changed: ${spis} -> ${after}`);
  return { ...c, interrupted, problems, ms: Date.now() - t0 };
}

/** Every case in turn, each flipping gw to the other configuration. */
export async function interruptSuite(
  lab: Lab,
  cases: readonly InterruptCase[] = INTERRUPT_CASES,
  progress: (o: InterruptOutcome) => void = () => undefined,
): Promise<InterruptOutcome[]> {
  const outcomes: InterruptOutcome[] = [];
  for (const [i, c] of cases.entries()) {
    const outcome = await interruptCase(
      lab,
      c,
      lab.model((gw) => flip(gw, i % 2 === 0)),
    );
    progress(outcome);
    outcomes.push(outcome);
  }
  return outcomes;
}
