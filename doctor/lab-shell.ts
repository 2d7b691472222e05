import { LabHost } from "../lab/host";
import { GatewayShell } from "./types";

const PROBE_TIMEOUT_MS = 20_000;

/**
 * A lab host (a namespace, a VM's host) as doctor reads it: the same bash script, run inside it.
 * `slowdown` stretches every probe's timeout for a host that runs slower than a gateway does (an emulated VM).
 */
export function labShell(host: LabHost<string>, slowdown = 1): GatewayShell {
  return { run: (script, opts) => host.exec(script, { timeoutMs: (opts?.timeoutMs ?? PROBE_TIMEOUT_MS) * slowdown }) };
}
