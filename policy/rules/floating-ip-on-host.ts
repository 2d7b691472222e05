import { Finding, note, violation } from "../model/finding";
import { FloatingIpView, GatewayView, StackView } from "../model/gateways";
import { lookup } from "../model/values";
import { Check } from "./check";

function assignment(fip: FloatingIpView): Finding[] {
  const s = fip.subject;
  const direct = lookup(s.props, "serverId");
  if (fip.assignments.length === 0 && direct.kind === "absent") {
    return [
      violation(s, `the floating IP is not assigned to any server. Add an hcloud.FloatingIpAssignment with its floatingIpId and the gateway's serverId.`),
    ];
  }
  return fip.assignments.flatMap((a) =>
    lookup(a.props, "serverId").kind === "unknown" ? [note(a, `serverId is unknown at preview; the assignment is checked once known`)] : [],
  );
}

function configured(gw: GatewayView, fip: FloatingIpView): Finding[] {
  const s = fip.subject;
  const file = "/etc/network/interfaces.d/60-stage2-floating-ip";
  if (fip.address.kind === "known") {
    const address = fip.address.value;
    const found = gw.addresses.filter((a) => a.address === address);
    if (found.length === 0) {
      return [
        violation(
          s,
          `${address} is assigned by Hetzner but no network configuration of ${gw.label} adds it to an interface, so the kernel drops IKE sent to it. Configure ${address}/32 on the public interface persistently (e.g. ${file}).`,
        ),
      ];
    }
    return found
      .filter((a) => a.prefix !== undefined && a.prefix !== 32)
      .map((a) =>
        violation(
          a.file.subject,
          `${a.file.path}: the floating IP ${address} is configured as /${a.prefix}; configure it as ${address}/32 so it claims no neighbouring addresses.`,
        ),
      );
  }
  const single = gw.addresses.filter((a) => a.prefix === undefined || a.prefix === 32);
  if (single.length === 0) {
    return [
      violation(
        s,
        `no network configuration of ${gw.label} adds a /32 address for the floating IP, so the kernel drops IKE sent to it. Configure the floating IP /32 on the public interface persistently (e.g. ${file}).`,
      ),
    ];
  }
  return [
    note(s, `the address is unknown at preview; ${gw.label} configures ${single.map((a) => `${a.address}/32`).join(", ")}, checked against it once known`),
  ];
}

function check(view: StackView): Finding[] {
  const findings: Finding[] = [];
  for (const gw of view.gateways) for (const fip of gw.floatingIps) findings.push(...assignment(fip), ...configured(gw, fip));
  for (const fip of view.unplaced) {
    findings.push(...assignment(fip));
    findings.push(note(fip.subject, `no host of this stack could be matched to the floating IP, so its interface configuration is not checked here`));
  }
  return findings;
}

export const floatingIpOnHost: Check = {
  name: "floating-ip-on-host",
  description: "A floating IP is both assigned to its server and configured (/32, persistently) on that server's interface.",
  enforcementLevel: "mandatory",
  why:
    "Hetzner only routes a floating IP to the server; the host must also own the address, or its kernel drops the IKE packets sent to it " +
    "and charon cannot send from it. An address added by hand with `ip addr` is gone after the next reboot.",
  check,
};
