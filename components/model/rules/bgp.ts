import type { GatewayModel, Problem } from "../gateway";
import { addressOf } from "../net";

/** RFC 6793's stand-in for 4-byte ASNs in 2-byte fields: never a real AS. */
export const AS_TRANS = 23456;

/** BGP sessions that cannot be what the user meant: to the gateway itself, or with AS_TRANS. */
export function checkBgp(gw: GatewayModel): Problem[] {
  const problems: Problem[] = [];
  const bgp = gw.bgp;
  if (!bgp) return problems;
  if (bgp.localAsn === AS_TRANS) {
    problems.push({ path: "bgp.localAsn", message: "is AS_TRANS (RFC 6793), a placeholder for 4-byte ASNs, never a real AS", value: bgp.localAsn });
  }
  const own: [string, string | undefined][] = [
    ["private.address", addressOf(gw.private.address)],
    ["floatingIp.address", gw.floatingIp.address],
    ["server.ipv4", gw.server.ipv4],
  ];
  bgp.neighbors.forEach((nb, i) => {
    const mine = own.find(([, addr]) => addr === nb.address);
    if (mine) problems.push({ path: `bgp.neighbors[${i}].address`, message: `is the gateway's own address (${mine[0]})`, value: nb.address });
    if (nb.asn === AS_TRANS) {
      problems.push({ path: `bgp.neighbors[${i}].asn`, message: "is AS_TRANS (RFC 6793), a placeholder for 4-byte ASNs, never a real AS", value: nb.asn });
    }
  });
  return problems;
}
