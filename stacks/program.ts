import * as pulumi from "@pulumi/pulumi";
import { Stage2Gateway } from "../components/stage2-gateway";
import { parseStack, StackConfigError } from "./schema";

/**
 * The deployable program: reads `stage2:*` config once, validates all of it before any resource exists, and builds
 * one Stage2Gateway per gateway. Exports each gateway's floating IP and WireGuard public key.
 */
export function stage2Program(): Record<string, pulumi.Output<string>> {
  const config = new pulumi.Config("stage2");
  // The SDK re-parses all of the stack's config on every Config.get*, so a key-by-key lookup of a gateway's
  // thousands of secrets was quadratic (most of a big gateway's preview): every key is read from one parse instead.
  const all = pulumi.runtime.allConfig();
  const value = (key: string): string | undefined => all[`stage2:${key}`];
  const raw = { gateways: config.getObject<unknown[]>("gateways") };
  const parsed = parseStack(raw, (key) => value(key) !== undefined, value);
  if (!parsed.ok) throw new StackConfigError(parsed.problems);
  const sshPrivateKey = config.requireSecret("sshPrivateKey");
  const outputs: Record<string, pulumi.Output<string>> = {};
  for (const gw of parsed.stack.gateways) {
    // Plain values: Swanctl, their only reader, wraps them all in ONE secret Output. An Output per secret (10,000 EAP
    // users) cost more in the SDK's promise bookkeeping than rendering the whole gateway.
    const secrets = Object.fromEntries((parsed.stack.secretRefs.get(gw.name) ?? []).map((ref) => [ref, value(ref) as string]));
    const gateway = new Stage2Gateway(gw.name, { gateway: gw, sshPrivateKey, secrets });
    outputs[`${gw.name}-floatingIp`] = gateway.floatingIp;
    outputs[`${gw.name}-wireguardPublicKey`] = gateway.wireguardPublicKey;
  }
  return outputs;
}
