import { withRoadWarrior } from "../lab/model";
import { planGateway } from "../components/plan";
import { GatewayModel } from "../components/model/gateway";
import { restartGatewayCharon, waitForTunnels } from "../lab/faults";
import { initiate } from "../lab/peer-hosts";
import { pingWhile } from "../lab/hitless";
import { Lab } from "../lab/lab";
import { LAB_STACK_FILE, stackFilePath } from "../lab/stack";

/** The namespace lab's figures (the kernel lab prints the same ones beside them). */
export interface LabFigures {
  /** Cold `lab up` (from nothing: namespaces, sshd, converge, peers, tunnels, BGP). */
  readonly upMs: number;
  readonly checkMs: number;
  readonly failed: readonly string[];
  readonly noopMs: number;
  readonly noopActivated: number;
  /** A changed connection set applied by swanctl --load-all, while rw pings node at 20 Hz. */
  readonly reload: { readonly sent: number; readonly lost: number; readonly ms: number };
  /** A BIRD change that `birdc configure` applies by restarting the BGP session (hold time). */
  readonly bgpRestart: { readonly sent: number; readonly lost: number; readonly ms: number };
  /** The same window around a charon restart, until the tunnels are back. */
  readonly restart: { readonly sent: number; readonly lost: number; readonly ms: number };
  /**
   * How the tunnels came back after the restart: by themselves (DPD, close_action), or only when the clients
   * dialled again (a client whose attempts all fall into the restart gives up, as clients do).
   */
  readonly restartRecovery: Recovery;
}

export type Recovery = "by themselves" | "re-initiated" | "not back";

/** After a daemon restart: wait for the tunnels; if they are not back, the clients dial again, as users would. */
export async function recovery(back: (timeoutMs: number) => Promise<boolean>, redial: () => Promise<unknown>, timeoutMs = 20_000): Promise<Recovery> {
  if (await back(timeoutMs)) return "by themselves";
  await redial();
  return (await back(timeoutMs)) ? "re-initiated" : "not back";
}

const oneMore = (gw: GatewayModel): GatewayModel =>
  withRoadWarrior(gw, {
    name: "bench",
    pool: "10.5.0.0/24",
    clients: {
      kind: "psk",
      ids: ["bench@lab.example"],
      secret: gw.ipsec.roadWarriors[0].clients.kind === "psk" ? gw.ipsec.roadWarriors[0].clients.secret : "",
    },
  });

export async function benchLab(stackFile = LAB_STACK_FILE, prefix = "s2bench"): Promise<LabFigures> {
  const t0 = Date.now();
  const { lab } = await Lab.up({ stackFile, prefix }, planGateway);
  const upMs = Date.now() - t0;
  try {
    const t1 = Date.now();
    const facts = await lab.check();
    const checkMs = Date.now() - t1;
    const t2 = Date.now();
    const noop = await lab.converge();
    const noopMs = Date.now() - t2;
    const reload = await pingWhile(lab, () => lab.converge(lab.model(oneMore)));
    const bgpRestart = await pingWhile(lab, () =>
      lab.converge(lab.model((gw) => (gw.bgp ? { ...gw, bgp: { ...gw.bgp, holdTime: gw.bgp.holdTime === 60 ? 90 : 60 } } : gw))),
    );
    await lab.waitForBgp();
    let restartRecovery: Recovery = "not back";
    const restart = await pingWhile(lab, async () => {
      await restartGatewayCharon(lab);
      const t = lab.topology;
      restartRecovery = await recovery(
        (ms) =>
          waitForTunnels(lab, ms).then(
            () => true,
            () => false,
          ),
        () =>
          Promise.allSettled([
            ...t.clients.map((c) => initiate(lab.host(c.role), c.conn)),
            ...t.sites.filter((s) => s.startAction === "none").map((s) => initiate(lab.host(s.role), s.conn)),
          ]),
      );
    });
    return {
      upMs,
      checkMs,
      failed: facts.filter((f) => f.ok === false).map((f) => f.id),
      noopMs,
      noopActivated: noop.activated,
      reload: { sent: reload.sent, lost: reload.lost.length, ms: reload.ms },
      bgpRestart: { sent: bgpRestart.sent, lost: bgpRestart.lost.length, ms: bgpRestart.ms },
      restart: { sent: restart.sent, lost: restart.lost.length, ms: restart.ms },
      restartRecovery,
    };
  } finally {
    await lab.down();
  }
}

