import { ChildProcess, execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import { VmMode, renderScriptInit } from "./init-script";
import { buildInitramfs } from "./initramfs";
import { LAB_DIR_IN_VM, LayerFile, systemdLayer, unitsToMask, writeLayer } from "./layer";
import { pickKernel } from "./modules";
import { MGMT_IF, MgmtNet, pickMgmtNet, qemuArgs } from "./qemu";
import { SshSession, thisMachine, writeKnownHosts } from "../ssh";

/** Boot is waited on while the console shows progress: it fails after this long without a line other than a running job's status. */
export const BOOT_STALL_MS = 120_000;

/** However busy the machine, a boot that takes longer than this is not waited on. */
const BOOT_MAX_MS = 15 * 60_000;

/** How many console lines a failed boot shows. */
const TAIL_LINES = 25;

/** The console without its escape sequences (colours, cursor moves). */
const plain = (t: string): string => t.replace(/\x1b(\[[0-9;?]*[A-Za-z]|[A-Z])/g, "").replace(/[\x00-\x1f\x7f]/g, "");

/**
 * systemd's status of a job still running ("Job x.service/start running (1min 3s / no limit)"): rewritten every
 * second, each time erasing the previous one; it shows a job is stuck, not that the boot progresses.
 */
export const runningJob = (line: string): boolean => /\bJob \S+ running \(|\bA (start|stop) job is running for /.test(plain(line));

/**
 * The guest kernel's own report that a CPU made no progress ("watchdog: BUG: soft lockup - CPU#1 stuck for 49s!",
 * an RCU stall and its detail lines): a sign of a stuck boot, never of progress.
 */
export const kernelStuck = (line: string): boolean => /\bsoft lockup\b|\bhard LOCKUP\b|\brcu: /.test(plain(line));

/** Whether a console line shows the boot going on: neither a running job's status nor the kernel saying it is stuck. */
export const bootProgress = (line: string): boolean => !runningJob(line) && !kernelStuck(line);

/** The first line of a console where the guest's kernel reported itself stuck, as a terminal shows it. */
export function stuckReport(consoleText: string): string | undefined {
  // The reports' headers only: an RCU line that is not a stall (its boot banner) is no reason to boot again.
  const line = consoleText.split("\n").find((l) => /\bsoft lockup\b|\bhard LOCKUP\b|\brcu: INFO: .*stall/.test(plain(l)));
  return line === undefined ? undefined : plain(line).trim();
}

/** A boot is started again this often when the guest's kernel reported itself stuck and the boot made no progress. */
const STUCK_BOOT_RETRIES = 1;

/**
 * A console's last lines as a terminal shows them (a running job's status erased by the next line, escape
 * sequences gone), so a stalled boot ends with the job systemd still runs.
 */
export function consoleTail(text: string, lines = TAIL_LINES): string {
  const shown: string[] = [];
  for (const line of text.split("\n")) {
    if (!plain(line).trim()) continue;
    if (shown.length && runningJob(shown[shown.length - 1])) shown.pop();
    shown.push(line);
  }
  return shown.slice(-lines).map(plain).join("\n");
}

/** Where a run keeps its initramfs, keys, share and pid file: on tmpfs, removed by `stop`, cleaned by the next run. */
export const RUN_BASE = "/run/stage2-kernel-lab";

export interface VmOptions {
  readonly mode: VmMode;
  /** Run name: one VM per name (its directory is RUN_BASE/<name>). */
  readonly name?: string;
  readonly cpus?: number;
  readonly memoryMiB?: number;
  /** Script mode: the bash script run inside (as PID 1's child, without systemd). */
  readonly script?: string;
  /** systemd mode: the management network (default: one that overlaps none of `avoidNets`). */
  readonly mgmt?: MgmtNet;
  /** Networks the management network must not overlap (the lab's). */
  readonly avoidNets?: readonly string[];
  /** systemd mode: units masked in the VM's layer besides unitsToMask() (the gateways' own, when they run in containers). */
  readonly rootMasks?: readonly string[];
  /** Progress lines for the terminal. */
  readonly log?: (line: string) => void;
  /** Called with every console line of the VM. */
  readonly console?: (line: string) => void;
}

const live = new Set<KernelVm>();
let hooked = false;
function hookExit(): void {
  if (hooked) return;
  hooked = true;
  const killAll = (): void =>
    live.forEach((vm) => {
      vm.kill();
      fs.rmSync(vm.runDir, { recursive: true, force: true });
    });
  process.on("exit", killAll);
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(sig, () => {
      killAll();
      process.exit(128 + (sig === "SIGINT" ? 2 : sig === "SIGTERM" ? 15 : 1));
    });
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === "object" && addr ? resolve(addr.port) : reject(new Error("no port"))));
    });
  });
}

