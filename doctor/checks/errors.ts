import { shq } from "../../components/host/apply-script";
import { probe, read } from "../probe";
import { detectServiceManager } from "../service-manager";
import { Check, DoctorContext, Evidence } from "../types";

/** How far back "recent" reaches. */
export const ERROR_WINDOW_S = 3600;
const ERROR_RE = /error|fail|unreachable|no proposal|no matching|no IKE config|no trusted|not found|unable|giving up|invalid|refused/i;
/** charon names the IKE_SA a line is about: `<laptops|3>`. */
const IKE_NAME_RE = /<([^|>]+)\|\d+>/;

export interface LogLine {
  readonly conn?: string;
  readonly text: string;
}

/** Lines of charon's file log (time_format "%b %e %T", ike_name on) within the window before `now`. */
export function parseFileLog(text: string, now: Date, windowS = ERROR_WINDOW_S): LogLine[] {
  const out: LogLine[] = [];
  for (const line of text.split("\n")) {
    const m = /^([A-Z][a-z]{2})\s+(\d{1,2}) (\d\d):(\d\d):(\d\d) (.*)$/.exec(line);
    if (!m) continue;
    let at = Date.parse(`${m[1]} ${m[2]} ${now.getUTCFullYear()} ${m[3]}:${m[4]}:${m[5]}`);
    // The log has no year: a date ahead of now is last year's (a log read just after New Year).
    if (at > now.getTime() + 86_400_000) at = Date.parse(`${m[1]} ${m[2]} ${now.getUTCFullYear() - 1} ${m[3]}:${m[4]}:${m[5]}`);
    if (Number.isNaN(at) || now.getTime() - at > windowS * 1000) continue;
    out.push({ conn: IKE_NAME_RE.exec(m[6])?.[1], text: line });
  }
  return out;
}

/** `journalctl -o json`: charon-systemd sets IKE_SA_NAME on lines about an IKE_SA. */
export function parseJournal(text: string): LogLine[] {
  const out: LogLine[] = [];
  for (const line of text.split("\n")) {
    if (!line.startsWith("{")) continue;
    const entry = JSON.parse(line) as { MESSAGE?: unknown; IKE_SA_NAME?: unknown };
    const message = typeof entry.MESSAGE === "string" ? entry.MESSAGE : "";
    const conn = typeof entry.IKE_SA_NAME === "string" ? entry.IKE_SA_NAME : IKE_NAME_RE.exec(message)?.[1];
    out.push({ conn, text: message });
  }
  return out;
}

function fixFor(lines: readonly string[]): string {
  const all = lines.join("\n");
  if (/Network is unreachable|error writing to socket/i.test(all)) {
    return "charon cannot send from the address it binds: see ike-binding (local_addrs on no interface, the notes' .39) and the floating IP on the public interface";
  }
  if (/AUTHENTICATION_FAILED|authentication .* failed|no shared key|MAC mismatch/i.test(all)) {
    return "authentication fails: the PSK/EAP password on both sides, the identities (local.id/remote.id) and the certificates' CA";
  }
  if (/NO_PROPOSAL_CHOSEN|no acceptable proposal|no proposal/i.test(all)) {
    return "the peer offers proposals the gateway does not accept: compare its ike/esp proposals with the stack's (stage2 clients prints the client side)";
  }
  if (/TS_UNACCEPTABLE|traffic selectors .* unacceptable/i.test(all)) {
    return "the traffic selectors do not match: the peer's local/remote subnets against the stack's localTs/remoteTs";
  }
  return "read the lines above; raise the volume for this subsystem in the stack (ipsec.log, e.g. { ike: 2, cfg: 2 }) and watch swanctl --log";
}

async function readLog(ctx: DoctorContext): Promise<{ lines: LogLine[]; evidence: Evidence } | undefined> {
  const file = ctx.gateway.ipsec.logFile;
  if (file) {
    const p = await read(ctx.shell, `tail -n 5000 ${shq(file)}`, `charon's log ${file}`);
    return { lines: parseFileLog(p.result.stdout, ctx.now), evidence: p.evidence };
  }
  const { manager } = await detectServiceManager(ctx.shell);
  if (manager !== "systemd") return undefined;
  const since = new Date(ctx.now.getTime() - ERROR_WINDOW_S * 1000)
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d+Z$/, " UTC");
  const p = await read(ctx.shell, `journalctl -u strongswan --since ${shq(since)} --no-pager -o json --output-fields=MESSAGE,IKE_SA_NAME`, "charon's journal");
  return {
    lines: parseJournal(p.result.stdout),
    evidence: { command: p.evidence.command, output: `(${p.result.stdout.trim().split("\n").filter(Boolean).length} journal entries)` },
  };
}

export const errorsCheck: Check = {
  id: "errors",
  title: "charon's errors of the last hour, grouped by connection",
  async run(ctx) {
    const log = await readLog(ctx);
    if (!log) {
      const p = await probe(ctx.shell, "[ -d /run/systemd/system ] && echo systemd || echo 'no systemd journal'");
      return [
        {
          check: "errors",
          status: "warn",
          subject: "charon's log",
          what: "charon logs nowhere doctor can read: no systemd journal on this host, and the stack sets no ipsec.logFile",
          evidence: [p.evidence],
          fix: "set ipsec.logFile in the stack (e.g. /var/log/charon.log) and converge",
        },
      ];
    }
    const errors = log.lines.filter((l) => ERROR_RE.test(l.text));
    if (errors.length === 0) {
      return [
        {
          check: "errors",
          status: "ok",
          subject: "charon's log",
          what: `no error from charon in the last ${ERROR_WINDOW_S / 60} min`,
          evidence: [log.evidence],
        },
      ];
    }
    const groups = new Map<string, string[]>();
    for (const e of errors) groups.set(e.conn ?? "", [...(groups.get(e.conn ?? "") ?? []), e.text]);
    return [...groups].map(([conn, lines]) => ({
      check: "errors",
      status: "warn" as const,
      subject: conn ? `connection ${conn}` : "charon",
      what: `${lines.length} error line(s) from charon in the last ${ERROR_WINDOW_S / 60} min${conn ? ` about connection ${conn}` : " not tied to a connection"}`,
      evidence: [{ command: log.evidence.command, output: lines.slice(-8).join("\n") }],
      fix: fixFor(lines),
    }));
  },
};