export interface FigureLabels {
  readonly label: string;
  /** The issue's target for cold up → all checks green; the kernel lab has none. */
  readonly targetS?: number;
  readonly ping: string;
}

const NAMESPACE_LABELS: FigureLabels = { label: "namespace lab (lab stack)", targetS: 30, ping: "every tunnel (rw, site) pings a node every 50 ms" };

export function formatLabFigures(f: LabFigures, labels: FigureLabels = NAMESPACE_LABELS): string[] {
  const green = f.failed.length === 0;
  const upToGreen = (f.upMs + f.checkMs) / 1000;
  const target = labels.targetS === undefined ? "" : `; ${upToGreen <= labels.targetS ? "meets" : "MISSES"} the target`;
  return [
    `${labels.label}: cold up → all checks green${labels.targetS === undefined ? "" : ` (target ≤ ${labels.targetS} s)`}`,
    `  up ${(f.upMs / 1000).toFixed(1)} s + check ${(f.checkMs / 1000).toFixed(1)} s = ${upToGreen.toFixed(1)} s, ${green ? "all green" : `FAILED: ${f.failed.join(", ")}`}${target}`,
    `  no-op re-converge: ${(f.noopMs / 1000).toFixed(2)} s, ${f.noopActivated} activations`,
    `  packets lost while ${labels.ping}:`,
    `    hitless reload (one more connection, swanctl --load-all)   ${String(f.reload.lost).padStart(4)} of ${f.reload.sent} lost (${(f.reload.ms / 1000).toFixed(1)} s window)`,
    `    BGP hold time changed (BIRD restarts that session)         ${String(f.bgpRestart.lost).padStart(4)} of ${f.bgpRestart.sent} lost (${(f.bgpRestart.ms / 1000).toFixed(1)} s window)`,
    `    daemon restart (charon stopped and started, tunnels back)  ${String(f.restart.lost).padStart(4)} of ${f.restart.sent} lost (${(f.restart.ms / 1000).toFixed(1)} s window)`,
    `      after the restart the tunnels came back: ${f.restartRecovery}`,
  ];
}

/** A whole stack, cold: up (every gateway and peer) and every check, then down. */
export interface StackFigures {
  readonly stack: string;
  readonly upMs: number;
  readonly checkMs: number;
  readonly facts: number;
  readonly failed: readonly string[];
}

export async function benchStack(env: string, prefix = "s2bstk"): Promise<StackFigures> {
  const t0 = Date.now();
  const { lab } = await Lab.up({ stackFile: stackFilePath(env), prefix }, planGateway);
  const upMs = Date.now() - t0;
  try {
    const t1 = Date.now();
    const facts = await lab.check();
    return {
      stack: env,
      upMs,
      checkMs: Date.now() - t1,
      facts: facts.length,
      failed: facts.filter((f) => f.ok === false).map((f) => `${f.gateway}/${f.connection} ${f.id}`),
    };
  } finally {
    await lab.down();
  }
}

/** The issue's target for the prod stack, cold up → all checks green, on this 2-core machine. */
const PROD_TARGET_S = 60;

export function formatStackFigures(f: StackFigures): string {
  const total = (f.upMs + f.checkMs) / 1000;
  const target = f.stack === "prod" ? `; target ≤ ${PROD_TARGET_S} s: ${total <= PROD_TARGET_S ? "meets it" : "MISSES it"}` : "";
  return `  ${f.stack.padEnd(5)} up ${(f.upMs / 1000).toFixed(1)} s + check ${(f.checkMs / 1000).toFixed(1)} s = ${total.toFixed(1)} s, ${f.facts} facts, ${f.failed.length ? `FAILED: ${f.failed.join(", ")}` : "all green"}${target}`;
}

/** Called by bench/index.ts (`npm run bench`); the kernel lab prints these beside its own. */
export async function bench(): Promise<LabFigures> {
  const figures = await benchLab();
  for (const line of formatLabFigures(figures)) console.log(line);
  console.log("namespace lab, whole stacks from cold (every gateway, every connection):");
  for (const env of ["prod", "dev"]) console.log(formatStackFigures(await benchStack(env)));
  return figures;
}