/** Kills the qemu of a previous run of this name that did not stop (crash, kill -9), only if it is ours. */
export function cleanStale(runDir: string): void {
  const pidFile = path.join(runDir, "qemu.pid");
  if (fs.existsSync(pidFile)) {
    const pid = Number(fs.readFileSync(pidFile, "utf8").trim());
    try {
      const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8");
      if (cmdline.includes(runDir)) process.kill(pid, "SIGKILL");
    } catch {
      // no such process: nothing to clean
    }
  }
  fs.rmSync(runDir, { recursive: true, force: true });
}

/** One Debian VM on Debian's kernel, root = this machine's root read-only + a tmpfs upper layer. */
export class KernelVm {
  private proc?: ChildProcess;
  private exited: Promise<number | null> = Promise.resolve(null);
  private consoleText = "";
  /** When the console last showed a line other than a running job's status: the boot's last progress. */
  private lastProgress = Date.now();
  private waiters: Array<() => void> = [];
  private qemuArgs: readonly string[] = [];
  readonly runDir: string;
  ssh?: SshSession;
  /** systemd mode: the management network qemu provides. */
  mgmt?: MgmtNet;
  readonly bootStarted = Date.now();

  private constructor(private readonly opts: VmOptions) {
    this.runDir = path.join(RUN_BASE, opts.name ?? opts.mode);
  }

  get console(): string {
    return this.consoleText;
  }

  private log(line: string): void {
    this.opts.log?.(line);
  }

  static async start(opts: VmOptions): Promise<KernelVm> {
    const vm = new KernelVm(opts);
    await vm.launch();
    return vm;
  }

  private async launch(): Promise<void> {
    const { mode } = this.opts;
    hookExit();
    cleanStale(this.runDir);
    fs.mkdirSync(this.runDir, { recursive: true, mode: 0o700 });
    const kernel = pickKernel();
    const share = path.join(this.runDir, "share");
    fs.mkdirSync(share, { mode: 0o755 });
    let layer: LayerFile[];
    let sshPort: number | undefined;
    const mgmt = this.opts.mgmt ?? pickMgmtNet(this.opts.avoidNets ?? []);
    if (mode === "systemd") this.mgmt = mgmt;
    if (mode === "systemd") {
      const keys = this.makeKeys();
      sshPort = await freePort();
      layer = systemdLayer({ priv: keys.hostPriv, pub: keys.hostPub }, keys.clientPub, [...unitsToMask(), ...(this.opts.rootMasks ?? [])]);
      const client = { keyFile: path.join(this.runDir, "client_key"), knownHostsFile: path.join(this.runDir, "known_hosts"), from: thisMachine };
      const target = { host: "127.0.0.1", port: sshPort, user: "root", hostKey: keys.hostPub };
      writeKnownHosts(client.knownHostsFile, [target]);
      this.ssh = new SshSession(client, target);
    } else {
      if (this.opts.script === undefined) throw new Error("script mode needs a script");
      layer = [
        { path: `${LAB_DIR_IN_VM}/pid1.sh`, content: renderScriptInit(`${LAB_DIR_IN_VM}/run.sh`), mode: 0o755 },
        { path: `${LAB_DIR_IN_VM}/run.sh`, content: this.opts.script, mode: 0o755 },
      ];
    }
    writeLayer(path.join(share, "layer"), layer);
    const initrd = path.join(this.runDir, "initramfs.cpio");
    fs.writeFileSync(
      initrd,
      buildInitramfs(kernel.modules, {
        mode,
        mgmt: mode === "systemd" ? { name: MGMT_IF, address: mgmt.address } : undefined,
        scriptInit: `${LAB_DIR_IN_VM}/pid1.sh`,
      }),
    );
    const args = qemuArgs({
      kernel: kernel.image,
      initrd,
      mode,
      shareDir: share,
      pidFile: path.join(this.runDir, "qemu.pid"),
      cpus: this.opts.cpus ?? 2,
      memoryMiB: this.opts.memoryMiB ?? 1024,
      sshPort,
      mgmt,
    });
    this.log(`kernel lab: booting Debian's kernel ${kernel.version} in qemu (TCG, ${mode} mode)`);
    this.spawnQemu(args);
  }

