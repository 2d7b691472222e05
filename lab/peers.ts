import { renderSettings, section, SettingsSection } from "../components/strongswan/settings";
import { SWANCTL_PLUGINS } from "./charon-sandbox";
import { LabLayout, RoadWarriorPeer, SitePeer } from "./layout";
import { ClientAuth } from "./topology";

/**
 * Configuration of the lab's peers — the other ends stage2 does not manage: a road warrior, a site's
 * gateway, the kube-router node and a WireGuard client. The strongSwan files go through the same settings
 * serializer as the gateway's.
 */

export const PEER_HEADER = "# Managed by stage2 lab: a lab peer, not a stage2 host.";

/**
 * The peers behave like always-on clients: they re-initiate when the gateway goes silent (DPD) or deletes their
 * SAs (close_action), so a gateway restart costs an outage, not a manual reconnect.
 *
 * charon on a peer: userspace ESP, nothing the namespace lacks, and quick retransmits so a peer notices a
 * restarted gateway within seconds (clients' defaults wait minutes). Neither charon nor swanctl loads af-alg: on a
 * kernel with AF_ALG (the kernel lab's) it asks the kernel for each of its algorithms, some 270 module lookups the
 * first time, and swanctl, started for every check, loads only what it needs.
 */
export function renderPeerStrongswanConf(): string {
  return renderSettings(
    section({
      charon: section({
        retransmit_timeout: 1,
        retransmit_tries: 5,
        retransmit_base: 1.4,
        plugins: section({
          "kernel-libipsec": section({ load: true }),
          stroke: section({ load: false }),
          "bypass-lan": section({ load: false }),
          "af-alg": section({ load: false }),
        }),
        filelog: section({ lab: section({ path: "/var/log/charon.log", time_format: "%T", flush_line: true, default: 1, ike: 2, knl: 2 }) }),
      }),
      swanctl: section({ load: SWANCTL_PLUGINS }),
    }),
    PEER_HEADER,
  );
}

/** A certificate client's own certificate (in x509/). */
const CLIENT_CERT = "stage2-lab-client.pem";

/** A road-warrior client as the lab configures it. */
export interface ClientPeerSpec {
  readonly conn: string;
  readonly floatingIp: string;
  readonly auth: ClientAuth;
  readonly gatewayId: string;
  /** The gateway proves itself with a certificate (else with the PSK). */
  readonly gatewayCert: boolean;
  readonly ike: readonly string[];
  readonly esp: readonly string[];
  /** What the client asks for; the gateway narrows it to what the class offers. */
  readonly requestTs: readonly string[];
}

/** `secret` is the PSK or, for EAP-MSCHAPv2, the user's password; a certificate client has none. */
export function renderClientSwanctl(c: ClientPeerSpec, secret?: string): string {
  const a = c.auth;
  const local =
    a.kind === "eap-mschapv2"
      ? section({ auth: "eap-mschapv2", id: a.id, eap_id: a.id })
      : a.kind === "pubkey"
        ? section({ auth: "pubkey", id: a.id, certs: CLIENT_CERT })
        : section({ auth: "psk", id: a.id });
  const secrets =
    a.kind === "pubkey" || secret === undefined ? {} : { [`${a.kind === "eap-mschapv2" ? "eap" : "ike"}-${c.conn}`]: section({ id: a.id, secret }) };
  return renderSettings(
    section({
      connections: section({
        [c.conn]: section({
          version: 2,
          remote_addrs: c.floatingIp,
          vips: "0.0.0.0",
          proposals: c.ike,
          dpd_delay: "2s",
          // A certificate client sends its certificate unasked: the gateway may first pick another class on the same
          // identity (EAP) and only switches to the certificate class once it has verified the certificate.
          ...(a.kind === "pubkey" ? { send_cert: "always" } : {}),
          local,
          remote: section({ auth: c.gatewayCert ? "pubkey" : "psk", id: c.gatewayId }),
          children: section({
            [c.conn]: section({ remote_ts: c.requestTs, esp_proposals: c.esp, dpd_action: "restart", close_action: "restart", start_action: "none" }),
          }),
        }),
      }),
      ...(Object.keys(secrets).length ? { secrets: section(secrets) } : {}),
    }),
    PEER_HEADER,
  );
}

