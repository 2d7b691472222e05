import { z } from "zod";
import { formatProblem, GatewayModel, parseGateway, Problem, zodProblems } from "../components/model/gateway";
import { overlaps } from "../components/model/net";
import { swanctlSecretRefs } from "../components/strongswan/gateway-swanctl";

/**
 * The stack configuration (`stage2:*` keys of Pulumi.<env>.yaml), read once by the program and by the offline CLI.
 * Secret values are referenced by name; their values never pass through this schema.
 */
export const StackConfig = z
  .object({
    /** The gateways of this environment. */
    gateways: z.array(z.unknown()).min(1, "at least one gateway"),
  })
  .passthrough();

export interface ParsedStack {
  readonly gateways: GatewayModel[];
  /** Secret config keys (without the `stage2:` prefix) each gateway needs, in order. */
  readonly secretRefs: Map<string, string[]>;
}

/**
 * Validates the whole stack: each gateway (schema + cross-field rules), then rules across gateways, then that every
 * referenced secret is set. `hasKey` tells whether `stage2:<key>` is set in the stack's config.
 */
export function parseStack(config: Record<string, unknown>, hasKey: (key: string) => boolean): { ok: true; stack: ParsedStack } | { ok: false; problems: Problem[] } {
  const top = StackConfig.safeParse(config);
  if (!top.success) return { ok: false, problems: zodProblems(top.error, config) };
  const problems: Problem[] = [];
  const gateways: GatewayModel[] = [];
  top.data.gateways.forEach((raw, i) => {
    const parsed = parseGateway(raw, `gateways[${i}]`);
    if (parsed.ok) gateways.push(parsed.gateway);
    else problems.push(...parsed.problems);
  });
  if (problems.length) return { ok: false, problems };

  const firstAt = new Map<string, string>();
  const once = (kind: string, value: string | number, path: string) => {
    const key = `${kind}=${value}`;
    const prior = firstAt.get(key);
    if (prior) problems.push({ path, message: `duplicate ${kind} (also at ${prior})`, value });
    else firstAt.set(key, path);
  };
  const pools: { cidr: string; path: string }[] = [];
  gateways.forEach((gw, i) => {
    once("gateway name", gw.name, `gateways[${i}].name`);
    once("server id", gw.server.id, `gateways[${i}].server.id`);
    once("server address", gw.server.ipv4, `gateways[${i}].server.ipv4`);
    if (gw.floatingIp.address) once("floating IP", gw.floatingIp.address, `gateways[${i}].floatingIp.address`);
    if (gw.floatingIp.id) once("floating IP id", gw.floatingIp.id, `gateways[${i}].floatingIp.id`);
    gw.ipsec.roadWarriors.forEach((rw, j) => {
      const path = `gateways[${i}].ipsec.roadWarriors[${j}].pool`;
      // BGP announces each pool from one gateway; two gateways sharing a pool would hijack each other's clients.
      for (const other of pools) {
        if (!other.path.startsWith(`gateways[${i}].`) && overlaps(other.cidr, rw.pool)) {
          problems.push({ path, message: `overlaps the pool at ${other.path} (${other.cidr}) of another gateway`, value: rw.pool });
        }
      }
      pools.push({ cidr: rw.pool, path });
    });
  });
  if (!hasKey("sshPrivateKey")) {
    problems.push({ path: "sshPrivateKey", message: "is not set: pulumi config set --secret stage2:sshPrivateKey < key" });
  }
  const secretRefs = new Map<string, string[]>();
  gateways.forEach((gw, i) => {
    const refs = swanctlSecretRefs(gw);
    secretRefs.set(gw.name, [...new Set(refs.map((r) => r.ref))]);
    for (const { ref, what } of refs) {
      if (!hasKey(ref)) {
        problems.push({ path: `gateways[${i}] → stage2:${ref}`, message: `secret for ${what} is not set: pulumi config set --secret stage2:${ref}` });
      }
    }
  });
  return problems.length ? { ok: false, problems } : { ok: true, stack: { gateways, secretRefs } };
}

export class StackConfigError extends Error {
  constructor(readonly problems: Problem[]) {
    super(`invalid stack configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n  ${problems.map(formatProblem).join("\n  ")}`);
    this.name = "StackConfigError";
  }
}
