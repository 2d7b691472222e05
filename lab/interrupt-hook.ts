import { STEP_HOOK, Step } from "../components/host/apply-script";

/** How a run is stopped: SIGKILL (no trap runs), or the SSH connection closing under it. */
export type Fault = "kill" | "close";

/** The file a run paused for `close` creates on the host, so the test knows when to drop the connection. */
export const PAUSED_FILE = "/run/stage2-fault-paused";

const KILL = "kill -KILL $$ $BASHPID";
// Writes to the script's own stderr (kept as fd 8: the SSH channel, even from inside `$(activate)`) until the
// write fails: then SIGPIPE does what it does to a production run whose channel is gone. Bounded: never hangs.
const PAUSE = `: > ${PAUSED_FILE}; for _ in $(seq 300); do sleep 0.1; printf . >&8 || break; done`;

/**
 * The apply script with its no-op `step` replaced by one that stops the run at `at`. "swapping" stops after the
 * first file of the swap, before the second. "rollback" first makes the run roll back (SIGTERM, or the connection
 * closing, during activation) and then SIGKILLs it in the middle of that rollback.
 */
export function interruptedScript(script: string, at: Step, how: Fault): string {
  if (!script.includes(STEP_HOOK)) throw new Error("the apply script has no step hook");
  const stop = how === "kill" ? KILL : PAUSE;
  const hook =
    at === "rollback"
      ? `step() { case "$1" in activating) ${how === "kill" ? "kill -TERM $$" : PAUSE};; rollback) ${KILL};; esac; }`
      : `step() { if [ "$1" = ${at} ]; then ${stop}; fi; }`;
  return script.replace(STEP_HOOK, () => (how === "close" ? `exec 8>&2; ${hook}` : hook));
}
