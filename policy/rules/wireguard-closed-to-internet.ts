import { Finding, violation } from "../model/finding";
import { GatewayView } from "../model/gateways";
import { AcceptPath, hookView, valuesOf } from "../nft/paths";
import { Check } from "./check";
import { isDecryptedOnly, isReplyOnly, nftText, wireguardInterfaces } from "./gateway-facts";
import { admitsUdpPort, decidingAccepts, inputInterfaces } from "./nft-services";

const IKE_PORTS = [500, 4500];

/** The public interfaces: those the input chain accepts IKE on (a hand-written config names no other). */
function publicInterfaces(gw: GatewayView): string[] {
  const input = hookView(
    gw.rulesets.map((r) => r.ruleset),
    "input",
  );
  const wg = wireguardInterfaces(gw);
  return [
    ...new Set(decidingAccepts(input).flatMap((p) => (IKE_PORTS.some((port) => admitsUdpPort(p.matches, port)) ? (inputInterfaces(p.matches) ?? []) : []))),
  ].filter((i) => !wg.includes(i));
}

function forwardFindings(gw: GatewayView): Finding[] {
  if (gw.rulesets.length === 0 || gw.wireguard.length === 0) return [];
  const wg = wireguardInterfaces(gw);
  const publics = publicInterfaces(gw);
  const forward = hookView(
    gw.rulesets.map((r) => r.ruleset),
    "forward",
  );
  const fileOf = (p: AcceptPath) => gw.rulesets.find((r) => r.ruleset.tables.includes(p.table))?.file ?? gw.rulesets[0].file;
  const findings: Finding[] = [];
  for (const path of decidingAccepts(forward)) {
    if (isReplyOnly(path.matches) || isDecryptedOnly(path.matches)) continue;
    const out = valuesOf(path.matches, "oifname") ?? valuesOf(path.matches, "oif");
    if (!out || !out.some((o) => wg.includes(o))) continue;
    const from = inputInterfaces(path.matches);
    const saddr = valuesOf(path.matches, "ip saddr") ?? valuesOf(path.matches, "ip6 saddr");
    const fromPublic = from ? from.filter((i) => publics.includes(i)) : saddr ? [] : ["any interface"];
    if (fromPublic.length === 0) continue;
    const file = fileOf(path);
    findings.push(
      violation(
        file.subject,
        `${file.path}: forward rule "${nftText(path.rule)}" accepts new traffic from ${fromPublic.join(", ")} into ${out.filter((o) => wg.includes(o)).join(", ")}, so the internet reaches the WireGuard peers. Accept into WireGuard only from the private interface (or replies: ct state established,related).`,
      ),
    );
  }
  return findings;
}

function portFindings(gw: GatewayView): Finding[] {
  return gw.wireguard
    .filter(({ conf }) => conf.listenPort !== undefined && IKE_PORTS.includes(conf.listenPort))
    .map(({ file, conf }) =>
      violation(
        file.subject,
        `${file.path}: ListenPort ${conf.listenPort} is IKE's port; WireGuard and charon cannot both receive on it. Use another port, e.g. 51820.`,
      ),
    );
}

export const wireguardClosedToInternet: Check = {
  name: "wireguard-closed-to-internet",
  description:
    "No forward rule accepts new traffic from the public interface into a WireGuard interface, and WireGuard does not listen on IKE's ports (500, 4500).",
  enforcementLevel: "mandatory",
  why:
    "WireGuard peers are the operators' own machines: a forward accept from the public interface into wg0 (what a private interface equal to the " +
    "public one gives) opens them to the internet. A WireGuard ListenPort of 500 or 4500 takes IKE's socket from charon.",
  check: (view) => view.gateways.flatMap((gw) => [...forwardFindings(gw), ...portFindings(gw)]),
};
