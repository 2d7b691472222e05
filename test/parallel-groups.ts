/**
 * `npm test`: every test file, in two mocha processes side by side, then the whole-stack kernel lab alone (ALONE). The kernel lab's suites spend their time in a
 * VM (its own network, its own /tmp, its own run folder) and the rest in the namespace labs and tools on this
 * machine; the two share nothing but the CPU, and within each group files run one after another as before.
 * The kernel group's lines carry a "[kernel] " prefix; the main group runs niced, so the emulated VM is served
 * first. The exit code fails when either group fails.
 * `npm test -- --list` prints the groups and runs nothing.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as readline from "readline";

const ROOT = path.resolve(__dirname, "..");
const KERNEL = /^test\/lab\/kernel(?!-parts|-stack)[^/]*\.test\.ts$/;
/**
 * Runs alone once both groups have ended: a whole stack in one emulated VM (23 hosts, two gateway containers) takes
 * about 9 minutes on a quiet machine and failed its bring-up beside the two groups, where every step ran 3 times slower.
 */
const ALONE = /^test\/lab\/kernel-stack\.test\.ts$/;

function testFiles(dir: string): string[] {
  return fs
    .readdirSync(path.join(ROOT, dir), { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((e) => (e.isDirectory() ? testFiles(`${dir}/${e.name}`) : e.name.endsWith(".test.ts") ? [`${dir}/${e.name}`] : []));
}

interface Group {
  readonly name: string;
  readonly prefix: string;
  readonly files: readonly string[];
  /** Runs the group's mocha at this niceness. */
  readonly nice?: number;
}

function run(group: Group): Promise<number> {
  const started = Date.now();
  const mocha = [path.join(ROOT, "node_modules", ".bin", "mocha"), ...group.files];
  const argv = group.nice ? ["nice", "-n", String(group.nice), ...mocha] : mocha;
  const child = spawn(argv[0], argv.slice(1), { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  for (const [from, to] of [
    [child.stdout, process.stdout],
    [child.stderr, process.stderr],
  ] as const) {
    readline.createInterface({ input: from }).on("line", (line) => to.write(`${group.prefix}${line}\n`));
  }
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => child.kill(signal));
  return new Promise((resolve) =>
    child.on("close", (code, signal) => {
      const status = code ?? (signal ? 128 : 1);
      process.stdout.write(
        `test: ${group.name} group (${group.files.length} files) ${status === 0 ? "passed" : `FAILED (exit ${status})`} in ${Math.round((Date.now() - started) / 1000)} s\n`,
      );
      resolve(status);
    }),
  );
}

async function main(): Promise<void> {
  const files = testFiles("test");
  const groups: Group[] = [
    { name: "kernel", prefix: "[kernel] ", files: files.filter((f) => KERNEL.test(f)) },
    // The VM emulates its CPUs (TCG): short of CPU it slows many times over (a converge 30 s alone, 160 s beside the
    // main group; a fault case 50 s and 290 s), far more than the main group does. So the VM is served first.
    { name: "main", prefix: "", files: files.filter((f) => !KERNEL.test(f) && !ALONE.test(f)), nice: 5 },
  ].filter((g) => g.files.length > 0);
  const alone: Group = { name: "alone", prefix: "[alone] ", files: files.filter((f) => ALONE.test(f)) };
  if (process.argv.includes("--list")) {
    for (const g of [...groups, alone]) process.stdout.write(`${g.name}:\n${g.files.map((f) => `  ${f}\n`).join("")}`);
    return;
  }
  const codes = await Promise.all(groups.map(run));
  if (alone.files.length) codes.push(await run(alone));
  process.exitCode = codes.some((c) => c !== 0) ? 1 : 0;
}

void main();
