import { planGateway } from "../../components/plan";
import { spawnSync } from "child_process";
import * as fs from "fs";
import { parseArgs, UsageError } from "../args";
import { Fact } from "../../lab/checks";
import { reportFacts } from "../../lab/fact-report";
import { interruptAll } from "../../lab/exec";
import { DEFAULT_PREFIX, defaultStateDir, Lab } from "../../lab/lab";
import { destroyLab, labNamespaces } from "../../lab/netns";
import { LAB_STACK_FILE, stackFilePath } from "../../lab/stack";

export const summary = "network-namespace lab: up | check | down | run (= up, check, down)";

export const usage = `usage: stage2 lab <up|check|down|run> [--stack <env> | --config-file <path>] [--gateway <name>] [--prefix <name>] [--kernel [--verbose]]

  up      build the namespaces, converge every gateway over SSH, bring up every peer (cleans a crashed run first)
  check   print one line per fact with its evidence; exit 1 when one fails
  down    remove everything: processes, mounts, namespaces, state
  run     up, check, down, and a summary (npm run lab)
  shell <host> [-- cmd...]  a shell (or a command) inside a lab host, e.g. \`stage2 lab shell gw -- swanctl --list-sas\`

  --stack <env>        use stacks/Pulumi.<env>.yaml (default: lab)
  --config-file <path> use this stack file
  --gateway <name>     only this gateway of the stack (default: all of them; the kernel lab: the first)
  --prefix <name>      namespace prefix, default ${DEFAULT_PREFIX}
  --keep               run: leave the lab up after the checks
  --kernel             the kernel lab: the gateway as a Debian VM on Debian's kernel (lab/kernel/). The VM lives
                       as long as the command: up, check and run each boot it, converge, run every check and
                       power it off; down removes what a killed run left
  --verbose            with --kernel: print the VM's console (kernel and systemd boot messages) as it boots
Needs root. The namespace lab makes every secret for the run (the stack's secure: values are never read).`;

const out = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

export async function run(argv: string[]): Promise<number> {
  if (argv[0] === "shell") return shell(argv.slice(1));
  let args;
  try {
    args = parseArgs(argv, { values: ["stack", "config-file", "gateway", "prefix"], booleans: ["keep", "kernel", "verbose"] });
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`stage2 lab: ${e.message}\n\n${usage}\n`);
      return 2;
    }
    throw e;
  }
  const [action, ...extra] = args.positionals;
  if (!action || extra.length || !["up", "check", "down", "run"].includes(action)) {
    process.stderr.write(`${usage}\n`);
    return 2;
  }
  if (process.getuid?.() !== 0) {
    process.stderr.write("stage2 lab: needs root (network namespaces, mounts and daemons)\n");
    return 2;
  }
  if (args.flags.stack && args.flags["config-file"]) {
    process.stderr.write("stage2 lab: give --stack or --config-file, not both\n");
    return 2;
  }
  const stackFile =
    typeof args.flags["config-file"] === "string"
      ? args.flags["config-file"]
      : typeof args.flags.stack === "string"
        ? stackFilePath(args.flags.stack)
        : LAB_STACK_FILE;
  const prefix = typeof args.flags.prefix === "string" ? args.flags.prefix : DEFAULT_PREFIX;
  const gateway = typeof args.flags.gateway === "string" ? args.flags.gateway : undefined;

  if (args.flags.kernel === true) {
    return runKernel(action, {
      stackFile,
      gateway,
      prefix: args.flags.prefix as string | undefined,
      keep: args.flags.keep === true,
      verbose: args.flags.verbose === true,
    });
  }

  // Ctrl-C while building: stop the running commands, refuse new ones, and leave nothing behind.
  let cleaning: Promise<void> | undefined;
  const onInt = () => {
    if (cleaning) return;
    out("\nlab: interrupted, cleaning up");
    interruptAll();
    const removing = action === "check" ? Promise.resolve([] as string[]) : destroyLab(prefix, defaultStateDir(prefix));
    cleaning = removing.then(
      (removed) => out(removed.length ? `lab: removed ${removed.join(", ")}` : "lab: nothing to remove"),
      (e: unknown) => out(`lab: cleaning up failed: ${e instanceof Error ? e.message : String(e)}`),
    );
  };
  process.on("SIGINT", onInt);
  process.on("SIGTERM", onInt);

  try {
    switch (action) {
      case "up":
        await up(stackFile, gateway, prefix);
        return 0;
      case "check":
        return report(await Lab.attach(prefix, planGateway, out).check()) ? 0 : 1;
      case "down": {
        const removed = await destroyLab(prefix, defaultStateDir(prefix));
        out(removed.length ? `lab: removed ${removed.join(", ")}` : "lab: nothing to remove");
        return 0;
      }
      default:
        return await runAll(stackFile, gateway, prefix, args.flags.keep === true);
    }
  } catch (e) {
    if (cleaning) {
      await cleaning;
      return 130;
    }
    process.stderr.write(`stage2 lab ${action}: ${e instanceof Error ? e.message : String(e)}\n`);
    if ((action === "up" || action === "run") && (await labNamespaces(prefix)).length) {
      out(`lab: left up for inspection (prefix ${prefix}); \`stage2 lab down${prefix === DEFAULT_PREFIX ? "" : ` --prefix ${prefix}`}\` removes it`);
    }
    return 1;
  } finally {
    if (cleaning) await cleaning;
    process.off("SIGINT", onInt);
    process.off("SIGTERM", onInt);
  }
}

