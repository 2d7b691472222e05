import { wgInterface } from "../../components/wireguard/render";
import { read } from "../probe";
import { Check, Finding } from "../types";

/** `wg show <if> latest-handshakes`: public key → seconds since the epoch (0: never). Never the private key. */
export function parseHandshakes(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.trim().split("\n")) {
    const [key, at] = line.split(/\s+/);
    if (key && at !== undefined) out.set(key, Number(at));
  }
  return out;
}

const age = (s: number): string =>
  s < 120 ? `${s} s` : s < 7200 ? `${Math.round(s / 60)} min` : s < 172800 ? `${Math.round(s / 3600)} h` : `${Math.round(s / 86400)} days`;

export const wireguardCheck: Check = {
  id: "wireguard",
  title: "each WireGuard peer of the stack is configured with its key, and when it last shook hands",
  async run(ctx) {
    const ifname = wgInterface(ctx.gateway);
    const hs = await read(ctx.shell, `wg show ${ifname} latest-handshakes`, `${ifname}'s peers`);
    const host = parseHandshakes(hs.result.stdout);
    const findings: Finding[] = [];
    const now = Math.floor(ctx.now.getTime() / 1000);
    for (const peer of ctx.gateway.wireguard.peers) {
      const base = { check: "wireguard", subject: `peer ${peer.name}`, evidence: [hs.evidence] };
      const at = host.get(peer.publicKey);
      if (at === undefined) {
        findings.push({
          ...base,
          status: "fail",
          what: `peer ${peer.name}'s key ${peer.publicKey} (from the stack) is not a peer of ${ifname}: it cannot connect`,
          fix: `run the converge (wg syncconf from /etc/wireguard/${ifname}.conf); if the peer's key changed, put its new public key into the stack`,
        });
      } else if (at === 0) {
        findings.push({
          ...base,
          status: "warn",
          what: `peer ${peer.name} has never completed a handshake with ${ifname}`,
          fix: `on the peer: is its tunnel up, its Endpoint this gateway's address and port ${ctx.gateway.wireguard.listenPort}, and its own key the one the stack holds (${peer.publicKey})?`,
        });
      } else {
        findings.push({ ...base, status: "ok", what: `peer ${peer.name}: last handshake ${age(Math.max(0, now - at))} ago` });
      }
    }
    const known = new Set(ctx.gateway.wireguard.peers.map((p) => p.publicKey));
    for (const key of host.keys()) {
      if (known.has(key)) continue;
      findings.push({
        check: "wireguard",
        status: "fail",
        subject: `unknown key ${key}`,
        what: `${ifname} has a peer with key ${key}, which no peer of the stack has (a wrong key, or one added by hand)`,
        evidence: [hs.evidence],
        fix: `wg set ${ifname} peer ${key} remove, or run the converge; a peer that needs access goes into the stack`,
      });
    }
    if (findings.length === 0) {
      findings.push({ check: "wireguard", status: "ok", subject: ifname, what: `${ifname} is up; the stack has no WireGuard peers`, evidence: [hs.evidence] });
    }
    return findings;
  },
};
