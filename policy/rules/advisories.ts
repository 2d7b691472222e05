import { Finding, note, violation } from "../model/finding";
import { GatewayView, StackView } from "../model/gateways";
import { scriptsOf } from "../model/host-files";
import { Check } from "./check";
import { connectionsOf } from "./gateway-facts";

/** The five advisory policies: settings that work but that the notes, strongSwan or algo warn about. */

const WEAK: Record<string, string> = {
  "3des": "3DES",
  des: "DES",
  md5: "MD5",
  prfmd5: "MD5",
  md5_128: "MD5",
  sha1: "SHA1",
  sha: "SHA1",
  prfsha1: "SHA1",
  sha1_160: "SHA1",
  modp768: "MODP768",
  modp1024: "MODP1024",
  modp1536: "MODP1536",
};

function weakIn(proposals: readonly string[]): string[] {
  const found = new Set<string>();
  for (const p of proposals) for (const token of p.toLowerCase().split("-")) if (WEAK[token]) found.add(WEAK[token]);
  return [...found];
}

const perGateway = (fn: (gw: GatewayView) => Finding[]) => (view: StackView) => view.gateways.flatMap(fn);

export const weakCrypto: Check = {
  name: "weak-crypto",
  description: "IKE and ESP proposals use no 3DES, MD5, SHA1 or MODP groups below 2048 bits.",
  enforcementLevel: "advisory",
  why: "These algorithms are broken or below current recommendations (RFC 8247, RFC 8221); a proposal that lists them lets a peer downgrade to them.",
  check: perGateway((gw) =>
    connectionsOf(gw).flatMap(({ conn, file }) => {
      const lists = [
        { where: "proposals", weak: weakIn(conn.proposals) },
        ...conn.children.flatMap((c) => [
          { where: `children.${c.name}.esp_proposals`, weak: weakIn(c.espProposals) },
          { where: `children.${c.name}.ah_proposals`, weak: weakIn(c.ahProposals) },
        ]),
      ];
      return lists
        .filter((l) => l.weak.length > 0)
        .map((l) =>
          violation(
            file.subject,
            `${file.path}: connection "${conn.name}" ${l.where} allow ${l.weak.join(", ")}. Use e.g. aes256gcm16-prfsha384-ecp384 (IKE) and aes256gcm16-ecp384 (ESP).`,
          ),
        );
    }),
  ),
};

export const startActionStart: Check = {
  name: "start-action-start",
  description: "No CHILD_SA uses start_action = start, which is not restarted when it goes down.",
  enforcementLevel: "advisory",
  why: "strongSwan's own guidance (quoted in the notes): a CHILD_SA started at load is not brought back when it fails; trap policies start it on traffic and re-arm after a failure.",
  check: perGateway((gw) =>
    connectionsOf(gw).flatMap(({ conn, file }) =>
      conn.children
        .filter((c) => (c.startAction ?? "").split(/[|,\s]+/).includes("start"))
        .map((c) =>
          violation(
            file.subject,
            `${file.path}: connection "${conn.name}" child "${c.name}" has start_action = ${c.startAction}. Use start_action = trap (with dpd_action = trap, close_action = trap).`,
          ),
        ),
    ),
  ),
};

const noDpd = (delay: string | undefined): boolean => delay === undefined || /^0+[smhd]?$/.test(delay.trim());

export const roadWarriorWithoutDpd: Check = {
  name: "rw-without-dpd",
  description: "Road-warrior connections (those with a virtual-IP pool) enable dead peer detection (dpd_delay).",
  enforcementLevel: "advisory",
  why: "Road warriors behind NAT vanish without a DELETE; without DPD their SAs and pool addresses stay leased until they expire.",
  check: perGateway((gw) =>
    connectionsOf(gw)
      .filter(({ conn }) => conn.pools.length > 0 && noDpd(conn.dpdDelay))
      .map(({ conn, file }) =>
        violation(
          file.subject,
          `${file.path}: road-warrior connection "${conn.name}" has no dead peer detection. Set dpd_delay = 30s (and dpd_action = clear in its children).`,
        ),
      ),
  ),
};

export const missingMssClamp: Check = {
  name: "missing-mss-clamp",
  description: "A gateway that forwards IPsec traffic clamps the TCP MSS (`tcp option maxseg size set`) in its ruleset.",
  enforcementLevel: "advisory",
  why: "ESP adds up to ~100 bytes; without clamping, TCP peers behind broken PMTU discovery stall on full-size segments (algo clamps to 1400 − 40 for IPv4).",
  check: perGateway((gw) => {
    const conns = connectionsOf(gw);
    if (conns.length === 0) return [];
    if (gw.rulesets.length === 0)
      return [note(conns[0].file.subject, `${gw.label}: no nftables ruleset for this host is in the stack, so MSS clamping is not checked`)];
    const clamps = gw.rulesets.some(({ ruleset }) => ruleset.tables.some((t) => [...t.chains.values()].some((c) => c.rules.some((r) => r.clampsMss))));
    if (clamps) return [];
    const file = gw.rulesets[0].file;
    return [
      violation(
        file.subject,
        `${file.path}: no rule clamps the TCP MSS for IPsec traffic. Add to the forward chain e.g. \`ip saddr 10.3.0.0/24 tcp flags syn / syn,rst tcp option maxseg size set 1360\` (public MTU − 100 − 40).`,
      ),
    ];
  }),
};

const STARTER_RE = /\bsystemctl\s+(?:[-\w]+\s+)*(mask|disable)\b[^\n;&|]*['"\s](strongswan-starter|ipsec)(\.service)?(?![-\w.])/;

export const legacyStarterEnabled: Check = {
  name: "legacy-starter-enabled",
  description: "A host configured with swanctl masks the legacy strongswan-starter (ipsec.conf) service.",
  enforcementLevel: "advisory",
  why: 'On Debian, strongswan-starter is the ipsec.conf stack: it starts its own charon, which fights the swanctl one over UDP 500/4500 — the notes\' "did I configure the wrong file?".',
  check: perGateway((gw) => {
    const conns = connectionsOf(gw);
    const legacy = gw.files.filter((f) => f.path === "/etc/ipsec.conf" || f.path === "/etc/ipsec.secrets");
    const findings = legacy.map((f) =>
      violation(f.subject, `${f.path} is the legacy starter's configuration; swanctl ignores it. Write /etc/swanctl/swanctl.conf instead.`),
    );
    if (conns.length === 0) return findings;
    const masked = gw.commands.some((c) => scriptsOf(c).some(({ text }) => STARTER_RE.test(text)));
    if (!masked) {
      const at = conns[0].file.subject;
      findings.push(
        violation(
          at,
          `${gw.label}: no command masks strongswan-starter, which starts a second charon competing for UDP 500/4500. Run \`systemctl mask --now strongswan-starter.service\` (stage2's strongswan-install concern does).`,
        ),
      );
    }
    return findings;
  }),
};
