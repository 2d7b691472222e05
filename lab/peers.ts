import { renderSettings, section, SettingsSection } from "../components/strongswan/settings";
import { LabLayout, RoadWarriorPeer, SitePeer } from "./layout";

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
 * restarted gateway within seconds (clients' defaults wait minutes).
 */
export function renderPeerStrongswanConf(): string {
  return renderSettings(
    section({
      charon: section({
        retransmit_timeout: 1,
        retransmit_tries: 3,
        retransmit_base: 1.4,
        plugins: section({
          "kernel-libipsec": section({ load: true }),
          stroke: section({ load: false }),
          "bypass-lan": section({ load: false }),
        }),
        filelog: section({ lab: section({ path: "/var/log/charon.log", time_format: "%T", flush_line: true, default: 1, ike: 2, knl: 2 }) }),
      }),
    }),
    PEER_HEADER,
  );
}

/** Where a lab peer keeps the CA that signed the gateway's certificate (swanctl loads x509ca/ as trust anchors). */
export const PEER_CA_FILE = "/etc/swanctl/x509ca/stage2-lab-ca.pem";

/** `secret` is the PSK or, for EAP-MSCHAPv2, the user's password. */
export function renderRoadWarriorSwanctl(layout: LabLayout, secret: string): string {
  const rw: RoadWarriorPeer = layout.rw;
  const eap = rw.auth.kind === "eap-mschapv2";
  return renderSettings(
    section({
      connections: section({
        [rw.conn]: section({
          version: 2,
          remote_addrs: layout.addrs.floatingIp,
          vips: "0.0.0.0",
          proposals: rw.ike,
          dpd_delay: "2s",
          local: eap ? section({ auth: "eap-mschapv2", id: rw.auth.id, eap_id: rw.auth.id }) : section({ auth: "psk", id: rw.auth.id }),
          remote: section({ auth: eap ? "pubkey" : "psk", id: rw.gatewayId }),
          children: section({
            [rw.conn]: section({ remote_ts: rw.remoteTs, esp_proposals: rw.esp, dpd_action: "restart", close_action: "restart", start_action: "none" }),
          }),
        }),
      }),
      secrets: section({ [`${eap ? "eap" : "ike"}-${rw.conn}`]: section({ id: rw.auth.id, secret }) }),
    }),
    PEER_HEADER,
  );
}

export function renderSiteSwanctl(layout: LabLayout, psk: string): string {
  const site = layout.site as SitePeer;
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
          local_addrs: layout.addrs.site as string,
          remote_addrs: layout.addrs.floatingIp,
          proposals: site.ike,
          dpd_delay: "2s",
          local: section({ auth: "psk", id: site.auth.localId }),
          remote: section({ auth: "psk", id: site.auth.remoteId }),
          children: section({ [site.conn]: section(child) }),
        }),
      }),
      secrets: section({ [`ike-${site.conn}`]: section({ "id-local": site.auth.localId, "id-remote": site.auth.remoteId, secret: psk }) }),
    }),
    PEER_HEADER,
  );
}

/** gobgpd, kube-router's BGP speaker: the node's side of the session. */
export function renderGobgpdConfig(layout: LabLayout): string {
  const q = (s: string | number) => (typeof s === "number" ? String(s) : JSON.stringify(s));
  return [
    "# Managed by stage2 lab: gobgpd on the kube-router node.",
    "[global.config]",
    `  as = ${q(layout.bgp.nodeAsn)}`,
    `  router-id = ${q(layout.addrs.node)}`,
    "",
    "[[neighbors]]",
    "  [neighbors.config]",
    `    neighbor-address = ${q(layout.bgp.gatewayAddr)}`,
    `    peer-as = ${q(layout.bgp.gatewayAsn)}`,
    "  [neighbors.timers.config]",
    "    connect-retry = 1",
    "",
  ].join("\n");
}

/**
 * What kube-router does with the routes its gobgpd learns: put them in the kernel. gobgpd runs without zebra,
 * so a poller mirrors the best paths of the RIB into the main table (proto bgp) and removes withdrawn ones.
 */
export const ROUTE_POLLER = `#!/bin/bash
# Managed by stage2 lab: mirrors gobgpd's best paths into the kernel, like kube-router.
while :; do
  want=$(gobgp global rib -a ipv4 2>/dev/null | awk '$1 == "*>" { print $2 " " $3 }')
  while read -r net via; do
    [ -n "$net" ] && ip route replace "$net" via "$via" proto bgp 2>/dev/null
  done <<< "$want"
  ip -4 route show proto bgp | while read -r net _; do
    case $net in */*) ;; *) net=$net/32 ;; esac
    grep -qF "$net " <<< "$want" || ip route del "$net" proto bgp 2>/dev/null
  done
  sleep 0.3
done
`;