async function up(stackFile: string, gateway: string | undefined, prefix: string): Promise<{ lab: Lab; ms: number; activated: number }> {
  const t0 = Date.now();
  out(`lab: up from ${stackFile}`);
  const { lab, converge } = await Lab.up({ stackFile, gateway, prefix, progress: out }, planGateway);
  const ms = Date.now() - t0;
  out(`lab: up in ${(ms / 1000).toFixed(1)} s (${converge.activated} of ${converge.results.length} concerns activated)`);
  return { lab, ms, activated: converge.activated };
}

function report(facts: readonly Fact[]): boolean {
  const { lines, green } = reportFacts(facts);
  lines.forEach(out);
  return green;
}

async function runAll(stackFile: string, gateway: string | undefined, prefix: string, keep: boolean): Promise<number> {
  const t0 = Date.now();
  const { lab, ms, activated } = await up(stackFile, gateway, prefix);
  const tc = Date.now();
  const facts = await lab.check();
  const green = report(facts);
  const checkMs = Date.now() - tc;
  const t1 = Date.now();
  const again = { activated: (await lab.convergeAll()).reduce((n, r) => n + r.activated, 0) };
  const noopMs = Date.now() - t1;
  out(`lab: re-converge of the unchanged stack: ${again.activated} activations in ${noopMs} ms`);
  let down = "kept up (--keep)";
  if (!keep) {
    const td = Date.now();
    await lab.down();
    const left = await labNamespaces(prefix);
    down = `${Date.now() - td} ms, ${left.length || fs.existsSync(lab.state.stateDir) ? `LEFT: ${[...left, lab.state.stateDir].join(" ")}` : "nothing left"}`;
  }
  out("");
  out("summary");
  out(`  stack        ${stackFile} (${lab.state.gateways.length} gateway(s): ${lab.state.gateways.join(", ")})`);
  out(`  up           ${(ms / 1000).toFixed(1)} s, ${activated} concerns activated`);
  out(`  checks       ${facts.filter((f) => f.ok).length}/${facts.filter((f) => f.ok !== undefined).length} passed in ${(checkMs / 1000).toFixed(1)} s`);
  out(`  idempotent   ${again.activated === 0 ? "yes" : "NO"}: second converge activated ${again.activated} (${noopMs} ms)`);
  out(`  down         ${down}`);
  out(`  total        ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return green && again.activated === 0 ? 0 : 1;
}

async function runKernel(action: string, opts: { stackFile: string; gateway?: string; prefix?: string; keep: boolean; verbose: boolean }): Promise<number> {
  // Loaded on use: the kernel lab's modules are not needed by the namespace lab's commands.
  const { runKernel: run } = await import("../../lab/kernel/command");
  return run(action, { ...opts, progress: out });
}

/** `stage2 lab shell <host> [--prefix p] [-- cmd...]`: the host's network and mount namespaces, the terminal attached. */
function shell(argv: string[]): number {
  const dash = argv.indexOf("--");
  const own = dash >= 0 ? argv.slice(0, dash) : argv;
  const command = dash >= 0 ? argv.slice(dash + 1) : [];
  const at = own.indexOf("--prefix");
  const prefix = at >= 0 ? own[at + 1] : DEFAULT_PREFIX;
  const role = own.filter((_, i) => at < 0 || (i !== at && i !== at + 1))[0];
  if (!role || (at >= 0 && !prefix)) {
    process.stderr.write("usage: stage2 lab shell <host> [--prefix <name>] [-- command...]\n");
    return 2;
  }
  let host;
  try {
    host = Lab.attach(prefix, planGateway).host(role);
  } catch (e) {
    process.stderr.write(`stage2 lab shell: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
  const res = spawnSync("nsenter", [`--mount=${host.mountFile}`, `--net=/run/netns/${host.ns}`, "--", ...(command.length ? command : ["bash", "-i"])], {
    stdio: "inherit",
  });
  return res.status ?? 1;
}
