import { GatewayShell } from "./types";

/**
 * sshd runs at most MaxSessions (default 10) sessions over one connection, and doctor's shell multiplexes every
 * probe over one master: more at once and the surplus are refused, which doctor would report as unreadable.
 */
export const MAX_PROBES_AT_ONCE = 4;

/** Runs what it is given at most `max` at a time; the rest wait their turn, in order (a timeout starts when it runs). */
export type Limit = <T>(fn: () => Promise<T>) => Promise<T>;

export function concurrencyLimit(max: number): Limit {
  let running = 0;
  const waiting: Array<() => void> = [];
  // A finishing call hands its slot to the next in line, so `running` never exceeds `max`.
  const take = (): Promise<void> => (running < max ? (running++, Promise.resolve()) : new Promise((resolve) => waiting.push(resolve)));
  const give = (): void => {
    const next = waiting.shift();
    if (next) next();
    else running--;
  };
  return async (fn) => {
    await take();
    try {
      return await fn();
    } finally {
      give();
    }
  };
}

/** The same shell, running at most `max` scripts at a time. */
export function limitedShell(shell: GatewayShell, max = MAX_PROBES_AT_ONCE): GatewayShell {
  const limit = concurrencyLimit(max);
  return { run: (script, opts) => limit(() => shell.run(script, opts)) };
}
