import { LabHost } from "../lab/host";
import { GatewayShell } from "./types";

/** A lab host (a namespace, a VM's host) as doctor reads it: the same bash script, run inside it. */
export function labShell(host: LabHost<string>): GatewayShell {
  return { run: (script, opts) => host.exec(script, { timeoutMs: opts?.timeoutMs ?? 20_000 }) };
}
