import { PAYLOAD_VERSION } from "./payload";
import { Concern, ServiceManager, ServiceUnit } from "./types";

/** Single-quotes a word for bash. */
export function shq(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

const NAME_RE = /^[a-z0-9][a-z0-9-]*$/;

/** Where every concern keeps its journal and staging, and the host's converge lock. */
export const STATE_ROOT = "/var/lib/stage2";
/** One converge at a time per host: holders write "<pid> <start time>" into it. */
export const LOCK_FILE = `${STATE_ROOT}/.lock`;
/**
 * How long a run waits for the lock by default (s). Concerns of one gateway run in parallel (WireGuard beside
 * strongSwan's package install), so a wait must outlast a first install. STAGE2_LOCK_WAIT overrides it.
 */
export const LOCK_WAIT_S = 300;

/**
 * The script's fault-injection points: a no-op in production. The fault suite (lab/interrupt.ts) replaces this
 * exact line in the script text it sends, so the text run everywhere else is the production script.
 */
export const STEP_HOOK = "step() { :; }";
/** The points `step` is called at, in order. */
export const STEPS = ["staged", "validated", "swapping", "swapped", "activating", "rollback"] as const;
export type Step = (typeof STEPS)[number];

function serviceLines(services: readonly ServiceUnit[], manager: ServiceManager): { ensure: string[]; reload: string[] } {
  const ensure: string[] = [];
  const reload: string[] = [];
  for (const svc of services) {
    if (manager === "systemd") {
      // Enabling only says what starts at boot (this script starts the unit itself): no reload of every unit with it.
      ensure.push(`systemctl is-enabled --quiet ${shq(svc.unit)} || systemctl enable --quiet --no-reload ${shq(svc.unit)}`);
      ensure.push(`systemctl is-active --quiet ${shq(svc.unit)} || { systemctl start ${shq(svc.unit)} || fail "starting ${svc.unit} failed"; started=1; }`);
      if (svc.onChange !== "none") reload.push(`systemctl ${svc.onChange} ${shq(svc.unit)} || { unit_said ${shq(svc.unit)} "$since"; false; }`);
    } else {
      // A daemon started here must not hold the script's stdout (the SSH channel would stay open) nor the lock's
      // descriptor (it would hold the host's lock for its lifetime): its start-up output goes to a file.
      ensure.push(
        `( ${svc.direct.running} ) >/dev/null 2>&1 || { ( ${svc.direct.start} ) </dev/null >"$stage/start.log" 2>&1 9>&- || fail "starting ${svc.unit} failed: $(cat "$stage/start.log")"; started=1; }`,
      );
      if (svc.direct.reload) reload.push(svc.direct.reload);
    }
  }
  return { ensure, reload };
}

/** Reads stdin whole, then checks the header's count, length and digest: a cut-short payload changes nothing. */
const READ_PAYLOAD = [
  // `printf x` keeps trailing newlines that $( ) would strip.
  'payload=$(cat; printf x) || fail "reading the payload failed"; payload=${payload%x}',
  "header=${payload%%$'\\n'*}; body=${payload#*$'\\n'}",
  '[ "$header" != "$payload" ] || fail "stdin is not a stage2 payload"',
  'read -r magic version nfiles nbytes digest rest <<<"$header" || true',
  `[ "$magic $version" = "stage2-payload ${PAYLOAD_VERSION}" ] && [ -z "$rest" ] || fail "stdin is not a stage2 payload (version ${PAYLOAD_VERSION})"`,
  '[ "$(printf %s "$body" | wc -c)" = "$nbytes" ] || fail "payload incomplete: $(printf %s "$body" | wc -c) of $nbytes bytes arrived, nothing changed"',
  '[ "$(printf %s "$body" | sha256sum | cut -d" " -f1)" = "$digest" ] || fail "payload corrupt: checksum mismatch, nothing changed"',
  '[ "$(printf %s "$body" | grep -c "^F ")" = "$nfiles" ] || fail "payload corrupt: not $nfiles files, nothing changed"',
];

/** One run per host at a time. The holder's pid and start time are in the lock file for those who wait. */
const TAKE_LOCK = [
  `lock=${LOCK_FILE}; wait_s=\${STAGE2_LOCK_WAIT:-${LOCK_WAIT_S}}`,
  'case "$wait_s" in ""|*[!0-9]*) fail "STAGE2_LOCK_WAIT must be a number of seconds";; esac',
  `mkdir -p ${STATE_ROOT}; exec 9<>"$lock"`,
  "if ! flock -n 9; then",
  '  say "waiting up to ${wait_s}s for the converge holding this host: $(holder)"',
  '  flock -w "$wait_s" 9 || fail "another converge holds this host ($lock) for more than ${wait_s}s: $(holder)"',
  "fi",
  'printf "%s %s\\n" "$$" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" > "$lock"',
];

/**
 * Puts back the files a change in stage dir $1 replaced (its `changed` list is written only once every old copy
 * is saved), and removes those it created.
 */
const RESTORE = [
  "restore() {",
  '  [ -f "$1/changed" ] || return 0',
  "  local path",
  "  while IFS= read -r path; do",
  '    if [ -f "$1/old$path" ]; then cp -p "$1/old$path" "$path.stage2-tmp"; mv -f "$path.stage2-tmp" "$path"; else rm -f "$path"; fi',
  '    rm -f "$path.stage2-tmp"',
  '  done < "$1/changed"',
  "}",
];

/**
 * The script a concern's remote command runs. It reads the concern's files from stdin (see payload.ts) and
 * verifies them whole, then under the host's lock: finishes an interrupted run (its files put back from its
 * staging), packages → prepare → stage → validate (daemon's own parser) → journal `pending` → atomic renames →
 * reload → journal `active`. When the reload fails, or the script is told to stop (INT, TERM, HUP, or PIPE when
 * the SSH channel is gone), the previous files are put back and re-activated. Activation derives the state from
 * the files on disk, so re-activating the old files restores the old state. `unchanged` means the files are
 * equal and the journal says this very payload was activated.
 */
export function renderApplyScript(concern: Concern, manager: ServiceManager): string {
  if (!NAME_RE.test(concern.name)) throw new Error(`concern name ${JSON.stringify(concern.name)} is not lower-case-dashed`);
  const { ensure, reload } = serviceLines(concern.services, manager);
  // A changed unit file or drop-in takes effect only after daemon-reload, which must precede the units' starts
  // (a new unit's first) and restarts.
  const daemonReload = manager === "systemd" && concern.files.some((f) => f.path.startsWith("/etc/systemd/"));
  const activate = [...reload, ...(concern.activate ?? [])];
  const packages = concern.packages.map(shq).join(" ");
  const masked = manager === "systemd" ? (concern.masked ?? []) : [];
  const lines = [
    "#!/bin/bash",
    `# stage2 apply: ${concern.name} (service manager: ${manager})`,
    "set -euo pipefail",
    "umask 077",
    `concern=${shq(concern.name)}`,
    `state=${STATE_ROOT}/$concern`,
    'say() { printf "stage2: %s: %s\\n" "$concern" "$*"; }',
    'fail() { printf "stage2: %s: FAILED: %s\\n" "$concern" "$*" >&2; exit 1; }',
    'holder() { local h; h=$(cat "$lock" 2>/dev/null) || true; set -- $h; printf "pid %s, started %s" "${1:-unknown}" "${2:-unknown}"; }',
    STEP_HOOK,
  ];
  if (manager === "systemd" && reload.length) {
    // systemctl only says "Job ... failed"; the reason is in the unit's journal, said by the reload command
    // (swanctl, birdc, nft). The daemon's own chatter (charon logs every IKE packet) would crowd it out.
    lines.push(
      "unit_said() {",
      '  local main; main=$(systemctl show -p MainPID --value "$1")',
      "  journalctl --sync 2>/dev/null || true",
      '  journalctl --no-pager -o short-unix --since "$2" -u "$1" | grep -v "\\[$main\\]: " | sed -E \'s/^[0-9.]+ [^ ]+ [^ ]+: //\' | tail -n 40',
      "}",
    );
  }
  lines.push(...READ_PAYLOAD, ...TAKE_LOCK, ...RESTORE);
  lines.push(
    // Staging lives under the host's lock: what a killed run left is its own (SIGKILL runs no trap), never a live
    // run's. Every concern's, not only this one's: concerns that share a daemon (swanctl and swanctl-secrets both
    // reload charon) must not activate on top of another's half-swapped files.
    'mkdir -p "$state"; chmod 0700 "$state"',
    `for p in ${STATE_ROOT}/*/pending; do`,
    '  [ -f "$p" ] || continue',
    '  d=${p%/pending}; dead=""; read -r _ dead < "$p" || true',
    '  case "$dead" in stage.*) restore "$d/$dead"; [ "$d" = "$state" ] && say "an interrupted run left a change half-done: its previous files are back, this run activates" || say "an interrupted run of ${d##*/} left a change half-done: its previous files are back (its next run activates)";; esac',
    '  rm -f "$p" "$d/active"',
    "done",
    `rm -rf ${STATE_ROOT}/*/stage.*`,
    'active=""; [ -f "$state/active" ] && read -r active < "$state/active" || true',
    "phase=stage",
    'stage=$(mktemp -d "$state/stage.XXXXXX")',
    // A run that stops mid-change (a failed command, a signal, the SSH channel gone) puts the previous files back.
    'cleanup() { case "$phase" in swap|activate) rollback >/dev/null 2>&1;; esac; rm -rf "$stage"; }',
    'on_signal() { trap "" INT TERM HUP PIPE; exec >/dev/null 2>&1; exit 1; }',
    "trap cleanup EXIT",
    "trap on_signal INT TERM HUP PIPE",
  );
  if (packages) {
    lines.push(
      `missing=""; for p in ${packages}; do dpkg-query -W -f='\${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"; done`,
      'if [ -n "$missing" ]; then say "installing$missing"; DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing 9>&- >/dev/null || fail "apt-get install$missing"; fi',
    );
  }
  // The unit being masked may have held what the concern's own services need (strongswan-starter's charon holds
  // UDP 500/4500, so charon-systemd started beside it runs without IPv4 sockets): restart those that run.
  const restartOwn = concern.services.map((s) => ` systemctl try-restart ${shq(s.unit)};`).join("");
  for (const unit of masked) {
    lines.push(
      `[ "$(systemctl is-enabled ${shq(unit)} 2>/dev/null || true)" = masked ] || { systemctl disable --now --quiet --no-reload ${shq(unit)} 2>/dev/null || true; systemctl mask --quiet ${shq(unit)}; say "masked ${unit}";${restartOwn} }`,
    );
  }
  lines.push(...(concern.prepare ?? []));
  lines.push(
    "changed=(); modes=(); owners=(); checks=(); wrote=()",
    "while read -r tag path mode owner secret validate && read -r content; do",
    '  [ "$tag" = F ] || fail "bad payload line: $tag"',
    '  wrote+=("$path")',
    '  mkdir -p "$stage/new$(dirname "$path")"',
    '  if [ "$content" = - ]; then : > "$stage/new$path"; else printf %s "$content" | base64 -d > "$stage/new$path"; fi',
    '  if [ -f "$path" ] && cmp -s "$path" "$stage/new$path" && [ "$(stat -c %a:%U:%G "$path")" = "${mode#0}:$owner" ]; then continue; fi',
    '  changed+=("$path"); modes+=("$mode"); owners+=("$owner")',
    '  if [ "$validate" != - ]; then checks+=("$path"$\'\\t\'"$(printf %s "$validate" | base64 -d)"); fi',
    'done < <(printf %s "$body")',
    "unset payload body",
    // A file an earlier run of this concern wrote (its `files` record: digest and path) that the payload no longer
    // carries: a removed site's certificate and key. Only while it still holds what stage2 wrote: a file changed
    // since, or a record line without a digest, is left alone and named.
    "removed=()",
    'if [ -f "$state/files" ]; then',
    "  while read -r sum path; do",
    '    [ -n "$path" ] && [ -f "$path" ] || continue',
    '    keep=0; for w in "${wrote[@]}"; do [ "$w" = "$path" ] && { keep=1; break; }; done',
    "    [ $keep = 0 ] || continue",
    '    if [ "$(sha256sum < "$path" | cut -d" " -f1)" = "$sum" ]; then removed+=("$path"); else say "left $path: no longer in the stack, but not what stage2 wrote there"; fi',
    '  done < "$state/files"',
    "fi",
    'record_files() { if [ ${#wrote[@]} -gt 0 ]; then sha256sum "${wrote[@]}"; fi > "$state/files.tmp"; mv -f "$state/files.tmp" "$state/files"; }',
    "step staged",
    "started=0",
    // Services start after the swap: a unit whose config this concern creates (wg-quick@wg0) cannot start before.
    "ensure() {",
    ...(ensure.length ? ensure.map((l) => `  ${l}`) : ["  :"]),
    "}",
    'if [ ${#changed[@]} -eq 0 ] && [ ${#removed[@]} -eq 0 ] && [ "$active" = "$digest" ]; then ensure 9>&-; [ -f "$state/files" ] || record_files; say "unchanged"; exit 0; fi',
    'for check in "${checks[@]}"; do',
    "  path=${check%%$'\\t'*}; cmd=${check#*$'\\t'}",
    '  if ! out=$(STAGE="$stage/new" STAGED="$stage/new$path" bash -c "$cmd" 2>&1); then',
    '    fail "$path rejected by \\`$cmd\\`, nothing changed: $out"',
    "  fi",
    "done",
    "step validated",
    'for path in "${changed[@]}" "${removed[@]}"; do',
    '  if [ -f "$path" ]; then mkdir -p "$stage/old$(dirname "$path")"; cp -p "$path" "$stage/old$path"; fi',
    "done",
    // From here a killed run is finished by the next: `changed` names what to put back, `pending` says it is due.
    '[ ${#changed[@]} -eq 0 ] && [ ${#removed[@]} -eq 0 ] || printf "%s\\n" "${changed[@]}" "${removed[@]}" > "$stage/changed"',
    'printf "%s %s\\n" "$digest" "${stage##*/}" > "$state/pending.tmp"; mv -f "$state/pending.tmp" "$state/pending"',
    'rm -f "$state/active"; phase=swap',
    'for i in "${!changed[@]}"; do',
    "  path=${changed[$i]}",
    '  mkdir -p "$(dirname "$path")"; tmp="$path.stage2-tmp"',
    '  cp "$stage/new$path" "$tmp"; chmod "${modes[$i]}" "$tmp"; chown "${owners[$i]}" "$tmp"; mv -f "$tmp" "$path"',
    "  step swapping",
    "done",
    'for path in "${removed[@]}"; do rm -f "$path"; step swapping; done',
    '[ ${#changed[@]} -eq 0 ] && [ ${#removed[@]} -eq 0 ] && say "files unchanged, activating what an earlier run left inactive"',
    '[ ${#changed[@]} -eq 0 ] || say "changed ${#changed[@]} file(s): ${changed[*]}"',
    '[ ${#removed[@]} -eq 0 ] || say "removed ${#removed[@]} file(s) it wrote before, no longer in the stack: ${removed[*]}"',
    "step swapped",
    "activate() {",
    ...(daemonReload ? ["  systemctl daemon-reload || return"] : []),
    "  ensure || return",
    ...(manager === "systemd" && reload.length ? ['  since=$(date "+%Y-%m-%d %H:%M:%S")'] : []),
    // Called as an `if` condition, where bash ignores `set -e`: without `|| return` a failed step would be hidden by the next.
    ...(activate.length ? activate.flatMap((c, i) => [`  ${c} || return`, ...(i === 0 ? ["  step activating"] : [])]) : ["  step activating"]),
    "}",
    // Puts the previous files back and activates them; the journal says `active` again only if that worked.
    "rollback() {",
    '  trap "" INT TERM HUP PIPE',
    '  restore "$stage"',
    "  step rollback",
    '  if ( activate ) >/dev/null 2>&1 9>&-; then [ -z "$active" ] || printf "%s\\n" "$active" > "$state/active"; fi',
    '  rm -f "$state/pending"; phase=rolledback',
    "}",
    "phase=activate",
    "if ! out=$(activate 2>&1 9>&-); then",
    "  rollback",
    '  fail "activation failed, previous files restored: $out"',
    "fi",
    'printf "%s\\n" "$digest" > "$state/active"; rm -f "$state/pending"; record_files; phase=done',
    '[ -z "$out" ] || printf "%s\\n" "$out"',
    'say "activated"',
  );
  return lines.join("\n") + "\n";
}
