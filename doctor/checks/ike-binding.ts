import { floatingIpLabel } from "../../components/floating-ip-host/render";
import { LIST_ADDRESSES, parseAddresses } from "../interfaces";
import { read } from "../probe";
import { Check, Finding } from "../types";

/** `swanctl --list-conns`: each loaded connection's local_addrs, as charon holds them (not as a file says). */
export function parseConnLocalAddrs(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let conn: string | undefined;
  for (const line of text.split("\n")) {
    const head = /^([^\s:][^:]*): IKEv/.exec(line);
    if (head) {
      conn = head[1];
      out.set(conn, []);
      continue;
    }
    const local = /^ {2}local:\s+(.+)$/.exec(line);
    if (conn && local)
      out.set(
        conn,
        local[1].split(/,\s*/).map((a) => a.trim()),
      );
  }
  return out;
}

export const ikeBindingCheck: Check = {
  id: "ike-binding",
  title: "every local_addrs exists on an interface; the floating IP is on the public interface",
  async run(ctx) {
    const fip = ctx.render.floatingIp;
    const pub = ctx.gateway.publicInterface;
    const [conns, addrs] = await Promise.all([
      read(ctx.shell, "swanctl --list-conns", "the connections charon has loaded"),
      read(ctx.shell, LIST_ADDRESSES, "the host's addresses"),
    ]);
    const held = parseAddresses(addrs.result.stdout);
    const findings: Finding[] = [];
    const onPublic = held.filter((a) => a.address === fip && a.ifname === pub);
    const elsewhere = held.filter((a) => a.address === fip && a.ifname !== pub);
    const label = floatingIpLabel(ctx.gateway);
    findings.push(
      onPublic.length
        ? { check: "ike-binding", status: "ok", subject: `floating IP ${fip}`, what: `the floating IP ${fip} is on ${pub}`, evidence: [addrs.evidence] }
        : {
            check: "ike-binding",
            status: "fail",
            subject: `floating IP ${fip}`,
            what: elsewhere.length
              ? `the floating IP ${fip} is on ${elsewhere.map((a) => a.ifname).join(", ")}, not on the public interface ${pub}`
              : `the floating IP ${fip} is on no interface: the kernel drops the IKE packets Hetzner routes to it, and charon cannot send from it ("Network is unreachable")`,
            evidence: [addrs.evidence],
            fix: `ip -4 address replace ${fip}/32 dev ${pub} label ${label} (what the floating-ip concern does; a converge does it too and keeps it across reboots)`,
          },
    );
    const loaded = parseConnLocalAddrs(conns.result.stdout);
    if (loaded.size === 0) {
      findings.push({
        check: "ike-binding",
        status: "fail",
        what: "charon has no connection loaded",
        evidence: [conns.evidence],
        fix: "swanctl --load-all (its errors say what charon refused), or run the converge",
      });
    }
    for (const [conn, locals] of loaded) {
      const missing = locals.filter((a) => a !== "%any" && !held.some((h) => h.address === a));
      const notFip = locals.filter((a) => a !== fip);
      const base = { check: "ike-binding", subject: `connection ${conn}`, evidence: [conns.evidence, addrs.evidence] };
      if (missing.length) {
        findings.push({
          ...base,
          status: "fail",
          what: `connection ${conn} binds local_addrs ${missing.join(", ")}, which no interface of the host has: IKE sends fail with "Network is unreachable" (the notes' .39 instead of .139)`,
          fix: `local_addrs must be the floating IP ${fip}: stage2 renders it so; the host's swanctl.conf was changed (see drift). Run the converge, or put back local_addrs = ${fip} and swanctl --load-all`,
        });
      } else if (notFip.length) {
        findings.push({
          ...base,
          status: "fail",
          what: `connection ${conn} binds ${notFip.join(", ")}, not the floating IP ${fip}: IKE must answer on the floating IP only`,
          fix: `set local_addrs = ${fip} (run the converge: stage2 renders it so)`,
        });
      } else {
        findings.push({ ...base, status: "ok", what: `connection ${conn} binds the floating IP ${fip}, which ${pub} has` });
      }
    }
    return findings;
  },
};
