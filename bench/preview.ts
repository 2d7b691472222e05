import { redacted, runPreview } from "../preview/runtime";
import { stage2Program } from "../stacks/program";
import { generatedStack } from "./generated-stack";
import { floatingIpResourceName } from "../components/concern-registry";

export interface PreviewFigure {
  readonly gateways: number;
  readonly resources: number;
  readonly seconds: number;
}

/** Time to preview (run the whole program in-process under mocks) a generated stack of n gateways. */
export async function benchPreview(n: number): Promise<PreviewFigure> {
  const { config, secureKeys } = generatedStack(n);
  const flat: Record<string, string> = {};
  for (const [k, v] of Object.entries(config)) flat[`stage2:${k}`] = typeof v === "string" ? v : JSON.stringify(v);
  for (const k of secureKeys) flat[`stage2:${k}`] = redacted(k);
  const known: Record<string, string> = {};
  for (const gw of config.gateways as { name: string; floatingIp: { address: string } }[]) known[floatingIpResourceName(gw.name)] = gw.floatingIp.address;
  const start = process.hrtime.bigint();
  const result = await runPreview(
    `bench-${n}`,
    flat,
    secureKeys.map((k) => `stage2:${k}`),
    stage2Program,
    known,
  );
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return { gateways: n, resources: result.resources.length, seconds };
}
