import type { EnforcementLevel, Policies, PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { SECRETS_VISIBLE_TAG } from "./rules/check";
import { urnKey } from "./model/gateways";
import { Sealed } from "./model/values";

/** A resource as the in-process preview records it (preview/runtime.ts). */
export interface PreviewedResource {
  readonly type: string;
  readonly name: string;
  readonly urn: string;
  readonly parent?: string;
  readonly dependencies?: readonly string[];
  /** Inputs with secrets unwrapped... */
  readonly inputs: Record<string, unknown>;
  /** ...and the dotted paths that were secret. Absent when the recorder could not tell. */
  readonly secretPaths?: readonly string[];
  /** An imported (adopted) resource already exists: the engine shows policies its outputs too. */
  readonly importId?: string;
  readonly outputs?: Record<string, unknown>;
}

export interface Violation {
  readonly policy: string;
  readonly enforcementLevel: EnforcementLevel;
  readonly urn?: string;
  /** The resource's name, or undefined for the stack as a whole. */
  readonly resource?: string;
  readonly message: string;
}

/** Puts the secret markers back where the recorder saw them, so policies can tell a secret input from a plain one. */
function seal(inputs: Record<string, unknown>, paths: readonly string[]): Record<string, unknown> {
  const copy = structuredClone(inputs);
  for (const path of paths) {
    const keys = path.split(".");
    let node: Record<string, unknown> = copy;
    for (const key of keys.slice(0, -1)) {
      const next = node[key];
      if (typeof next !== "object" || next === null) break;
      node = next as Record<string, unknown>;
    }
    const last = keys[keys.length - 1];
    if (last in node) node[last] = new Sealed(node[last] as never);
  }
  return copy;
}

function policyResources(recorded: readonly PreviewedResource[]): PolicyResource[] {
  const byKey = new Map<string, PolicyResource>();
  const out = recorded.map((r) => {
    const resource = {
      type: r.type,
      name: r.name,
      urn: r.urn,
      props: seal(r.importId ? { ...(r.outputs ?? {}), ...r.inputs } : r.inputs, r.secretPaths ?? []),
      opts: {
        protect: false,
        ignoreChanges: [],
        aliases: [],
        customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
        additionalSecretOutputs: [],
      },
      dependencies: [] as PolicyResource[],
      propertyDependencies: {},
      isType: () => false,
      asType: () => undefined,
    } as unknown as PolicyResource;
    byKey.set(urnKey(r.urn), resource);
    return resource;
  });
  recorded.forEach((r, i) => {
    const res = out[i] as { parent?: PolicyResource; dependencies: PolicyResource[] };
    const ref = (urn: string) => byKey.get(urnKey(urn)) ?? ({ urn, type: "", name: "", props: {} } as unknown as PolicyResource);
    if (r.parent) res.parent = ref(r.parent);
    res.dependencies = (r.dependencies ?? []).map(ref);
  });
  return out;
}

const nameOf = (urn: string | undefined): string | undefined => (urn === undefined ? undefined : urn.slice(urn.lastIndexOf("::") + 2));

/**
 * Runs a policy array offline, the way the Pulumi engine would: stack policies once, resource policies per resource.
 * A policy that throws is reported as a mandatory violation naming the error, so it can never pass silently.
 */
export async function runPolicies(recorded: readonly PreviewedResource[], policies: Policies): Promise<Violation[]> {
  const resources = policyResources(recorded);
  const secretsVisible = recorded.every((r) => r.secretPaths !== undefined);
  const stackTags = new Map<string, string>(secretsVisible ? [[SECRETS_VISIBLE_TAG, "true"]] : []);
  const violations: Violation[] = [];
  for (const policy of policies) {
    // As the policy SDK does: "remediate" on a policy without a remediation enforces like "mandatory".
    const level = policy.enforcementLevel === "remediate" ? "mandatory" : (policy.enforcementLevel ?? "advisory");
    if (level === "disabled") continue;
    const report = (message: string, urn?: string) => violations.push({ policy: policy.name, enforcementLevel: level, urn, resource: nameOf(urn), message });
    const notApplicable = (): never => {
      throw new NotApplicable();
    };
    try {
      if ("validateStack" in policy) {
        await (policy as StackValidationPolicy).validateStack({ resources, stackTags, getConfig: <T>() => ({}) as T, notApplicable }, report);
      } else {
        const validations = (policy as ResourceValidationPolicy).validateResource;
        const fns = validations === undefined ? [] : Array.isArray(validations) ? validations : [validations];
        for (const r of resources) {
          for (const fn of fns) {
            await fn(
              {
                type: r.type,
                props: r.props,
                urn: r.urn,
                name: r.name,
                opts: r.opts,
                stackTags,
                getConfig: <T>() => ({}) as T,
                notApplicable,
                isType: () => false,
                asType: () => undefined,
              } as never,
              (message, urn) => report(message, urn ?? r.urn),
            );
          }
        }
      }
    } catch (err) {
      if (err instanceof NotApplicable) continue;
      violations.push({ policy: policy.name, enforcementLevel: "mandatory", message: `the policy failed: ${(err as Error).stack ?? String(err)}` });
    }
  }
  return violations;
}

class NotApplicable extends Error {}

export const hasMandatory = (violations: readonly Violation[]): boolean => violations.some((v) => v.enforcementLevel === "mandatory");

/** One line per violation: `[level] policy: resource: message`. */
export function formatViolations(violations: readonly Violation[]): string {
  const order: Record<string, number> = { mandatory: 0, remediate: 1, advisory: 2, disabled: 3 };
  return [...violations]
    .sort((a, b) => order[a.enforcementLevel] - order[b.enforcementLevel])
    .map((v) => `[${v.enforcementLevel}] ${v.policy}: ${v.resource ?? "(stack)"}: ${v.message}\n`)
    .join("");
}
