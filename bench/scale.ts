import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { planGateway } from "../components/plan";
import { GatewayModel } from "../components/model/gateway";
import { swanctlSecretRefs } from "../components/strongswan/gateway-swanctl";
import { floatingIpOf, loadStack } from "../cli/stack-source";
import { previewStackFile, RecordedResource } from "../preview/runtime";
import { CharonSandbox, charonMissing, CREDENTIAL_DIRS } from "../lab/charon-sandbox";
import { BIG, bigGatewayStack, GatewaySize, scaledSize, siteName, stackYaml } from "./big-gateway";

const BIN = path.resolve(__dirname, "..", "bin", "stage2");
const TIME = "/usr/bin/time";

/** One CLI run as a user runs it: a fresh process; wall and CPU seconds, peak memory. */
export interface CliFigure {
  readonly ok: boolean;
  readonly wall: number;
  readonly cpu: number;
  readonly peakMb: number;
}

function stage2(args: string[]): CliFigure {
  const r = spawnSync(TIME, ["-f", "TIME %e %U %S %M", BIN, ...args], { encoding: "utf8", maxBuffer: 1 << 30 });
  const m = /^TIME ([\d.]+) ([\d.]+) ([\d.]+) (\d+)$/m.exec(r.stderr ?? "");
  if (!m) throw new Error(`stage2 ${args[0]}: no figures (${TIME} missing?): ${(r.stderr ?? "").slice(-500)}`);
  return { ok: r.status === 0, wall: Number(m[1]), cpu: Number(m[2]) + Number(m[3]), peakMb: Number(m[4]) / 1024 };
}

export interface SizeFigures {
  readonly size: GatewaySize;
  readonly render: CliFigure;
  readonly preview: CliFigure;
  readonly policy: CliFigure;
}

/** `stage2 render`, `preview` and `policy` of one generated gateway, each in its own process. */
function benchCli(dir: string, size: GatewaySize): SizeFigures {
  const file = path.join(dir, `Pulumi.big-${size.sites}.yaml`);
  fs.writeFileSync(file, stackYaml(bigGatewayStack(size)));
  const render = stage2(["render", "--config-file", file, "--out", path.join(dir, `out-${size.sites}`)]);
  const preview = stage2(["preview", "--config-file", file]);
  const policy = stage2(["policy", "--config-file", file]);
  return { size, render, preview, policy };
}

const commandInputs = (resources: RecordedResource[]): Map<string, string> =>
  new Map(resources.filter((r) => r.type === "command:remote:Command").map((r) => [r.name, JSON.stringify(r.inputs)]));

/** The issue's one-site change: site-0008's peer moved to a new address. */
function moveOneSite(config: Record<string, unknown>): Record<string, unknown> {
  const changed = JSON.parse(JSON.stringify(config)) as { gateways: { ipsec: { sites: { name: string; remoteAddrs: string[] }[] } }[] };
  const site = changed.gateways[0].ipsec.sites[7];
  if (site.name !== siteName(7)) throw new Error("unexpected site order");
  site.remoteAddrs = ["100.64.9.9"];
  return changed;
}

export interface ChangeFigure {
  readonly seconds: number;
  readonly changed: string[];
  readonly commands: number;
}

/** Previews the gateway before and after the one-site change (in-process) and names the commands whose inputs differ. */
async function benchOneSiteChange(dir: string): Promise<ChangeFigure> {
  const stack = bigGatewayStack(BIG);
  const beforeFile = path.join(dir, "Pulumi.before.yaml");
  const afterFile = path.join(dir, "Pulumi.after.yaml");
  fs.writeFileSync(beforeFile, stackYaml(stack));
  fs.writeFileSync(afterFile, stackYaml({ ...stack, config: moveOneSite(stack.config) }));
  const before = commandInputs((await previewStackFile(beforeFile)).resources);
  const t0 = process.hrtime.bigint();
  const after = commandInputs((await previewStackFile(afterFile)).resources);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const changed = [...new Set([...before.keys(), ...after.keys()])].filter((k) => before.get(k) !== after.get(k));
  return { seconds, changed, commands: before.size };
}

export interface CharonFigure {
  readonly loadSeconds: number;
  readonly reloadSeconds: number;
  readonly summary: string;
  /** swanctl's lines for what charon refused. */
  readonly failures: string[];
}

/** Writes the gateway's strongSwan files with made-up secrets (random PSKs/passwords, a fresh key) below `root`. */
function writeSwanctl(root: string, gw: GatewayModel, key: string): string {
  const secrets = Object.fromEntries(
    swanctlSecretRefs(gw).map(({ ref }) => [ref, ref.endsWith("-key") ? key : `bench-${ref}-${Math.random().toString(36).slice(2)}`]),
  );
  for (const concern of planGateway(gw, { floatingIp: floatingIpOf(gw) }, secrets).concerns) {
    for (const f of concern.files.filter((f) => f.path.startsWith("/etc/swanctl/"))) {
      const target = path.join(root, f.path);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, f.content, { mode: parseInt(f.mode, 8) });
    }
  }
  for (const sub of CREDENTIAL_DIRS) fs.mkdirSync(path.join(root, "etc", "swanctl", sub), { recursive: true });
  return path.join(root, "etc", "swanctl", "swanctl.conf");
}