/** Where the lab adds to a client's profile: after the profile's own conf.d/stage2-secrets.conf. */
export const CLIENT_LAB_DROP_IN = "/etc/swanctl/conf.d/zz-stage2-lab.conf";

/**
 * What the lab adds to the Linux profile `stage2 clients` writes (swanctl merges it into the profile's connection):
 * an always-on client (DPD every 2 s, redial when the gateway deletes the SA) and a request for every destination,
 * so the checks see the gateway narrow it to what the class offers.
 */
export function renderClientLabDropIn(conn: string): string {
  return renderSettings(
    section({
      connections: section({
        [conn]: section({
          dpd_delay: "2s",
          children: section({ [conn]: section({ remote_ts: ["0.0.0.0/0"], close_action: "restart" }) }),
        }),
      }),
    }),
    PEER_HEADER,
  );
}

/** The single-gateway layout's road warrior (the kernel lab): asks for exactly the gateway's traffic selectors. */
export function renderRoadWarriorSwanctl(layout: LabLayout, secret: string): string {
  const rw: RoadWarriorPeer = layout.rw;
  return renderClientSwanctl(
    {
      conn: rw.conn,
      floatingIp: layout.addrs.floatingIp,
      auth: rw.auth,
      gatewayId: rw.gatewayId,
      gatewayCert: rw.auth.kind === "eap-mschapv2",
      ike: rw.ike,
      esp: rw.esp,
      requestTs: rw.remoteTs,
    },
    secret,
  );
}

/** A site's peer gateway, the mirror image of the gateway's connection. */
export interface SitePeerSpec {
  readonly conn: string;
  readonly localAddrs: readonly string[];
  readonly floatingIp: string;
  readonly localTs: readonly string[];
  readonly remoteTs: readonly string[];
  readonly localId: string;
  readonly remoteId: string;
  readonly ike: readonly string[];
  readonly esp: readonly string[];
}

export function renderSitePeerSwanctl(site: SitePeerSpec, psk: string): string {
  const child: Record<string, SettingsSection | string | readonly string[]> = {
    local_ts: site.localTs,
    remote_ts: site.remoteTs,
    esp_proposals: site.esp,
    dpd_action: "restart",
    close_action: "restart",
    start_action: "none",
  };
  return renderSettings(
    section({
      connections: section({
        [site.conn]: section({
          version: 2,
          local_addrs: site.localAddrs,
          remote_addrs: site.floatingIp,
          proposals: site.ike,
          dpd_delay: "2s",
          local: section({ auth: "psk", id: site.localId }),
          remote: section({ auth: "psk", id: site.remoteId }),
          children: section({ [site.conn]: section(child) }),
        }),
      }),
      secrets: section({ [`ike-${site.conn}`]: section({ "id-local": site.localId, "id-remote": site.remoteId, secret: psk }) }),
    }),
    PEER_HEADER,
  );
}

export function renderSiteSwanctl(layout: LabLayout, psk: string): string {
  const site = layout.site as SitePeer;
  return renderSitePeerSwanctl(
    {
      conn: site.conn,
      localAddrs: [layout.addrs.site as string],
      floatingIp: layout.addrs.floatingIp,
      localTs: site.localTs,
      remoteTs: site.remoteTs,
      localId: site.auth.localId,
      remoteId: site.auth.remoteId,
      ike: site.ike,
      esp: site.esp,
    },
    psk,
  );
}