  /** Starts qemu with `args`; its console goes to console.log in the run directory and to the console waiters. */
  private spawnQemu(args: readonly string[]): void {
    this.qemuArgs = args;
    this.consoleText = "";
    this.lastProgress = Date.now();
    const proc = spawn("qemu-system-x86_64", args, { stdio: ["pipe", "pipe", "pipe"], detached: true });
    this.proc = proc;
    live.add(this);
    const consoleLog = fs.createWriteStream(path.join(this.runDir, "console.log"), { flags: "a" });
    let partial = "";
    const onData = (d: Buffer): void => {
      const text = d.toString("utf8").replace(/\r/g, "");
      consoleLog.write(text);
      this.consoleText += text;
      partial += text;
      const lines = partial.split("\n");
      partial = lines.pop() ?? "";
      if (lines.some(bootProgress)) this.lastProgress = Date.now();
      for (const line of lines) this.opts.console?.(line);
      this.waiters.forEach((w) => w());
    };
    proc.stdout?.on("data", onData);
    proc.stderr?.on("data", onData);
    this.exited = new Promise((resolve) => {
      proc.once("exit", (code) => {
        live.delete(this);
        consoleLog.end();
        this.waiters.forEach((w) => w());
        resolve(code);
      });
      proc.once("error", (e) => {
        live.delete(this);
        this.consoleText += `\nqemu: ${e.message}\n`;
        resolve(null);
      });
    });
  }

  private makeKeys(): { hostPriv: string; hostPub: string; clientPub: string } {
    const host = path.join(this.runDir, "host_key");
    const client = path.join(this.runDir, "client_key");
    for (const [file, comment] of [
      [host, "stage2-kernel-lab-vm"],
      [client, "stage2-kernel-lab-converge"],
    ]) {
      execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", file], { stdio: "ignore" });
    }
    return {
      hostPriv: fs.readFileSync(host, "utf8"),
      hostPub: fs.readFileSync(`${host}.pub`, "utf8"),
      clientPub: fs.readFileSync(`${client}.pub`, "utf8"),
    };
  }

