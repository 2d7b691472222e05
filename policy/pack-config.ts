import type { EnforcementLevel, Policies } from "@pulumi/policy";

/**
 * A policy pack config in the format `pulumi preview --policy-pack-config FILE` reads: an object keyed by policy
 * name (or "all" for every policy), each value an enforcement level or an object with `enforcementLevel`.
 * A policy's own entry wins over "all". `stage2 policy --policy-pack-config FILE` applies the same file offline.
 */
const LEVELS: readonly EnforcementLevel[] = ["advisory", "mandatory", "remediate", "disabled"];

export function parsePackConfig(text: string, file: string, policies: Policies): Map<string, EnforcementLevel> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new Error(`${file} is not JSON (${(err as Error).message})`);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new Error(`${file} must hold a JSON object keyed by policy name`);
  const names = new Set(policies.map((p) => p.name));
  const levels = new Map<string, EnforcementLevel>();
  for (const [name, value] of Object.entries(raw)) {
    if (name !== "all" && !names.has(name)) throw new Error(`${file}: "${name}" is not a policy of this pack (${[...names].join(", ")})`);
    const level =
      typeof value === "string" ? value : typeof value === "object" && value !== null ? (value as { enforcementLevel?: unknown }).enforcementLevel : undefined;
    if (level === undefined && typeof value === "object" && value !== null) continue;
    if (typeof level !== "string" || !LEVELS.includes(level as EnforcementLevel)) {
      throw new Error(`${file}: "${name}" must be one of ${LEVELS.join(", ")} (or an object with enforcementLevel)`);
    }
    levels.set(name, level as EnforcementLevel);
  }
  return levels;
}

/** The policies with the configured enforcement levels, as the policy SDK applies a pack config. */
export function withLevels(policies: Policies, levels: ReadonlyMap<string, EnforcementLevel>): Policies {
  return policies.map((p) => {
    const level = levels.get(p.name) ?? levels.get("all");
    return level === undefined ? p : { ...p, enforcementLevel: level };
  });
}
