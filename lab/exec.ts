import { spawn } from "child_process";

/** The outcome of one command: exit code and both streams, never thrown for a non-zero exit. */
export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  /** Written to the command's stdin, then stdin is closed. */
  readonly input?: string;
  /** Kills the command (SIGKILL) after this long; the result then has code 124. Default 60 s. */
  readonly timeoutMs?: number;
  /** Runs even after an interrupt (the teardown's own commands). */
  readonly afterInterrupt?: boolean;
}

const running = new Set<ReturnType<typeof spawn>>();
let interrupted = false;

export class InterruptedError extends Error {}

/** Runs argv[0] with the rest as arguments (no shell on this side). */
export function run(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  if (interrupted && !opts.afterInterrupt) return Promise.reject(new InterruptedError(`interrupted: not running ${argv[0]}`));
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ["pipe", "pipe", "pipe"] });
    running.add(child);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, opts.timeoutMs ?? 60_000);
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.on("error", (e) => {
      clearTimeout(timer);
      running.delete(child);
      reject(e);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      running.delete(child);
      resolve({
        code: timedOut ? 124 : (code ?? (signal ? 128 : 1)),
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8") + (timedOut ? `\n(timed out after ${opts.timeoutMs ?? 60_000} ms)` : ""),
      });
    });
    child.stdin.on("error", () => undefined);
    child.stdin.end(opts.input ?? "");
  });
}

/** Like run, but a non-zero exit is an error carrying the command's own message. */
export async function runOk(argv: readonly string[], opts: RunOptions = {}): Promise<string> {
  const res = await run(argv, opts);
  if (res.code !== 0) throw new CommandError(argv, res);
  return res.stdout;
}

export class CommandError extends Error {
  constructor(
    readonly argv: readonly string[],
    readonly result: RunResult,
  ) {
    super(`${describe(argv)} exited ${result.code}: ${(result.stderr.trim() || result.stdout.trim()).slice(-2000)}`);
    this.name = "CommandError";
  }
}

function describe(argv: readonly string[]): string {
  const shown = argv.join(" ");
  return shown.length > 160 ? `${shown.slice(0, 157)}...` : shown;
}

/**
 * Ctrl-C: kills every command still running and refuses new ones, so that whatever was building the lab stops
 * and the teardown (its commands marked afterInterrupt) runs on a quiet machine.
 */
export function interruptAll(): void {
  interrupted = true;
  for (const child of running) child.kill("SIGKILL");
}
