import { shq } from "../host/apply-script";
import { COLLECTOR_STATE } from "./render";

/** Every metric the collector writes starts with this. */
export const METRIC_PREFIX = "stage2_strongswan_";

/**
 * charon logs everything at PRIORITY info/debug (charon-systemd maps only its log level to the journal), so an
 * error is told by its words: failed exchanges, missing configs or keys, refused proposals, give-ups.
 */
export const CHARON_ERROR_RE =
  "failed|error|unable to|giving up|not found|no (IKE|matching|trusted|shared|acceptable|private key|proposal|CHILD)|NO_PROPOSAL_CHOSEN|TS_UNACCEPTABLE|AUTHENTICATION_FAILED|constraint check";

/**
 * Reads swanctl's --pretty dumps (one `key = value`, `name {`, `}` or list item per line; values are vici's printable
 * text, so a line never holds two of them) and the --list-certs text, and prints the metric families.
 */
const AWK = String.raw`
function esc(s,   o, i, c) { o = ""; for (i = 1; i <= length(s); i++) { c = substr(s, i, 1); if (c == "\\" || c == "\"") o = o "\\"; o = o c }; return o }
function num(s) { return (s ~ /^[0-9]+$/) ? s : "NaN" }
function civil(y, m, d,   era, yoe, doy, doe) {
  y -= (m <= 2); era = int((y >= 0 ? y : y - 399) / 400); yoe = y - era * 400
  doy = int((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1
  doe = yoe * 365 + int(yoe / 4) - int(yoe / 100) + doy
  return era * 146097 + doe - 719468
}
# "Dec 07 21:49:03 UTC 2026" (swanctl --list-certs --utc) as seconds since the epoch, or "" when it is not one.
function epoch(s,   f, n, t, m) {
  n = split(s, f, " "); if (n != 5 || f[4] != "UTC") return ""
  m = index("JanFebMarAprMayJunJulAugSepOctNovDec", f[1]); if (m == 0 || (m - 1) % 3 != 0 || length(f[1]) != 3) return ""
  if (split(f[3], t, ":") != 3 || f[2] !~ /^[0-9]+$/ || f[5] !~ /^[0-9]+$/) return ""
  return (civil(f[5] + 0, (m + 2) / 3, f[2] + 0) * 86400) + t[1] * 3600 + t[2] * 60 + t[3]
}
function family(name, type, help) { nfam++; fam[nfam] = name; ftype[name] = type; fhelp[name] = help }
function sample(name, labels, value) { ns[name]++; sl[name, ns[name]] = labels; sv[name, ns[name]] = value }
function cert_done() {
  if (c_kind == "x509" && c_priv && c_after != "") sample("certificate_not_after_seconds", "kind=\"gateway\",subject=\"" esc(c_subject) "\"", c_after)
  if (c_kind == "ca" && c_after != "") sample("certificate_not_after_seconds", "kind=\"ca\",subject=\"" esc(c_subject) "\"", c_after)
  if (c_kind == "crl" && c_next != "") sample("crl_next_update_seconds", "issuer=\"" esc(c_issuer) "\"", c_next)
  c_subject = ""; c_issuer = ""; c_after = ""; c_next = ""; c_priv = 0
}
BEGIN {
  family("ike_sas", "gauge", "IKE SAs by connection and state; every loaded connection has an ESTABLISHED sample, 0 when none.")
  family("child_sas", "gauge", "CHILD_SAs by connection, child and state.")
  family("child_sa_in_bytes_total", "counter", "Bytes received on a CHILD_SA (reset when it is rekeyed: a new child_id).")
  family("child_sa_out_bytes_total", "counter", "Bytes sent on a CHILD_SA.")
  family("child_sa_in_packets_total", "counter", "Packets received on a CHILD_SA.")
  family("child_sa_out_packets_total", "counter", "Packets sent on a CHILD_SA.")
  family("connection_info", "gauge", "Loaded connections: kind roadwarrior (remote_addrs %any) or site.")
  family("pool_size", "gauge", "Addresses in a virtual IP pool.")
  family("pool_online_leases", "gauge", "Leases of a pool held by a connected client.")
  family("pool_offline_leases", "gauge", "Leases of a pool kept for a client that left (reused for it, or when the pool runs out).")
  family("certificate_not_after_seconds", "gauge", "End of validity of the gateway's certificates (with private key) and the CAs charon loaded.")
  family("crl_next_update_seconds", "gauge", "nextUpdate of the CRLs charon loaded.")
}
/^@/ { if (part == "certs") cert_done(); part = substr($0, 2); depth = 0; inlist = 0; next }
part == "certs" {
  if ($0 ~ /^List of /) { cert_done(); c_kind = ($0 ~ /End Entity/) ? "x509" : ($0 ~ /CA Certificates/) ? "ca" : ($0 ~ /CRLs/) ? "crl" : "other"; next }
  if ($0 ~ /^  subject: /) { cert_done(); s = $0; sub(/^  subject: +"/, "", s); sub(/"$/, "", s); c_subject = s; next }
  if ($0 ~ /^  issuer: / && c_kind == "crl") { cert_done(); s = $0; sub(/^  issuer: +"/, "", s); sub(/"$/, "", s); c_issuer = s; next }
  if ($0 ~ /not after /) { s = $0; sub(/.*not after +/, "", s); sub(/,.*/, "", s); c_after = epoch(s); next }
  if ($0 ~ /^ +next on /) { s = $0; sub(/^ +next on +/, "", s); sub(/,.*/, "", s); c_next = epoch(s); next }
  if ($0 ~ /^  pubkey: .*has private key/) c_priv = 1
  next
}
inlist { if ($0 ~ /^ *\]$/) { inlist = 0; next }; item = $0; gsub(/^ +| +$/, "", item)
  if (part == "conns" && depth == 2 && listkey == "remote_addrs" && item == "%any") any[path[2]] = 1
  next }
/^ *[A-Za-z0-9_.-]+ = / {
  key = $0; sub(/^ +/, "", key); sub(/ = .*/, "", key); val = $0; sub(/^ *[A-Za-z0-9_.-]+ = /, "", val)
  if (val == "[") { inlist = 1; listkey = key; next }
  if (part == "sas" && depth == 2 && key == "state") ike[path[2], val]++
  if (part == "sas" && depth == 4) ch[key] = val
  if (part == "pools" && depth == 2) pool[path[2], key] = val
  next
}
/ \{$/ { depth++; s = $0; sub(/^ +/, "", s); sub(/ \{$/, "", s); path[depth] = s
  if (part == "conns" && depth == 2) { conn[s] = 1; nconn++; conns[nconn] = s }
  if (part == "pools" && depth == 2) { npool++; pools[npool] = s }
  if (part == "sas" && depth == 4) { delete ch }
  next }
/^ *\}$/ {
  if (part == "sas" && depth == 4) {
    c = path[2]; id = "conn=\"" esc(c) "\",child=\"" esc(ch["name"]) "\""
    chs[c, ch["name"], ch["state"]]++; if (!((c, ch["name"], ch["state"]) in seen)) { seen[c, ch["name"], ch["state"]] = 1; nchs++; chk[nchs] = c SUBSEP ch["name"] SUBSEP ch["state"] }
    if (ch["state"] == "INSTALLED") {
      l = id ",child_id=\"" esc(ch["uniqueid"]) "\""
      sample("child_sa_in_bytes_total", l, num(ch["bytes-in"])); sample("child_sa_out_bytes_total", l, num(ch["bytes-out"]))
      sample("child_sa_in_packets_total", l, num(ch["packets-in"])); sample("child_sa_out_packets_total", l, num(ch["packets-out"]))
    }
  }
  if (part == "sas" && depth == 2 && !(path[2] in conn) && !(path[2] in extra)) { extra[path[2]] = 1; nconn++; conns[nconn] = path[2] }
  if (depth > 0) depth--
  next
}
END {
  if (part == "certs") cert_done()
  for (i = 1; i <= nconn; i++) {
    c = conns[i]
    sample("ike_sas", "conn=\"" esc(c) "\",state=\"ESTABLISHED\"", ike[c, "ESTABLISHED"] + 0)
    if (c in conn) sample("connection_info", "conn=\"" esc(c) "\",kind=\"" ((c in any) ? "roadwarrior" : "site") "\"", 1)
  }
  for (k in ike) { split(k, p, SUBSEP); if (p[2] != "ESTABLISHED") sample("ike_sas", "conn=\"" esc(p[1]) "\",state=\"" esc(p[2]) "\"", ike[k]) }
  for (i = 1; i <= nchs; i++) { split(chk[i], p, SUBSEP); sample("child_sas", "conn=\"" esc(p[1]) "\",child=\"" esc(p[2]) "\",state=\"" esc(p[3]) "\"", chs[chk[i]]) }
  for (i = 1; i <= npool; i++) {
    n = pools[i]; l = "pool=\"" esc(n) "\""
    sample("pool_size", l, num(pool[n, "size"])); sample("pool_online_leases", l, num(pool[n, "online"])); sample("pool_offline_leases", l, num(pool[n, "offline"]))
  }
  for (i = 1; i <= nfam; i++) {
    f = fam[i]; if (!ns[f]) continue
    print "# HELP " prefix f " " fhelp[f]; print "# TYPE " prefix f " " ftype[f]
    for (j = 1; j <= ns[f]; j++) print prefix f "{" sl[f, j] "} " sv[f, j]
  }
}
`;

