import { GatewayModel } from "../../components/model/gateway";
import { IPSEC_ROUTING_TABLE, LIBIPSEC_DEVICE } from "../../components/strongswan/drop-in";
import { ChildSa, IkeSa, parseSas } from "../parse-sas";
import { hasLookupRule, parseRoutes, Route } from "../parse-routes";
import { parsePolicies, stateEvidence, xfrmSpis, XfrmPolicy } from "../parse-xfrm";
import { probe } from "../probe";
import { Check, DoctorContext, Evidence, Finding } from "../types";

/** A CHILD_SA installed this long (seconds) that has not received one packet is possibly half-open. */
export const HALF_OPEN_AFTER_S = 10;

const CHECK = "connections";

/** What the stack says one connection's CHILD_SA carries. */
interface Expected {
  readonly kind: "rw" | "site";
  readonly name: string;
  readonly localTs: readonly string[];
  /** A site's networks; a road warrior's is its virtual IP. */
  readonly remoteTs?: readonly string[];
  readonly startAction?: string;
}

export function expectedConnections(gw: GatewayModel): Expected[] {
  return [
    ...gw.ipsec.roadWarriors.map((rw) => ({ kind: "rw" as const, name: rw.name, localTs: rw.localTs ?? gw.private.networks })),
    ...gw.ipsec.sites.map((s) => ({
      kind: "site" as const,
      name: s.name,
      localTs: s.localTs ?? gw.private.networks,
      remoteTs: s.remoteTs,
      startAction: s.startAction,
    })),
  ];
}

const same = (a: readonly string[], b: readonly string[]): boolean => [...a].sort().join(" ") === [...b].sort().join(" ");
const host = (p: string): string => (p.includes(":") ? `${p}/128` : `${p}/32`);

/** What the gateway's dataplane holds, read once for every connection. */
interface Dataplane {
  readonly kind: "xfrm" | "libipsec";
  readonly spis: Set<string>;
  readonly policies: readonly XfrmPolicy[];
  readonly routes: readonly Route[];
  readonly evidence: { readonly xfrm: readonly Evidence[]; readonly routes: Evidence };
}

/**
 * Per connection of the model: its IKE and CHILD SAs (floating IP, traffic selectors), the dataplane that carries
 * them (XFRM states and policies, or libipsec's TUN device), their routes in table 220 and the rule that reads it,
 * and a CHILD_SA that never received a packet (possibly half-open).
 */
export const connectionsCheck: Check = {
  id: CHECK,
  title: "per connection: IKE and CHILD SAs, XFRM states and policies, routes in table 220, half-open CHILD_SAs",
  async run(ctx: DoctorContext): Promise<Finding[]> {
    const xfrm = ctx.gateway.ipsec.dataplane === "xfrm";
    const t = IPSEC_ROUTING_TABLE;
    const [sas, rules, routes, state, policy, tun] = await Promise.all([
      probe(ctx.shell, "swanctl --list-sas --raw"),
      probe(ctx.shell, "ip rule list"),
      probe(ctx.shell, `ip -4 route show table ${t}; ip -6 route show table ${t}`),
      xfrm ? probe(ctx.shell, "ip xfrm state") : undefined,
      xfrm ? probe(ctx.shell, "ip xfrm policy") : undefined,
      xfrm ? undefined : probe(ctx.shell, `ip -o link show ${LIBIPSEC_DEVICE}`),
    ]);
    if (sas.result.code !== 0)
      return [
        {
          check: CHECK,
          status: "fail",
          subject: "charon",
          what: "charon does not answer swanctl: no connection can be read",
          evidence: [sas.evidence],
          fix: "start strongSwan (`systemctl restart strongswan`) and read why it stopped: `journalctl -u strongswan -n 50`",
        },
      ];
    const findings: Finding[] = [];
    const ruleOk = rules.result.code === 0 && hasLookupRule(rules.result.stdout, t);
    findings.push({
      check: CHECK,
      status: ruleOk ? "ok" : "fail",
      subject: `ip rule ${t}`,
      what: ruleOk ? `every packet consults table ${t} (strongSwan's routes)` : `no ip rule sends packets to table ${t}: strongSwan's routes are never used`,
      evidence: [rules.evidence],
      fix: ruleOk ? undefined : "charon adds the rule when it starts (charon.routing_table in /etc/strongswan.d/stage2.conf): `systemctl restart strongswan`",
    });
    if (tun) {
      const up = tun.result.code === 0 && /<[^>]*\bUP\b[^>]*>/.test(tun.result.stdout);
      findings.push({
        check: CHECK,
        status: up ? "ok" : "fail",
        subject: LIBIPSEC_DEVICE,
        what: up
          ? `libipsec's TUN device ${LIBIPSEC_DEVICE} is up (userspace ESP: the kernel holds no XFRM state)`
          : `libipsec's TUN device ${LIBIPSEC_DEVICE} is missing or down: no decrypted packet can leave charon`,
        evidence: [tun.evidence],
        fix: up
          ? undefined
          : "charon's kernel-libipsec plugin creates it when it starts: `systemctl restart strongswan`, then `journalctl -u strongswan | grep -i libipsec`",
      });
    }
    const dp: Dataplane = {
      kind: xfrm ? "xfrm" : "libipsec",
      spis: xfrmSpis(state?.result.stdout ?? ""),
      policies: parsePolicies(policy?.result.stdout ?? ""),
      routes: parseRoutes(routes.result.stdout),
      evidence: {
        xfrm: state && policy ? [{ command: state.evidence.command, output: stateEvidence(state.result.stdout) }, policy.evidence] : [],
        routes: routes.evidence,
      },
    };
    const all = parseSas(sas.result.stdout);
    for (const conn of expectedConnections(ctx.gateway)) findings.push(...connectionFindings(ctx, conn, all, dp, sas.result.stdout));
    return findings;
  },
};

