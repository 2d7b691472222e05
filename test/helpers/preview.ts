import { PreviewResult, redacted, runPreview } from "../../preview/runtime";
import { stage2Program } from "../../stacks/program";
import { floatingIpResourceName } from "../../components/concern-registry";

/** Runs the stage2 program under mocks on a config object (as a Pulumi.<env>.yaml's `stage2:` keys would give it). */
export function previewConfig(config: Record<string, unknown>, secureKeys: string[], stack = "test"): Promise<PreviewResult> {
  const flat: Record<string, string> = {};
  for (const [k, v] of Object.entries(config)) flat[`stage2:${k}`] = typeof v === "string" ? v : JSON.stringify(v);
  for (const k of secureKeys) flat[`stage2:${k}`] = redacted(k);
  const known: Record<string, string> = {};
  for (const gw of (config.gateways as { name: string; floatingIp: { address?: string } }[]) ?? []) {
    if (gw.floatingIp.address) known[floatingIpResourceName(gw.name)] = gw.floatingIp.address;
  }
  return runPreview(
    stack,
    flat,
    secureKeys.map((k) => `stage2:${k}`),
    stage2Program,
    known,
  );
}
