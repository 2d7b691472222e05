import { bgpProtocolName } from "../../components/bird/render";
import { contains } from "../../components/model/net";
import { byFamily, ipsecNetworks } from "../../components/nftables/networks";
import { exportedPrefixes, parseProtocols } from "../parse-bird";
import { probe } from "../probe";
import { Check, DoctorContext, Finding } from "../types";

const CHECK = "bird";

/**
 * BIRD runs, every BGP session of the model is Established, and each neighbour is sent exactly the gateway's pools
 * and sites' networks: each of them whole (BIRD's static route), and nothing outside them (table 220's more
 * specifics inside them are fine).
 */
export const birdCheck: Check = {
  id: CHECK,
  title: "BIRD: protocols up, BGP sessions Established, each neighbour gets exactly the pools and sites' networks",
  async run(ctx: DoctorContext): Promise<Finding[]> {
    const bgp = ctx.gateway.bgp;
    if (!bgp) return [{ check: CHECK, status: "ok", subject: "bird", what: "the stack configures no BGP neighbour", evidence: [] }];
    const protocols = await probe(ctx.shell, "birdc show protocols all");
    if (protocols.result.code !== 0 || !/^BIRD \d/m.test(protocols.result.stdout))
      return [
        {
          check: CHECK,
          status: "fail",
          subject: "bird",
          what: "BIRD is not running (birdc cannot reach its control socket): no route to the VPN clients is announced to the nodes",
          evidence: [protocols.evidence],
          fix: "start it: `systemctl restart bird` (a converge, `pulumi up`, also starts it); `journalctl -u bird -n 50` says why it stopped, `bird -p -c /etc/bird/bird.conf` checks the file",
        },
      ];
    const parsed = parseProtocols(protocols.result.stdout);
    const nets = ipsecNetworks(ctx.gateway);
    const merged = byFamily(nets);
    const announced = [...merged.v4, ...merged.v6];
    const fams = merged.v6.length ? ["ipv4", "ipv6"] : ["ipv4"];
    const findings: Finding[] = [];
    const down = parsed.filter((p) => p.proto !== "BGP" && p.state !== "up");
    if (down.length)
      findings.push({
        check: CHECK,
        status: "fail",
        subject: "bird",
        what: `BIRD protocol(s) not up: ${down.map((p) => `${p.name} ${p.state}${p.info ? ` (${p.info})` : ""}`).join(", ")}`,
        evidence: [{ command: protocols.evidence.command, output: down.map((p) => p.text).join("\n") }],
        fix: "`birdc enable <protocol>`, or re-apply the stack's bird.conf (`pulumi up`); `journalctl -u bird` tells why it stopped",
      });
    for (const nb of bgp.neighbors) {
      const name = bgpProtocolName(nb.name);
      const p = parsed.find((x) => x.name === name);
      const block = { command: protocols.evidence.command, output: p?.text ?? `(no protocol ${name})` };
      const subject = `bgp ${nb.name}`;
      if (!p || p.state !== "up" || !/^Established\b/.test(p.info)) {
        findings.push({
          check: CHECK,
          status: "fail",
          subject,
          what: p
            ? `BGP session with ${nb.name} (${nb.address}, AS ${nb.asn}) is ${p.state} ${p.info}${p.lastError ? `, last error: ${p.lastError}` : ""}`
            : `BIRD has no protocol ${name} for ${nb.name}: the running bird.conf is not the stack's`,
          evidence: [block],
          fix: p
            ? `check that ${nb.address} runs BGP with AS ${bgp.localAsn} for this gateway's private address, and that TCP 179 passes both ways (\`birdc show protocols all ${name}\`)`
            : "re-apply the stack's bird.conf: `pulumi up` (the drift check shows the difference)",
        });
        continue;
      }
      const exported = await Promise.all(fams.map((f) => probe(ctx.shell, `birdc show route export ${name}.${f}`)));
      const got = exported.flatMap((e) => exportedPrefixes(e.result.stdout));
      // BIRD announces the networks as bird.conf has them: adjacent ones merged (byFamily). A network is sent when an
      // announced prefix covers it; an announced prefix is the gateway's when the merged networks cover it.
      const missing = nets.filter((n) => !got.some((g) => contains(g, n)));
      const extra = got.filter((g) => !announced.some((a) => contains(a, g)));
      const ok = missing.length === 0 && extra.length === 0 && exported.every((e) => e.result.code === 0);
      findings.push({
        check: CHECK,
        status: ok ? "ok" : "fail",
        subject,
        what: ok
          ? `BGP session with ${nb.name} Established; it is sent exactly the pools and sites' networks (${nets.join(", ") || "none"})`
          : `${nb.name} is not sent exactly the pools and sites' networks: ${[
              missing.length ? `missing ${missing.join(", ")}` : "",
              extra.length ? `not the gateway's to announce ${extra.join(", ")}` : "",
            ]
              .filter(Boolean)
              .join("; ")}`,
        evidence: [block, ...exported.map((e) => e.evidence)],
        fix: ok ? undefined : "re-apply the stack's bird.conf (`pulumi up`; the drift check shows hand edits), then `birdc configure`",
      });
    }
    return findings;
  },
};