/** `swanctl --load-all` of the big gateway into a sealed charon, then again after the one-site change. */
export async function benchCharon(dir: string): Promise<CharonFigure | string> {
  const missing = charonMissing();
  if (missing) return missing;
  const stack = bigGatewayStack(BIG);
  const load = (config: Record<string, unknown>, name: string): GatewayModel => {
    const file = path.join(dir, `Pulumi.${name}.yaml`);
    fs.writeFileSync(file, stackYaml({ ...stack, config }));
    return loadStack(file).stack.gateways[0];
  };
  const key = execFileSync("pki", ["--gen", "--type", "ed25519", "--outform", "pem"], { stdio: ["ignore", "pipe", "ignore"] }).toString();
  const conf = writeSwanctl(path.join(dir, "charon-root"), load(stack.config, "charon"), key);
  const charon = await CharonSandbox.start();
  try {
    // The sandbox's own load() stops at 20 s; this one is timed, not bounded.
    const swanctl = () => {
      const t0 = process.hrtime.bigint();
      const r = spawnSync("swanctl", ["--load-all", "--file", conf, "--uri", `unix://${path.join(charon.dir, "charon.vici")}`], {
        env: { ...process.env, STRONGSWAN_CONF: path.join(charon.dir, "strongswan.conf") },
        encoding: "utf8",
        maxBuffer: 1 << 28,
      });
      return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, out: `${r.stdout}${r.stderr}` };
    };
    const first = swanctl();
    writeSwanctl(path.join(dir, "charon-root"), load(moveOneSite(stack.config), "charon-after"), key);
    const second = swanctl();
    const lines = first.out.split("\n");
    const count = (re: RegExp) => lines.filter((l) => re.test(l)).length;
    const summary = [
      ...lines.filter((l) => /^(successfully loaded|loaded \d+ of)/.test(l)).map((l) => l.replace(/^successfully /, "")),
      `${count(/^loaded \w+ secret '/)} secrets, ${count(/^loaded certificate /)} certificates, ${count(/^loaded \w+ key from /)} private keys`,
    ].join(", ");
    return { loadSeconds: first.seconds, reloadSeconds: second.seconds, summary, failures: first.out.split("\n").filter((l) => /failed/.test(l)) };
  } finally {
    await charon.stop();
  }
}

const f1 = (n: number) => n.toFixed(1).padStart(6);
const within = (seconds: number) => (seconds < 15 ? "meets" : "MISSES");

/** `npm run bench -- --only scale`: the big gateway of issue 15 and how its figures grow. */
export async function benchScale(): Promise<string[]> {
  const lines: string[] = [];
  const say = (line: string) => {
    lines.push(line);
    console.log(line);
  };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stage2-bench-scale-"));
  try {
    const [l1, l5] = os.loadavg();
    say(
      `scale: one gateway, ${os.cpus().length} cores, load average ${l1.toFixed(1)} (1 min) ${l5.toFixed(1)} (5 min); wall and CPU seconds of each CLI run, peak memory`,
    );
    stage2(["render", "--stack", "dev", "--out", path.join(dir, "warm-up")]); // compiles dist/ if a source changed
    const rows = [1, 10, 100, 1000].map((sites) => benchCli(dir, scaledSize(sites)));
    say("   sites classes  users |       render wall/cpu   MB |      preview wall/cpu   MB |       policy wall/cpu   MB");
    for (const r of rows) {
      const cell = (c: CliFigure) => `${c.ok ? " " : "!"}${f1(c.wall)} s ${f1(c.cpu)} s ${String(Math.round(c.peakMb)).padStart(4)}`;
      say(
        `  ${String(r.size.sites).padStart(6)} ${String(r.size.classes).padStart(7)} ${String(r.size.users).padStart(6)} | ${cell(r.render)} | ${cell(r.preview)} | ${cell(r.policy)}`,
      );
    }
    const big = rows[rows.length - 1];
    const grow = (pick: (r: SizeFigures) => CliFigure) => `×${(pick(big).cpu / pick(rows[2]).cpu).toFixed(1)}`;
    say(
      `  100 → 1,000 sites (×10 the gateway): CPU render ${grow((r) => r.render)}, preview ${grow((r) => r.preview)}, policy ${grow((r) => r.policy)} (linear would be ×10 or less)`,
    );
    // One node process uses one core: on an idle machine its wall time is its CPU time. Other work on a shared
    // machine stretches the wall time, so the target is judged on both.
    const verdict = (c: CliFigure) => `CPU ${c.cpu.toFixed(1)} s ${within(c.cpu)}, wall ${c.wall.toFixed(1)} s ${within(c.wall)}`;
    say(`  the big gateway (${BIG.sites} sites, ${BIG.classes} classes, ${BIG.users} EAP users), target each under 15 s:`);
    say(`    render: ${verdict(big.render)}; preview: ${verdict(big.preview)}; policy: ${verdict(big.policy)}`);
    if (rows.some((r) => !r.render.ok || !r.preview.ok || !r.policy.ok)) say("  ! a run failed (marked !)");
    const change = await benchOneSiteChange(dir);
    say(
      `  one-site change (${siteName(7)}'s peer moved): preview of the changed stack ${change.seconds.toFixed(1)} s (in-process), ` +
        `${change.changed.length} of ${change.commands} remote commands change (target: 1): ${change.changed.join(", ")}`,
    );
    const charon = await benchCharon(dir);
    if (typeof charon === "string") say(`  charon: skipped (${charon})`);
    else {
      say(
        `  charon (sealed, real 5.9): swanctl --load-all of the big gateway ${charon.loadSeconds.toFixed(1)} s: ${charon.summary}${charon.failures.length ? `; FAILED: ${charon.failures.slice(0, 3).join("; ")}` : ""}`,
      );
      say(`  charon: the one-site change's reload (swanctl --load-all again) ${charon.reloadSeconds.toFixed(1)} s`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return lines;
}