function saEvidence(raw: string, name: string): Evidence {
  const lines = raw.split("\n").filter((l) => l.startsWith(`list-sa event {${name} {`));
  return { command: `swanctl --list-sas --raw --ike ${name}`, output: lines.join("\n") || "(no IKE SA)" };
}

function connectionFindings(ctx: DoctorContext, conn: Expected, all: readonly IkeSa[], dp: Dataplane, raw: string): Finding[] {
  const fip = ctx.render.floatingIp;
  const sas = all.filter((s) => s.name === conn.name);
  const ev = saEvidence(raw, conn.name);
  const out: Finding[] = [];
  const finding = (status: Finding["status"], what: string, evidence: readonly Evidence[], fix?: string) =>
    out.push({ check: CHECK, status, subject: conn.name, what: `${conn.name}: ${what}`, evidence: [ev, ...evidence], fix });
  const established = sas.filter((s) => s.state === "ESTABLISHED");
  if (established.length === 0) {
    if (conn.kind === "rw") finding("ok", "no client connected", []);
    else
      finding(
        "warn",
        `the site is not up (start_action ${conn.startAction}${sas.length ? `; IKE SA ${sas.map((s) => s.state).join(", ")}` : ""})`,
        [],
        conn.startAction === "none"
          ? "the site waits for its peer to initiate: check the peer, and charon's errors for this connection (`journalctl -u strongswan | grep " +
              conn.name +
              "`)"
          : `bring it up and read why it fails: \`swanctl --initiate --child ${conn.name}\`, \`journalctl -u strongswan | grep ${conn.name}\``,
      );
    return out;
  }
  let children = 0;
  for (const sa of established) {
    const who = conn.kind === "rw" ? `client ${sa.remoteId}${sa.remoteVips.length ? ` (${sa.remoteVips.join(", ")})` : ""}` : `peer ${sa.remoteHost}`;
    if (sa.localHost !== fip)
      finding(
        "fail",
        `${who}'s IKE SA is bound to ${sa.localHost}, not the floating IP ${fip}`,
        [],
        `local_addrs must be the floating IP only: converge the stack (\`pulumi up\`), which renders local_addrs = ${fip}`,
      );
    const installed = sa.children.filter((c) => c.name === conn.name && c.state === "INSTALLED");
    if (installed.length === 0)
      finding(
        "fail",
        `${who} has an IKE SA but no INSTALLED CHILD_SA (${sa.children.map((c) => `${c.name} ${c.state}`).join(", ") || "none"})`,
        [],
        `the CHILD_SA was refused (ESP proposal or traffic selectors): read \`journalctl -u strongswan | grep ${conn.name}\`, then re-initiate from the peer`,
      );
    for (const child of installed) {
      children++;
      out.push(...childFindings(conn, sa, child, who, dp, ev));
    }
  }
  if (!out.some((f) => f.status !== "ok")) {
    const carried = dp.kind === "xfrm" ? "XFRM states and policies in the kernel" : `libipsec (${LIBIPSEC_DEVICE})`;
    finding(
      "ok",
      `${established.length} IKE SA(s) ESTABLISHED on ${fip}, ${children} CHILD_SA(s) INSTALLED with the stack's selectors, carried by ${carried}, routed in table ${IPSEC_ROUTING_TABLE}`,
      [...dp.evidence.xfrm, dp.evidence.routes],
    );
  }
  return out;
}

