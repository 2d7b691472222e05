import { Problem } from "../components/model/gateway";
import { Violation } from "./runner";
import { gotValue } from "../components/util/show-value";

/**
 * stage2's model rejects some policy violations in the stack config itself, before any resource exists (its
 * cross-field checks are the config-time twins of these policies). `stage2 policy` reports them under the policy
 * they anticipate, so a bad config fails with the same name whichever layer catches it.
 */
const TWINS: readonly { policy: string; test: (p: Problem) => boolean }[] = [
  { policy: "ipsec-binds-floating-ip", test: (p) => /\.localAddrs$/.test(p.path) || /^(.*\.)?floatingIp\.address$/.test(p.path) },
  { policy: "ipsec-not-over-wireguard", test: (p) => /WireGuard|wireguard\.peers\[\d+\]\.allowedIps/.test(p.message) },
];

export function configViolations(problems: readonly Problem[]): Violation[] {
  return problems.map((p) => {
    const shown = gotValue(p.path, p.value);
    return {
      policy: TWINS.find((t) => t.test(p))?.policy ?? "stack-config",
      enforcementLevel: "mandatory",
      resource: p.path || "(config)",
      message: `${p.message}${shown}; the stage2 model rejects it before any resource exists.`,
    };
  });
}