/** gobgpd, kube-router's BGP speaker: a node's side of its sessions, one per gateway. */
export function renderNodeGobgpd(node: {
  readonly asn: number;
  readonly addr: string;
  readonly peers: readonly { readonly addr: string; readonly asn: number }[];
}): string {
  const q = (s: string | number) => (typeof s === "number" ? String(s) : JSON.stringify(s));
  return [
    "# Managed by stage2 lab: gobgpd on the kube-router node.",
    "[global.config]",
    `  as = ${q(node.asn)}`,
    `  router-id = ${q(node.addr)}`,
    ...node.peers.flatMap((p) => [
      "",
      "[[neighbors]]",
      "  [neighbors.config]",
      `    neighbor-address = ${q(p.addr)}`,
      `    peer-as = ${q(p.asn)}`,
      "  [neighbors.timers.config]",
      "    connect-retry = 1",
    ]),
    "",
  ].join("\n");
}

export function renderGobgpdConfig(layout: LabLayout): string {
  return renderNodeGobgpd({ asn: layout.bgp.nodeAsn, addr: layout.addrs.node, peers: [{ addr: layout.bgp.gatewayAddr, asn: layout.bgp.gatewayAsn }] });
}

/**
 * A shell function in front of the gobgp client: gobgp 3.10 gives gobgpd's API 1 s to answer ("context deadline
 * exceeded"), which a node among many on emulated CPUs can miss while gobgpd runs; that error is retried for 30 s.
 * Prepended to every lab script that calls gobgp; its output is stdout and stderr together.
 */
export const PATIENT_GOBGP = [
  "gobgp() {",
  "  local out rc t=$((SECONDS + 30))",
  "  while :; do",
  '    out=$(command gobgp "$@" 2>&1); rc=$?',
  '    [ $rc -ne 0 ] && [[ $out == *"context deadline exceeded"* ]] && [ $SECONDS -lt $t ] || break',
  "    sleep 0.1",
  "  done",
  "  printf '%s\\n' \"$out\"; return $rc",
  "}",
].join("\n");

/**
 * What kube-router does with the routes its gobgpd learns: put them in the kernel. gobgpd runs without zebra,
 * so a poller mirrors the best paths of the RIB into the main table (proto bgp) and removes withdrawn ones.
 */
export const ROUTE_POLLER = `#!/bin/bash
# Managed by stage2 lab: mirrors gobgpd's best paths into the kernel, like kube-router: on every change gobgpd
# reports (gobgp monitor), and every $1 s (default 30) in any case, for a route removed behind its back. The
# kernel is touched only when the RIB changed or a route did not go in (retried after 1 s): under emulation
# every command is costly, a gobgp client above all.
last=""; ok=1
mirror() {
  local rib want net via best _
  rib=$(gobgp global rib -a ipv4 2>/dev/null) || { ok=0; return; }
  want=""
  while read -r best net via _; do
    [ "$best" = "*>" ] && want+="$net $via"$'\\n'
  done <<< "$rib"
  [ "$want" != "$last" ] || { ok=1; return; }
  ok=1
  while read -r net via; do
    [ -z "$net" ] || ip route replace "$net" via "$via" proto bgp 2>/dev/null || ok=0
  done <<< "$want"
  while read -r net _; do
    case $net in */*) ;; *) net=$net/32 ;; esac
    [[ $'\\n'$want == *$'\\n'"$net "* ]] || ip route del "$net" proto bgp 2>/dev/null
  done < <(ip -4 route show proto bgp)
  [ $ok = 0 ] || last=$want
}
while :; do
  # Its first lines are the RIB as it stands once it listens (--current), then one a change; it ends with gobgpd.
  exec 3< <(exec gobgp monitor global rib -a ipv4 --current 2>/dev/null)
  mirror
  while :; do
    wait_s=\${1:-30}; [ $ok = 1 ] || wait_s=1
    if IFS= read -r -t "$wait_s" _ <&3; then
      # A burst of changes (a gateway's routes at once) makes one pass.
      while IFS= read -r -t 0.2 _ <&3; do :; done
      mirror
    elif [ $? -gt 128 ]; then
      last=""; mirror
    else
      break
    fi
  done
  exec 3<&-
  sleep 1
done
`;