  get running(): boolean {
    return this.proc !== undefined && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** Resolves when the console matches `re` (rejects when qemu exits first or after timeoutMs). */
  waitConsole(re: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => done(new Error(`VM console did not show ${re} within ${timeoutMs / 1000} s`)), timeoutMs);
      const check = (): void => {
        const m = this.consoleText.match(re);
        if (m) done(undefined, m);
        else if (!this.running) done(new Error(`VM stopped before its console showed ${re}:\n${this.consoleText.slice(-2000)}`));
      };
      const done = (err?: Error, m?: RegExpMatchArray): void => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== check);
        if (err) reject(err);
        else resolve(m as RegExpMatchArray);
      };
      this.waiters.push(check);
      check();
    });
  }

  /** The console's last lines (see consoleTail). */
  consoleTail(lines = TAIL_LINES): string {
    return consoleTail(this.consoleText, lines);
  }

  /**
   * systemd mode: waits for sshd and opens the SSH master connection. Waits as long as the boot makes progress:
   * fails when the console showed no progress for `stallMs` (or after BOOT_MAX_MS), with the console's last lines.
   */
  async waitSsh(stallMs = BOOT_STALL_MS): Promise<SshSession> {
    if (!this.ssh) throw new Error("no SSH in script mode");
    const started = Date.now();
    const failure = (why: string, e?: unknown): Error =>
      new Error(
        `sshd in the VM not reachable: ${why} after ${Math.round((Date.now() - started) / 1000)} s` +
          `${e ? ` (last attempt: ${(e as Error).message.trim()})` : ""}\n--- VM console, last lines ---\n${this.consoleTail()}`,
      );
    let retries = STUCK_BOOT_RETRIES;
    const stalled = (): string | undefined => {
      if (!this.running) return "the VM stopped during boot";
      if (Date.now() - this.lastProgress > stallMs) return `no boot progress on the console for ${stallMs / 1000} s`;
      if (Date.now() - started > BOOT_MAX_MS) return `boot still not done after ${BOOT_MAX_MS / 1000} s`;
      return undefined;
    };
    // An emulated CPU can hang for good at boot (seen once in five boots on an AMD EPYC, qemu 7.2's TCG): the
    // guest's kernel says so on the console. That boot is started again; any other stall fails.
    const stuckAgain = async (): Promise<boolean> => {
      if (!this.running || Date.now() - this.lastProgress <= stallMs || retries === 0) return false;
      const report = stuckReport(this.consoleText);
      if (!report) return false;
      retries--;
      this.log(`kernel lab: the VM's kernel reported itself stuck (${report}) and its boot made no progress for ${stallMs / 1000} s: starting it again`);
      this.kill();
      await this.exited;
      this.spawnQemu(this.qemuArgs);
      return true;
    };
    for (;;) {
      while (!/stage2-init: switching root/.test(this.consoleText)) {
        if (await stuckAgain()) continue;
        const why = stalled();
        if (why) throw failure(why);
        await new Promise((r) => setTimeout(r, 500));
      }
      try {
        await this.ssh.open();
        return this.ssh;
      } catch (e) {
        if (await stuckAgain()) continue;
        const why = stalled();
        if (why) throw failure(why, e);
      }
    }
  }

  waitExit(timeoutMs: number): Promise<number | null> {
    return Promise.race([
      this.exited,
      new Promise<number | null>((_, reject) => setTimeout(() => reject(new Error(`VM did not power off within ${timeoutMs / 1000} s`)), timeoutMs).unref()),
    ]);
  }

  /** Clean shutdown (systemctl poweroff), then qemu is killed if it lingers; the run directory is removed. */
  async stop(timeoutMs = 30000): Promise<void> {
    if (this.running && this.ssh) {
      await this.ssh.run("systemctl poweroff --no-block", { timeoutMs: 20_000 }).catch(() => undefined);
      await this.ssh.close().catch(() => undefined);
      await this.waitExit(timeoutMs).catch(() => this.kill());
    } else if (this.running) {
      await this.waitExit(timeoutMs).catch(() => this.kill());
    }
    this.kill();
    await this.exited;
    fs.rmSync(this.runDir, { recursive: true, force: true });
  }

  /** Immediate: SIGKILL qemu's process group (it runs detached from the terminal's). */
  kill(): void {
    // The master connections end with qemu: their TCP connection to its forwarded port closes.
    if (this.proc?.pid && this.running) {
      try {
        process.kill(-this.proc.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  }
}

/** Script mode: boots, runs `script` inside (no systemd), returns its exit code and the console output. */
export async function runInVm(
  script: string,
  opts: Omit<VmOptions, "mode" | "script"> & { timeoutMs?: number } = {},
): Promise<{ code: number; output: string; seconds: number }> {
  const vm = await KernelVm.start({ ...opts, mode: "script", script, name: opts.name ?? "script" });
  try {
    const m = await vm.waitConsole(/stage2-vm: exit (\d+)/, opts.timeoutMs ?? 60000);
    const start = vm.console.indexOf("stage2-vm: script start\n");
    const output = start >= 0 ? vm.console.slice(start + "stage2-vm: script start\n".length, m.index) : vm.console;
    await vm.waitExit(10000).catch(() => vm.kill());
    return { code: Number(m[1]), output, seconds: (Date.now() - vm.bootStarted) / 1000 };
  } finally {
    await vm.stop(5000);
  }
}
