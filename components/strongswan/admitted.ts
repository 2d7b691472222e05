import { GatewayModel } from "../model/gateway";
import { shq as shWord } from "../host/apply-script";

/**
 * Who may hold a road-warrior tunnel, as two files beside swanctl.conf, and the activation step that closes the
 * tunnels of everyone else. charon checks credentials only when a client connects: a removed EAP user, a removed
 * PSK identity or a revoked certificate keeps its live tunnel until something closes it.
 *
 * One line per fact, tab-separated (identities hold no tab):
 *   <connection> eap <EAP identity>       this EAP user may stay
 *   <connection> psk <IKE identity>       this PSK identity may stay
 *   <connection> revoked <IKE identity> <unix time>   a certificate tunnel of this identity established before then is closed
 * A connection with eap or psk lines keeps only those identities; a connection without lines is left alone.
 * The users' file belongs to the secrets' concern (adding a user touches nothing else), the revocations' to
 * swanctl.conf's (they come with the CRL).
 */
export const ADMITTED_FILE = "/etc/swanctl/stage2-admitted.tsv";
export const REVOKED_FILE = "/etc/swanctl/stage2-revoked.tsv";

const lines = (l: string[]): string => (l.length ? `${l.join("\n")}\n` : "");

export function renderAdmitted(gw: GatewayModel): string {
  return lines(
    gw.ipsec.roadWarriors.flatMap((rw) => {
      const c = rw.clients;
      if (c.kind === "eap-mschapv2") return c.users.map((u) => `${rw.name}\teap\t${u.id}`);
      return c.kind === "psk" ? c.ids.map((id) => `${rw.name}\tpsk\t${id}`) : [];
    }),
  );
}

export function renderRevoked(gw: GatewayModel): string {
  return lines(
    gw.ipsec.roadWarriors.flatMap((rw) =>
      rw.clients.kind === "pubkey" ? rw.clients.revoked.map((r) => `${rw.name}\trevoked\t${r.id}\t${Math.floor(Date.parse(r.at) / 1000)}`) : [],
    ),
  );
}

/** A gateway with road warriors gets the closing step in both swanctl concerns; it does nothing while neither file is there. */
export const closesTunnels = (gw: GatewayModel): boolean => gw.ipsec.roadWarriors.length > 0;

/**
 * Reads `swanctl --list-sas` (the readable form, where identities stand in single quotes; a model identity may
 * hold one, so an admitted identity is matched whole with index(), never cut out of the line) after the two files'
 * lines and a separator, and prints `<ike-id>\t<connection>\t<identity>\t<why>` for each established IKE_SA that must go.
 */
export const LIST_SEPARATOR = "-- swanctl --list-sas";

/**
 * Seconds after a revocation within which a tunnel still counts as established before it. swanctl reports "established
 * Ns ago" in whole seconds and the revocation time is kept to the second, so the two can disagree by up to 2 s; the
 * step errs towards closing (a name issued again within 2 s of its revocation dials once more), never towards
 * sparing a tunnel of the revoked certificate.
 */
export const REVOCATION_SLACK_S = 2;

export const SELECT_TO_CLOSE = String.raw`
BEGIN { FS = "\t" }
!listing && $0 == SEP { listing = 1; next }
!listing { k = $1 SUBSEP $2; n[k]++; id[k, n[k]] = $3; at[k, n[k]] = $4; has[$1] = has[$1] $2 " "; kept[k, $3] = 1; next }
function isRemote(x) { return index(remote, "  remote '" x "' @ ") == 1 }
# swanctl shows the EAP identity only where it differs from the IKE identity.
function isEap(x) { return eap ? index(remote " ", " EAP: '" x "' ") > 0 : isRemote(x) }
function decide(   i, k, ok, who) {
  if (uid == "" || !est) return
  eap = index(remote, " EAP: '") > 0
  who = remote
  if (eap) { sub(/^.* EAP: '/, "", who); sub(/' .*$|'$/, "", who) }
  else { sub(/^  remote '/, "", who); sub(/' @ [^ ]*$|' @ [^ ]* .*$/, "", who) }
  if (index(has[conn], "eap ")) {
    # The lookup settles the usual case; the scan only an identity the extraction could have cut (a quote in it).
    k = conn SUBSEP "eap"; ok = ((k, who) in kept) && isEap(who)
    for (i = 1; !ok && i <= n[k]; i++) if (isEap(id[k, i])) ok = 1
    if (!ok) print uid "\t" conn "\t" who "\tno longer an EAP user of " conn
  } else if (index(has[conn], "psk ")) {
    k = conn SUBSEP "psk"; ok = ((k, who) in kept) && isRemote(who)
    for (i = 1; !ok && i <= n[k]; i++) if (isRemote(id[k, i])) ok = 1
    if (!ok) print uid "\t" conn "\t" who "\tno longer a PSK identity of " conn
  }
  if (index(has[conn], "revoked ")) {
    k = conn SUBSEP "revoked"
    for (i = 1; i <= n[k]; i++)
      if (isRemote(id[k, i]) && now - ago <= at[k, i] + slack) {
        print uid "\t" conn "\t" id[k, i] "\tits certificate was revoked after this tunnel was established"
        break
      }
  }
}
/^[^ ].*: #[0-9]+, / { decide(); conn = $0; sub(/: #.*$/, "", conn); uid = $0; sub(/^.*: #/, "", uid); sub(/,.*$/, "", uid)
  est = index($0, ", ESTABLISHED,") > 0; remote = ""; ago = 0; next }
/^  remote '/ { remote = $0; next }
/^  established [0-9]+s ago/ { ago = $0; sub(/^  established /, "", ago); sub(/s ago.*$/, "", ago); next }
END { decide() }
`;

/** The activation step: lists the SAs, closes each that must go (charon tells the client), and says whom it closed. */
export const CLOSE_NOT_ADMITTED = [
  `if [ -s ${ADMITTED_FILE} ] || [ -s ${REVOKED_FILE} ]; then`,
  `  sas=$(swanctl --list-sas) || { echo "cannot list charon's SAs: the tunnels of removed or revoked users stay open" >&2; false; } || return`,
  `  { for f in ${ADMITTED_FILE} ${REVOKED_FILE}; do if [ -s "$f" ]; then cat "$f"; fi; done; echo ${shWord(LIST_SEPARATOR)}; printf '%s\\n' "$sas"; } |`,
  `  awk -v now="$(date +%s)" -v slack=${REVOCATION_SLACK_S} -v SEP=${shWord(LIST_SEPARATOR)} ${shWord(SELECT_TO_CLOSE.trim())} |`,
  `  while IFS=$'\\t' read -r sa conn who why; do`,
  `    swanctl --terminate --ike-id "$sa" --force --timeout 10 >/dev/null 2>&1 && echo "closed $conn IKE_SA #$sa ($who): $why" || echo "could not close $conn IKE_SA #$sa ($who): $why"`,
  "  done",
  "fi",
].join("\n");
