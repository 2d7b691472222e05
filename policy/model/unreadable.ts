import { Finding, violation } from "./finding";

/** The gateway-commands-readable finding: what could not be read, where, and what it touches. */
export function unreadable(subject: { urn: string; name: string }, where: string, what: string, domain: string): Finding {
  const touches = domain === "unknown" ? "what it touches on the gateway is unknown" : `it touches the gateway's ${domain}`;
  return violation(subject, `${where}: ${what}; ${touches}, so the policies cannot vouch for it. ${FIX}`);
}

const FIX =
  "Write each file whole (a stage2 payload, or `cat > PATH <<'EOF'`) and load it with a command the pack reads (docs/policy.md), " +
  "or set gateway-commands-readable to advisory in the policy pack config.";
