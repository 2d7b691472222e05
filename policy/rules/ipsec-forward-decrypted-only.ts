import { Finding, note, violation } from "../model/finding";
import { GatewayView } from "../model/gateways";
import { rangeContains, rangesOverlap } from "../model/ranges";
import { AcceptPath, hookView, valuesOf } from "../nft/paths";
import { Rule } from "../nft/rule";
import { Check } from "./check";
import { connectionsOf, isDecryptedOnly, isNotDecrypted, isReplyOnly, nftText, poolsOf, selectorAddress } from "./gateway-facts";
import { decidingAccepts, inputInterfaces } from "./nft-services";

/** Sources that only ever arrive through IPsec: virtual-IP pools, and site peers' networks (remote_ts). */
function ipsecSources(gw: GatewayView): { range: string; what: string }[] {
  const pools = poolsOf(gw).flatMap((p) => p.addrs.map((a) => ({ range: a, what: `pool "${p.name}" (${a})` })));
  const sites = connectionsOf(gw)
    .filter(({ conn }) => conn.pools.length === 0)
    .flatMap(({ conn }) =>
      conn.children.flatMap((c) =>
        c.remoteTs
          .map(selectorAddress)
          .filter((ts) => ts !== "dynamic" && ts !== "0.0.0.0/0" && ts !== "::/0")
          .map((ts) => ({ range: ts, what: `remote_ts of "${conn.name}" (${ts})` })),
      ),
    );
  return [...pools, ...sites];
}

/** An earlier rule that already drops these sources when they did not come through IPsec. */
function droppedBefore(before: readonly Rule[], source: string): boolean {
  return before.some((r) => {
    if (r.verdict?.kind !== "drop" && r.verdict?.kind !== "reject") return false;
    if (isReplyOnly(r.matches) || inputInterfaces(r.matches)) return false;
    const saddr = valuesOf(r.matches, "ip saddr") ?? valuesOf(r.matches, "ip6 saddr");
    const covers = saddr === undefined || saddr.some((s) => rangeContains(s, source));
    return covers && isNotDecrypted(r.matches);
  });
}

function checkGateway(gw: GatewayView): Finding[] {
  const sources = ipsecSources(gw);
  if (sources.length === 0) return [];
  if (gw.rulesets.length === 0) {
    const at = connectionsOf(gw)[0]?.file.subject ?? gw.commands[0];
    return [
      note(
        at,
        `${gw.label}: no nftables ruleset for this host is in the stack, so what it forwards from ${sources.map((s) => s.range).join(", ")} is not checked`,
      ),
    ];
  }
  const findings: Finding[] = [];
  const forward = hookView(
    gw.rulesets.map((r) => r.ruleset),
    "forward",
  );
  const fileOf = (p: AcceptPath) => gw.rulesets.find((r) => r.ruleset.tables.includes(p.table))?.file ?? gw.rulesets[0].file;
  if (forward.defaultAccept) {
    const file = gw.rulesets[0].file;
    const why = forward.baseChains.length === 0 ? "has no forward chain" : "lets unmatched forwarded packets through (policy accept)";
    findings.push(
      violation(
        file.subject,
        `${file.path}: the ruleset ${why}, so traffic from ${sources.map((s) => s.what).join(", ")} is forwarded whether or not it came through IPsec. Add a forward chain with policy drop that accepts these sources only with \`meta ipsec exists\` (or \`iifname "ipsec0"\` with libipsec).`,
      ),
    );
  }
  for (const path of decidingAccepts(forward)) {
    if (isDecryptedOnly(path.matches) || isReplyOnly(path.matches)) continue;
    const saddr = valuesOf(path.matches, "ip saddr") ?? valuesOf(path.matches, "ip6 saddr");
    const hit = saddr ? sources.filter((s) => saddr.some((v) => rangesOverlap(v, s.range))) : inputInterfaces(path.matches) ? [] : sources;
    const open = hit.filter((s) => !droppedBefore(path.before, s.range));
    if (open.length === 0) continue;
    const file = fileOf(path);
    const how = saddr ? "by source address alone" : "from any source and interface";
    findings.push(
      violation(
        file.subject,
        `${file.path}: forward rule "${nftText(path.rule)}" accepts traffic from ${open.map((s) => s.what).join(", ")} ${how}, so a packet with that source is forwarded even if it never came through IPsec. Add \`meta ipsec exists\` to the rule (\`iifname "ipsec0"\` with the libipsec dataplane).`,
      ),
    );
  }
  return findings;
}

export const ipsecForwardDecryptedOnly: Check = {
  name: "ipsec-forward-decrypted-only",
  description:
    "Traffic from a virtual-IP pool or an IPsec site's networks is forwarded only when it came out of IPsec (`meta ipsec exists`, or the libipsec device), never on its source address alone.",
  enforcementLevel: "mandatory",
  why:
    "The notes' quick fix `iifname $wan ip saddr 10.3.0.0/24 ... accept` forwards anything that claims a pool address, spoofed or not: " +
    '"coming from that subnet is only a symptom". Only the secpath (`meta ipsec exists`, printed back by nft for `meta secpath exists`) proves the packet was decrypted.',
  check: (view) => view.gateways.flatMap(checkGateway),
};
