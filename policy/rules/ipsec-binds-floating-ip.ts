import { Finding, note, violation } from "../model/finding";
import { floatingAddresses, GatewayView } from "../model/gateways";
import { isAddressText, rangesOverlap } from "../model/ranges";
import { Check } from "./check";
import { connectionsOf, wireguardRanges } from "./gateway-facts";

const ANY = new Set(["%any", "%any4", "%any6", "0.0.0.0", "::", "0.0.0.0/0", "::/0"]);

function checkGateway(gw: GatewayView): Finding[] {
  const findings: Finding[] = [];
  const conns = connectionsOf(gw);
  if (conns.length === 0) return findings;
  const wg = wireguardRanges(gw);
  const fip = floatingAddresses(gw);
  const hasFloatingIp = gw.floatingIps.length > 0 || fip.source !== "none";
  const fipText = fip.addresses.join(", ") || "the floating IP";
  const hostAddresses = new Set([...(gw.host ? [gw.host] : []), ...gw.addresses.map((a) => a.address), ...fip.addresses]);
  for (const { conn, file } of conns) {
    const where = `${file.path}: connection "${conn.name}"`;
    const addrs = conn.localAddrs;
    for (const addr of addrs ?? []) {
      const hit = wg.find((w) => rangesOverlap(w.range, addr));
      if (hit) {
        findings.push(
          violation(file.subject, `${where}: local_addrs ${addr} is inside ${hit.what}: IKE would be offered over WireGuard. Set local_addrs = ${fipText}.`),
        );
      }
    }
    if (!hasFloatingIp) continue;
    if (addrs === undefined || addrs.length === 0 || addrs.some((a) => ANY.has(a))) {
      findings.push(
        violation(
          file.subject,
          `${where}: local_addrs is ${addrs?.length ? addrs.join(",") : "not set (%any)"}, so charon accepts IKE on every address of the host, the WireGuard interface included. Set local_addrs = ${fipText}.`,
        ),
      );
      continue;
    }
    if (fip.source === "none") {
      findings.push(
        note(
          file.subject,
          `${where}: the floating IP's address is unknown at preview and no interface configuration names it; local_addrs ${addrs.join(",")} is checked once it is known`,
        ),
      );
      continue;
    }
    for (const addr of addrs) {
      if (fip.addresses.includes(addr) || wg.some((w) => rangesOverlap(w.range, addr))) continue;
      const owned = hostAddresses.has(addr);
      const reason = !isAddressText(addr)
        ? `${addr} is not an address`
        : owned
          ? `${addr} is an address of this host but not its floating IP`
          : `${addr} is not an address this host has (it has ${[...hostAddresses].join(", ")}), so charon cannot send from it ("Network is unreachable")`;
      findings.push(
        violation(
          file.subject,
          `${where}: local_addrs ${reason}. Set local_addrs = ${fipText}, the floating IP${fip.source === "interface" ? " configured on the host's interface" : ""}.`,
        ),
      );
    }
  }
  return findings;
}

export const ipsecBindsFloatingIp: Check = {
  name: "ipsec-binds-floating-ip",
  description:
    "Every swanctl connection on a gateway with a floating IP binds IKE to that floating IP (local_addrs), never %any, another address or a WireGuard address.",
  enforcementLevel: "mandatory",
  why:
    "Peers are configured with the floating IP. With local_addrs unset (%any) charon answers on every address, WireGuard's included; " +
    'with a mistyped address (the notes\' .39 instead of .139) charon sends IKE from an address the host does not have and every exchange fails with "Network is unreachable".',
  check: (view) => view.gateways.flatMap(checkGateway),
};
