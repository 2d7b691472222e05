import { z } from "zod";
import { formatProblem, GatewayModel, parseGateway, Problem, zodProblems } from "../components/model/gateway";
import { spansOverlap } from "../components/model/net";
import { extraPools } from "../components/model/rules/extra-swanctl";
import { secretSlots, secretValueProblem } from "../components/model/secrets";
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
 * referenced secret is set. `hasKey` tells whether `stage2:<key>` is set in the stack's config; `valueOf` gives the
 * values it knows (default: the plain ones in `config`).
 */
export function parseStack(
  config: Record<string, unknown>,
  hasKey: (key: string) => boolean,
  valueOf: (key: string) => unknown = (key) => config[key],
): { ok: true; stack: ParsedStack } | { ok: false; problems: Problem[] } {
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
  gateways.forEach((gw, i) => {
    once("gateway name", gw.name, `gateways[${i}].name`);
    once("server id", gw.server.id, `gateways[${i}].server.id`);
    once("server address", gw.server.ipv4, `gateways[${i}].server.ipv4`);
    if (gw.floatingIp.address) once("floating IP", gw.floatingIp.address, `gateways[${i}].floatingIp.address`);
    if (gw.floatingIp.id) once("floating IP id", gw.floatingIp.id, `gateways[${i}].floatingIp.id`);
  });
  problems.push(...crossGatewayClaims(gateways));
  if (!hasKey("sshPrivateKey")) {
    problems.push({ path: "sshPrivateKey", message: "is not set: pulumi config set --secret stage2:sshPrivateKey < key" });
  } else if (valueOf("sshPrivateKey") !== undefined) {
    const why = secretValueProblem({ kind: "private-key", path: "sshPrivateKey" }, valueOf("sshPrivateKey"));
    if (why) problems.push({ path: "stage2:sshPrivateKey", message: why });
  }
  // Secret values known here (a lab stack's plain ones offline; all of them in the program) must reach strongSwan
  // as the user meant them. Messages name the key, never the value.
  gateways.forEach((gw, i) => {
    for (const slot of secretSlots(gw)) {
      const value = valueOf(slot.ref);
      if (value === undefined) continue;
      const path = `gateways[${i}].${slot.path}`;
      const why = secretValueProblem({ ...slot, path }, value);
      if (why) problems.push({ path: `${path} → stage2:${slot.ref}`, message: why });
    }
  });
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

/**
 * BGP announces each gateway's pools and sites' networks: a gateway claiming addresses inside another gateway's
 * pool would draw that gateway's road warriors' return traffic. Pool against pool is reported once, at the later.
 */
function crossGatewayClaims(gateways: GatewayModel[]): Problem[] {
  const problems: Problem[] = [];
  const claims = gateways.map((gw, i) => {
    const at = (path: string) => `gateways[${i}].${path}`;
    const pools = [
      ...gw.ipsec.roadWarriors.map((rw, j) => ({ cidr: rw.pool, path: at(`ipsec.roadWarriors[${j}].pool`) })),
      ...extraPools(gw).map((p) => ({ ...p, path: at(p.path) })),
    ];
    const sites = gw.ipsec.sites.flatMap((s, j) => s.remoteTs.map((cidr, k) => ({ cidr, path: at(`ipsec.sites[${j}].remoteTs[${k}]`) })));
    return { pools, sites };
  });
  claims.forEach((mine, i) => {
    claims.forEach((theirs, j) => {
      if (i === j) return;
      const claimed = [...(j < i ? mine.pools : []), ...mine.sites];
      for (const c of claimed) {
        for (const pool of theirs.pools.filter((p) => spansOverlap(p.cidr, c.cidr))) {
          problems.push({ path: c.path, message: `overlaps the pool at ${pool.path} (${pool.cidr}) of another gateway`, value: c.cidr });
        }
      }
    });
  });
  return problems;
}

export class StackConfigError extends Error {
  constructor(readonly problems: Problem[]) {
    super(`invalid stack configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n  ${problems.map(formatProblem).join("\n  ")}`);
    this.name = "StackConfigError";
  }
}
