import { Concern, ServiceManager, ServiceUnit } from "./types";

/** Single-quotes a word for bash. */
export function shq(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

const NAME_RE = /^[a-z0-9][a-z0-9-]*$/;

function serviceLines(services: readonly ServiceUnit[], manager: ServiceManager): { ensure: string[]; reload: string[] } {
  const ensure: string[] = [];
  const reload: string[] = [];
  for (const svc of services) {
    if (manager === "systemd") {
      ensure.push(`systemctl is-enabled --quiet ${shq(svc.unit)} || systemctl enable --quiet ${shq(svc.unit)}`);
      ensure.push(`systemctl is-active --quiet ${shq(svc.unit)} || { systemctl start ${shq(svc.unit)} || fail "starting ${svc.unit} failed"; started=1; }`);
      if (svc.onChange !== "none") reload.push(`systemctl ${svc.onChange} ${shq(svc.unit)} || { unit_said ${shq(svc.unit)} "$since"; false; }`);
    } else {
      // A daemon started here must not hold the script's stdout (the SSH channel would stay open): its start-up
      // output goes to a file that is shown when the start fails.
      ensure.push(
        `( ${svc.direct.running} ) >/dev/null 2>&1 || { ( ${svc.direct.start} ) </dev/null >"$stage/start.log" 2>&1 || fail "starting ${svc.unit} failed: $(cat "$stage/start.log")"; started=1; }`,
      );
      if (svc.direct.reload) reload.push(svc.direct.reload);
    }
  }
  return { ensure, reload };
}

/**
 * The script a concern's remote command runs. It reads the concern's files from stdin (see payload.ts),
 * then: packages → prepare → stage → validate (daemon's own parser) → atomic rename → reload; when the
 * reload fails the previous files are put back and reloaded, and the daemon's message is the error.
 * An unchanged payload changes and reloads nothing.
 */
export function renderApplyScript(concern: Concern, manager: ServiceManager): string {
  if (!NAME_RE.test(concern.name)) throw new Error(`concern name ${JSON.stringify(concern.name)} is not lower-case-dashed`);
  const { ensure, reload } = serviceLines(concern.services, manager);
  const activate = [...reload, ...(concern.activate ?? [])];
  const packages = concern.packages.map(shq).join(" ");
  const masked = manager === "systemd" ? (concern.masked ?? []) : [];
  const lines = [
    "#!/bin/bash",
    `# stage2 apply: ${concern.name} (service manager: ${manager})`,
    "set -euo pipefail",
    "umask 077",
    `concern=${shq(concern.name)}`,
    `state=/var/lib/stage2/$concern`,
    'say() { printf "stage2: %s: %s\\n" "$concern" "$*"; }',
    'fail() { printf "stage2: %s: FAILED: %s\\n" "$concern" "$*" >&2; exit 1; }',
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
  if (packages) {
    lines.push(
      `missing=""; for p in ${packages}; do dpkg-query -W -f='\${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"; done`,
      'if [ -n "$missing" ]; then say "installing$missing"; DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing >/dev/null || fail "apt-get install$missing"; fi',
    );
  }
  // The unit being masked may have held what the concern's own services need (strongswan-starter's charon holds
  // UDP 500/4500, so charon-systemd started beside it runs without IPv4 sockets): restart those that run.
  const restartOwn = concern.services.map((s) => ` systemctl try-restart ${shq(s.unit)};`).join("");
  for (const unit of masked) {
    lines.push(`[ "$(systemctl is-enabled ${shq(unit)} 2>/dev/null || true)" = masked ] || { systemctl disable --now --quiet ${shq(unit)} 2>/dev/null || true; systemctl mask --quiet ${shq(unit)}; say "masked ${unit}";${restartOwn} }`);
  }
  lines.push(...(concern.prepare ?? []));
  lines.push(
    'mkdir -p "$state"; stage=$(mktemp -d "$state/stage.XXXXXX"); trap \'rm -rf "$stage"\' EXIT',
    'read -r magic || fail "no payload on stdin"',
    '[ "$magic" = "stage2-payload 1" ] || fail "stdin is not a stage2 payload"',
    "changed=(); modes=(); owners=(); checks=()",
    "while read -r tag path mode owner secret validate && read -r content; do",
    '  [ "$tag" = F ] || fail "bad payload line: $tag"',
    '  mkdir -p "$stage/new$(dirname "$path")"',
    '  if [ "$content" = - ]; then : > "$stage/new$path"; else printf %s "$content" | base64 -d > "$stage/new$path"; fi',
    '  if [ -f "$path" ] && cmp -s "$path" "$stage/new$path" && [ "$(stat -c %a:%U:%G "$path")" = "${mode#0}:$owner" ]; then continue; fi',
    '  changed+=("$path"); modes+=("$mode"); owners+=("$owner")',
    '  if [ "$validate" != - ]; then checks+=("$path"$\'\\t\'"$(printf %s "$validate" | base64 -d)"); fi',
    "done",
    "started=0",
    // Services start after the swap: a unit whose config this concern creates (wg-quick@wg0) cannot start before.
    "ensure() {",
    ...(ensure.length ? ensure.map((l) => `  ${l}`) : ["  :"]),
    "}",
    'if [ ${#changed[@]} -eq 0 ]; then ensure; say "unchanged"; exit 0; fi',
    'for check in "${checks[@]}"; do',
    '  path=${check%%$\'\\t\'*}; cmd=${check#*$\'\\t\'}',
    '  if ! out=$(STAGE="$stage/new" STAGED="$stage/new$path" bash -c "$cmd" 2>&1); then',
    '    fail "$path rejected by \\`$cmd\\`, nothing changed: $out"',
    "  fi",
    "done",
    'for i in "${!changed[@]}"; do',
    '  path=${changed[$i]}',
    '  if [ -f "$path" ]; then mkdir -p "$stage/old$(dirname "$path")"; cp -p "$path" "$stage/old$path"; fi',
    '  mkdir -p "$(dirname "$path")"; tmp="$path.stage2-tmp"',
    '  cp "$stage/new$path" "$tmp"; chmod "${modes[$i]}" "$tmp"; chown "${owners[$i]}" "$tmp"; mv -f "$tmp" "$path"',
    "done",
    'say "changed ${#changed[@]} file(s): ${changed[*]}"',
    "activate() {",
    "  ensure || return",
    ...(manager === "systemd" && reload.length ? ['  since=$(date "+%Y-%m-%d %H:%M:%S")'] : []),
    // Called as an `if` condition, where bash ignores `set -e`: without `|| return` a failed step would be hidden by the next.
    ...(activate.length ? activate.map((c) => `  ${c} || return`) : ["  :"]),
    "}",
    'if ! out=$(activate 2>&1); then',
    '  for path in "${changed[@]}"; do',
    '    if [ -f "$stage/old$path" ]; then cp -p "$stage/old$path" "$path.stage2-tmp"; mv -f "$path.stage2-tmp" "$path"; else rm -f "$path"; fi',
    "  done",
    '  activate >/dev/null 2>&1 || true',
    '  fail "activation failed, previous files restored: $out"',
    "fi",
    '[ -z "$out" ] || printf "%s\\n" "$out"',
    'say "activated"',
  );
  return lines.join("\n") + "\n";
}