const SCRIPT = String.raw`#!/bin/bash
# managed by stage2: do not edit, every apply overwrites it
# Writes strongSwan's facts to the node-exporter textfile $1, atomically (a temporary file in the same directory,
# which node-exporter ignores, renamed over it). Counts, states, counters, pool sizes, dates: never a secret, never an
# identity. Usage: stage2-strongswan-metrics <file.prom>
set -uo pipefail
[ $# -eq 1 ] || { echo "usage: stage2-strongswan-metrics <file.prom>" >&2; exit 2; }
out=$1
prefix=@PREFIX@
state=@STATE@
error_re=@ERROR_RE@
mkdir -p "$(dirname "$out")" || exit 1
tmp=$(mktemp "$out.XXXXXX") || exit 1
trap 'rm -f "$tmp"' EXIT
gauge() { printf '# HELP %s%s %s\n# TYPE %s%s gauge\n%s%s %s\n' "$prefix" "$1" "$3" "$prefix" "$1" "$prefix" "$1" "$2"; }
{
  if dump=$({ echo @conns; swanctl --list-conns --pretty && echo @sas && swanctl --list-sas --pretty && echo @pools && swanctl --list-pools --pretty && echo @certs && swanctl --list-certs --utc; } 2>/dev/null); then
    gauge up 1 "1 when swanctl could read charon's SAs, pools and certificates over VICI."
    printf '%s\n' "$dump" | awk -v prefix="$prefix" @AWK@
  else
    gauge up 0 "1 when swanctl could read charon's SAs, pools and certificates over VICI."
  fi
  # The journal since the last run (a cursor kept in $state); the first run looks back a day.
  if [ -d /run/systemd/system ] && command -v journalctl >/dev/null && mkdir -p "$state"; then
    since=--since=-24h; [ -f "$state/journal.cursor" ] && since=--quiet
    if lines=$(journalctl -q --no-pager -u strongswan -o short-unix "$since" --cursor-file="$state/journal.cursor"); then
      errors=$(printf '%s\n' "$lines" | grep -E -i -- "$error_re" || true)
      last=$(cat "$state/last-error" 2>/dev/null); total=$(cat "$state/errors" 2>/dev/null)
      case $last in "" | *[!0-9]*) last=0 ;; esac; case $total in "" | *[!0-9]*) total=0 ;; esac
      if [ -n "$errors" ]; then
        last=$(printf '%s\n' "$errors" | tail -n 1 | cut -d' ' -f1 | cut -d. -f1)
        total=$((total + $(printf '%s\n' "$errors" | wc -l)))
        printf '%s\n' "$last" > "$state/last-error"; printf '%s\n' "$total" > "$state/errors"
      fi
      gauge last_error_timestamp_seconds "$last" "When charon last logged an error (journal of strongswan.service), 0 when none was seen."
      printf '# HELP %serrors_total %s\n# TYPE %serrors_total counter\n%serrors_total %s\n' "$prefix" "Errors charon logged since the collector first ran." "$prefix" "$prefix" "$total"
    fi
  fi
  gauge collected_timestamp_seconds "$(date +%s)" "When this file was written."
} > "$tmp" || exit 1
chmod 0644 "$tmp" && mv -f "$tmp" "$out"
`;

/** /etc/stage2/strongswan-metrics: bash, swanctl, awk and journalctl only (no new runtime dependency). */
export function renderCollector(): string {
  const fill: Record<string, string> = { PREFIX: METRIC_PREFIX, STATE: COLLECTOR_STATE, ERROR_RE: CHARON_ERROR_RE, AWK };
  return SCRIPT.replace(/@(PREFIX|STATE|ERROR_RE|AWK)@/g, (_, key: string) => shq(fill[key]));
}
