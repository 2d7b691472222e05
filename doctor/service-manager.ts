import { ServiceManager } from "../components/host/types";
import { probe } from "./probe";
import { Evidence, GatewayShell } from "./types";

/**
 * systemd where it booted the host (production, the kernel lab); "direct" where daemons run without a service
 * manager (the namespace lab), judged by the same probes the apply script uses there.
 */
export async function detectServiceManager(shell: GatewayShell): Promise<{ manager: ServiceManager; evidence: Evidence }> {
  const p = await probe(shell, "[ -d /run/systemd/system ] && echo systemd || echo direct");
  return { manager: p.result.stdout.trim() === "systemd" ? "systemd" : "direct", evidence: p.evidence };
}