function childFindings(conn: Expected, sa: IkeSa, child: ChildSa, who: string, dp: Dataplane, ev: Evidence): Finding[] {
  const out: Finding[] = [];
  const finding = (status: Finding["status"], what: string, evidence: readonly Evidence[], fix: string) =>
    out.push({ check: CHECK, status, subject: conn.name, what: `${conn.name}: ${what}`, evidence: [ev, ...evidence], fix });
  const ts = `${child.localTs.join(",")} === ${child.remoteTs.join(",")}`;
  const remote = conn.remoteTs ?? sa.remoteVips.map(host);
  if (!same(child.localTs, conn.localTs) || !same(child.remoteTs, remote))
    finding(
      // A road warrior may ask for less than the class offers; a site's selectors are the stack's on both sides.
      conn.kind === "site" ? "fail" : "warn",
      `${who}'s CHILD_SA carries ${ts}, the stack says ${conn.localTs.join(",")} === ${remote.join(",") || "(the virtual IP)"}`,
      [],
      conn.kind === "site"
        ? `make the peer's traffic selectors equal the stack's (its local_ts = ${remote.join(",")}, remote_ts = ${conn.localTs.join(",")}), then \`swanctl --terminate --ike-id ${sa.uniqueId}\` and re-initiate`
        : "the client asked for less than the class offers: have it request 0.0.0.0/0 (or the class's networks) and reconnect",
    );
  if (dp.kind === "xfrm") {
    const missingSpis = [child.spiIn, child.spiOut].filter((s) => !dp.spis.has(s.padStart(8, "0")));
    const want = child.localTs.flatMap((l) =>
      child.remoteTs.flatMap((r) => [
        { src: l, dst: r, dir: "out" },
        { src: r, dst: l, dir: "in" },
        { src: r, dst: l, dir: "fwd" },
      ]),
    );
    const missingPolicies = want.filter((w) => !dp.policies.some((p) => p.src === w.src && p.dst === w.dst && p.dir === w.dir));
    if (missingSpis.length || missingPolicies.length)
      finding(
        "fail",
        `${who}'s CHILD_SA is not in the kernel: ${[
          ...missingSpis.map((s) => `no XFRM state with SPI 0x${s}`),
          ...missingPolicies.map((p) => `no XFRM policy ${p.src} → ${p.dst} dir ${p.dir}`),
        ].join("; ")}`,
        dp.evidence.xfrm,
        `charon could not install it (kernel-netlink): read \`journalctl -u strongswan | grep -i 'unable to install'\`, then \`swanctl --terminate --ike-id ${sa.uniqueId}\` so the peer renegotiates`,
      );
  }
  const unrouted = child.remoteTs.filter((r) => !dp.routes.some((rt) => rt.dst === r && (dp.kind === "xfrm" || rt.dev === LIBIPSEC_DEVICE)));
  if (unrouted.length)
    finding(
      "fail",
      `${who}: no route in table ${IPSEC_ROUTING_TABLE} for ${unrouted.join(", ")}${dp.kind === "libipsec" ? ` via ${LIBIPSEC_DEVICE}` : ""}: nodes' traffic to it is not tunnelled, and BIRD does not learn it`,
      [dp.evidence.routes],
      `charon installs the route with the CHILD_SA (charon.install_routes, routing_table ${IPSEC_ROUTING_TABLE}): \`swanctl --terminate --ike-id ${sa.uniqueId}\` so it is renegotiated, and read \`journalctl -u strongswan | grep -i route\``,
    );
  if (child.installTime >= HALF_OPEN_AFTER_S && child.packetsIn === 0)
    finding(
      "warn",
      `possibly half-open: ${who}'s CHILD_SA (SPI in 0x${child.spiIn}) was installed ${child.installTime} s ago and has received nothing (bytes-in ${child.bytesIn}, packets-in ${child.packetsIn}, packets-out ${child.packetsOut})`,
      [],
      `the peer may hold no matching SA (e.g. its kernel refused the negotiated ESP algorithm, or it lost its state): check the peer's \`swanctl --list-sas\` and \`ip xfrm state\`; if it has nothing, \`swanctl --terminate --ike-id ${sa.uniqueId}\` makes it reconnect${conn.kind === "rw" ? ", and give the class an ESP proposal the client's kernel supports (proposals.esp)" : ""}`,
    );
  return out;
}
