import { shq } from "../../components/host/apply-script";
import { ipsecMss, NFT_TABLE } from "../../components/nftables/render";
import { wgInterface } from "../../components/wireguard/render";
import { read } from "../probe";
import { Check, Finding } from "../types";

/** NAT-T ESP in tunnel mode (see the nftables renderer) and IPv4 + TCP headers. */
const IPSEC_BUDGET = 140;
/** WireGuard over IPv6 (the larger): 40 + UDP 8 + 32. */
const WIREGUARD_OVERHEAD = 80;

export const parseMtu = (text: string): number | undefined => {
  const m = /\bmtu (\d+)/.exec(text);
  return m ? Number(m[1]) : undefined;
};

/** `tcp option maxseg size set N comment "stage2: mss for ipsec"` in the loaded table. */
export function parseClamps(table: string, path: string): number[] {
  return table
    .split("\n")
    .filter((l) => l.includes(`comment "stage2: mss for ${path}"`))
    .map((l) => Number(/maxseg size set (\d+)/.exec(l)?.[1]))
    .filter((n) => Number.isFinite(n));
}

export const mtuCheck: Check = {
  id: "mtu",
  title: "the public interface's MTU against the stack's publicMtu, the IPsec MSS clamp and WireGuard's MTU",
  async run(ctx) {
    const gw = ctx.gateway;
    const wg = wgInterface(gw);
    const [pub, wgLink, table] = await Promise.all([
      read(ctx.shell, `ip -o link show dev ${shq(gw.publicInterface)}`, `the public interface ${gw.publicInterface}`),
      read(ctx.shell, `ip -o link show dev ${shq(wg)}`, `the WireGuard interface ${wg}`),
      read(ctx.shell, `nft list table ${NFT_TABLE}`, `the ${NFT_TABLE} table`),
    ]);
    const mtu = parseMtu(pub.result.stdout);
    const wgMtu = parseMtu(wgLink.result.stdout);
    if (mtu === undefined || wgMtu === undefined) throw new Error("no mtu in ip link's output");
    const findings: Finding[] = [];
    const pubBase = { check: "mtu", subject: gw.publicInterface, evidence: [pub.evidence] };
    if (mtu < gw.publicMtu) {
      findings.push({
        ...pubBase,
        status: "fail",
        what: `${gw.publicInterface} has MTU ${mtu}, below the stack's publicMtu ${gw.publicMtu}: the MSS clamps are too large, so full-size TCP segments through the tunnels are dropped (a black hole)`,
        fix: `set publicMtu: ${mtu} in the stack and converge (the clamps follow it)`,
      });
    } else if (mtu > gw.publicMtu) {
      findings.push({
        ...pubBase,
        status: "warn",
        what: `${gw.publicInterface} has MTU ${mtu}, above the stack's publicMtu ${gw.publicMtu}: the clamps are smaller than they could be`,
        fix: `set publicMtu: ${mtu} in the stack and converge`,
      });
    } else {
      findings.push({ ...pubBase, status: "ok", what: `${gw.publicInterface} has MTU ${mtu}, the stack's publicMtu` });
    }
    const clamps = parseClamps(table.result.stdout, "ipsec");
    const largest = ipsecMss(gw, 4);
    if (gw.ipsec.roadWarriors.length + gw.ipsec.sites.length > 0) {
      const tooBig = clamps.filter((n) => n > mtu - IPSEC_BUDGET);
      findings.push(
        clamps.length === 0
          ? {
              check: "mtu",
              status: "fail",
              subject: "ipsec mss",
              what: "no MSS clamp for IPsec paths is loaded: TCP through the tunnels may stall on full-size segments",
              evidence: [table.evidence],
              fix: "nft -f /etc/nftables.conf (or converge)",
            }
          : tooBig.length
            ? {
                check: "mtu",
                status: "fail",
                subject: "ipsec mss",
                what: `the IPsec MSS clamp ${tooBig[0]} is larger than ${gw.publicInterface}'s MTU ${mtu} allows (${mtu - IPSEC_BUDGET})`,
                evidence: [pub.evidence, table.evidence],
                fix: `set publicMtu: ${mtu} in the stack and converge`,
              }
            : {
                check: "mtu",
                status: "ok",
                subject: "ipsec mss",
                what: `IPsec MSS clamped to ${[...new Set(clamps)].join(", ")} (IPv4 ${largest} = MTU ${gw.publicMtu} − ${IPSEC_BUDGET})`,
                evidence: [table.evidence],
              },
      );
    }
    const wgBase = { check: "mtu", subject: wg, evidence: [wgLink.evidence, pub.evidence] };
    if (wgMtu !== gw.wireguard.mtu) {
      findings.push({
        ...wgBase,
        status: "fail",
        what: `${wg} has MTU ${wgMtu}, the stack says ${gw.wireguard.mtu}`,
        fix: `ip link set dev ${wg} mtu ${gw.wireguard.mtu} (or converge)`,
      });
    } else if (wgMtu > mtu - WIREGUARD_OVERHEAD) {
      findings.push({
        ...wgBase,
        status: "warn",
        what: `${wg}'s MTU ${wgMtu} leaves less than WireGuard's ${WIREGUARD_OVERHEAD} bytes under ${gw.publicInterface}'s MTU ${mtu}: its packets get fragmented`,
        fix: `set wireguard.mtu: ${mtu - WIREGUARD_OVERHEAD} in the stack and converge`,
      });
    } else {
      findings.push({ ...wgBase, status: "ok", what: `${wg} has MTU ${wgMtu}, within ${gw.publicInterface}'s ${mtu} − ${WIREGUARD_OVERHEAD}` });
    }
    return findings;
  },
};
