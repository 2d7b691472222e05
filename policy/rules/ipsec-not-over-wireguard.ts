import { Finding, violation } from "../model/finding";
import { GatewayView } from "../model/gateways";
import { rangesOverlap } from "../model/ranges";
import { AcceptPath, hookView } from "../nft/paths";
import { Match } from "../nft/rule";
import { Check } from "./check";
import { connectionsOf, nftText, poolsOf, selectorAddress, wireguardInterfaces, wireguardRanges } from "./gateway-facts";
import { admitsProtocol, admitsUdpPort, decidingAccepts, inputInterfaces } from "./nft-services";

function addressFindings(gw: GatewayView): Finding[] {
  const findings: Finding[] = [];
  const wg = wireguardRanges(gw);
  if (wg.length === 0) return findings;
  const hit = (value: string): { what: string } | undefined => {
    const all = wg.filter((w) => rangesOverlap(w.range, value));
    return all.length ? { what: all.map((w) => w.what).join(" and ") } : undefined;
  };
  for (const { conn, file } of connectionsOf(gw)) {
    const where = `${file.path}: connection "${conn.name}"`;
    for (const addr of conn.remoteAddrs ?? []) {
      const w = hit(addr);
      if (w)
        findings.push(
          violation(
            file.subject,
            `${where}: remote_addrs ${addr} overlaps ${w.what}, so IKE and ESP would run inside WireGuard. Use the peer's public address.`,
          ),
        );
    }
    for (const child of conn.children) {
      for (const [key, list] of [
        ["local_ts", child.localTs],
        ["remote_ts", child.remoteTs],
      ] as const) {
        for (const ts of list) {
          const w = hit(selectorAddress(ts));
          if (w)
            findings.push(
              violation(
                file.subject,
                `${where}, child "${child.name}": ${key} ${ts} overlaps ${w.what}. Remove it from ${key} or move WireGuard to a range IPsec does not use.`,
              ),
            );
        }
      }
    }
  }
  for (const pool of poolsOf(gw)) {
    for (const addr of pool.addrs) {
      const w = hit(addr);
      if (w)
        findings.push(
          violation(
            pool.file.subject,
            `${pool.file.path}: pool "${pool.name}" addrs ${addr} overlaps ${w.what}. Give the pool a range outside every WireGuard range.`,
          ),
        );
    }
  }
  return findings;
}

const SERVICES: readonly { what: string; admits: (m: readonly Match[]) => boolean; required: boolean }[] = [
  { what: "IKE (udp/500)", admits: (m) => admitsUdpPort(m, 500), required: true },
  { what: "IKE NAT-T (udp/4500)", admits: (m) => admitsUdpPort(m, 4500), required: true },
  // ESP is optional: behind NAT (and with libipsec) it travels inside udp/4500.
  { what: "ESP", admits: (m) => admitsProtocol(m, 50), required: false },
];

function firewallFindings(gw: GatewayView): Finding[] {
  if (connectionsOf(gw).length === 0 || gw.rulesets.length === 0) return [];
  const findings: Finding[] = [];
  const wgIfaces = wireguardInterfaces(gw);
  const input = hookView(
    gw.rulesets.map((r) => r.ruleset),
    "input",
  );
  const fileOf = (p: AcceptPath) => gw.rulesets.find((r) => r.ruleset.tables.includes(p.table))?.file ?? gw.rulesets[0].file;
  const onlyWireguard = (p: AcceptPath) => {
    const ifaces = inputInterfaces(p.matches);
    return ifaces !== undefined && ifaces.length > 0 && ifaces.every((i) => wgIfaces.includes(i));
  };
  const accepts = decidingAccepts(input);
  for (const service of SERVICES) {
    const paths = accepts.filter((p) => service.admits(p.matches));
    for (const p of paths.filter(onlyWireguard)) {
      const file = fileOf(p);
      findings.push(
        violation(
          file.subject,
          `${file.path}: rule "${nftText(p.rule)}" accepts ${service.what} only on ${inputInterfaces(p.matches)!.join(", ")}: IPsec must not run over WireGuard. Accept it on the public interface instead.`,
        ),
      );
    }
    if (service.required && !input.defaultAccept && !paths.some((p) => !onlyWireguard(p))) {
      const file = gw.rulesets[0].file;
      findings.push(
        violation(
          file.subject,
          `${file.path}: the input chain drops ${service.what} on the public interface. Add e.g. \`iifname "eth0" udp dport { 500, 4500 } accept\`.`,
        ),
      );
    }
  }
  return findings;
}

export const ipsecNotOverWireguard: Check = {
  name: "ipsec-not-over-wireguard",
  description:
    "No IPsec peer address, traffic selector or virtual-IP pool overlaps the WireGuard subnet or a WireGuard peer's AllowedIPs, and IKE/ESP are accepted on the public interface, not on WireGuard.",
  enforcementLevel: "mandatory",
  why:
    "IPsec is meant to reach customers over the public floating IP; tunnelling it through WireGuard makes it depend on the WireGuard peer, " +
    "and overlapping ranges make the kernel route one VPN's traffic into the other.",
  check: (view) => view.gateways.flatMap((gw) => [...addressFindings(gw), ...firewallFindings(gw)]),
};
