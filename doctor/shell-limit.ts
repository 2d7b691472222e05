import { GatewayShell } from "./types";

/**
 * sshd runs at most MaxSessions (default 10) sessions over one connection, and doctor's shell multiplexes every
 * probe over one master: more at once and the surplus are refused, which doctor would report as unreadable.
 */
export const MAX_PROBES_AT_ONCE = 4;

/** The same shell, running at most `max` scripts at a time; the rest wait their turn (a probe's timeout starts when it runs). */
export function limitedShell(shell: GatewayShell, max = MAX_PROBES_AT_ONCE): GatewayShell {
  let running = 0;
  const waiting: Array<() => void> = [];
  // A finishing script hands its slot to the next in line, so `running` never exceeds `max`.
  const take = (): Promise<void> => (running < max ? (running++, Promise.resolve()) : new Promise((resolve) => waiting.push(resolve)));
  const give = (): void => {
    const next = waiting.shift();
    if (next) next();
    else running--;
  };
  return {
    async run(script, opts) {
      await take();
      try {
        return await shell.run(script, opts);
      } finally {
        give();
      }
    },
  };
}
