import { NFT_TABLE, POOL_WITHOUT_IPSEC } from "../../components/nftables/render";
import { read } from "../probe";
import { Check, DoctorContext, Finding } from "../types";

export const NFTABLES_CONF = "/etc/nftables.conf";

export interface NftRule {
  readonly comment: string;
  readonly counted: boolean;
  readonly packets?: number;
  readonly bytes?: number;
}

/** Rules that carry a stage2 comment, in a rendered file or in `nft list table` output. */
export function parseCommentedRules(text: string): NftRule[] {
  const out: NftRule[] = [];
  for (const line of text.split("\n")) {
    const c = /comment "([^"]+)"/.exec(line);
    if (!c) continue;
    const n = /counter packets (\d+) bytes (\d+)/.exec(line);
    out.push({ comment: c[1], counted: /\bcounter\b/.test(line), ...(n ? { packets: Number(n[1]), bytes: Number(n[2]) } : {}) });
  }
  return out;
}

export function renderedRuleset(ctx: DoctorContext): string {
  const file = ctx.plan.concerns.flatMap((c) => c.files).find((f) => f.path === NFTABLES_CONF);
  if (!file) throw new Error(`the plan renders no ${NFTABLES_CONF}`);
  return file.content;
}

const isPoolDrop = (comment: string): boolean => comment.startsWith(POOL_WITHOUT_IPSEC);
const isIpsecAccept = (comment: string): boolean => /^stage2: from (road warrior|site) /.test(comment);
const RELOAD = `nft -f ${NFTABLES_CONF} (replaces the whole ${NFT_TABLE} table in one transaction; the converge does the same)`;

export const firewallCheck: Check = {
  id: "firewall",
  title: `the ${NFT_TABLE} table has every rendered rule; counters on the IPsec accepts and the spoofed-pool drop`,
  async run(ctx) {
    const listing = await read(ctx.shell, `nft list table ${NFT_TABLE}`, `the ${NFT_TABLE} table`);
    const live = parseCommentedRules(listing.result.stdout);
    const wanted = parseCommentedRules(renderedRuleset(ctx));
    const findings: Finding[] = [];
    const comments = [...new Set(wanted.map((r) => r.comment))];
    for (const comment of comments) {
      const want = wanted.filter((r) => r.comment === comment).length;
      const have = live.filter((r) => r.comment === comment);
      const subject = comment.replace(/^stage2: /, "");
      const base = { check: "firewall", subject, evidence: [listing.evidence] };
      if (have.length < want) {
        findings.push({
          ...base,
          status: "fail",
          what: `${want - have.length} of ${want} rule(s) "${comment}" missing from ${NFT_TABLE}${isIpsecAccept(comment) ? ": decrypted IPsec traffic is dropped, the tunnel is up but carries nothing" : isPoolDrop(comment) ? ": pool-sourced packets that did not come through IPsec are no longer dropped" : ""}`,
          fix: RELOAD,
        });
        continue;
      }
      if (!have[0].counted) continue;
      const packets = have.reduce((n, r) => n + (r.packets ?? 0), 0);
      const bytes = have.reduce((n, r) => n + (r.bytes ?? 0), 0);
      if (isPoolDrop(comment) && packets > 0) {
        findings.push({
          ...base,
          status: "warn",
          what: `"${comment}" dropped ${packets} packet(s) (${bytes} bytes): traffic from a pool arrived without IPsec (spoofed, or routed around the tunnel)`,
          fix: "find the sender: nft monitor trace, or tcpdump -ni any on the pool's addresses outside the tunnel",
        });
      } else {
        findings.push({ ...base, status: "ok", what: `"${comment}": ${packets} packet(s), ${bytes} bytes` });
      }
    }
    if (!findings.some((f) => f.status === "fail")) {
      findings.push({
        check: "firewall",
        status: "ok",
        subject: NFT_TABLE,
        what: `every rendered rule is loaded (${comments.length} commented rule kinds)`,
        evidence: [listing.evidence],
      });
    }
    return findings;
  },
};
