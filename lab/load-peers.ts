import { renderSettings, section, SettingsSection } from "../components/strongswan/settings";
import { PEER_HEADER, SitePeerSpec } from "./peers";

/**
 * The load lab's peers: one charon dialling many IKE_SAs, each connection its own identity, instead of a process
 * per client. The files go through the same settings serializer as the gateway's.
 */

/** One road warrior of many: its connection name in the client charon and its IKE identity. */
export interface LoadClient {
  readonly conn: string;
  readonly id: string;
  /** Gives up after this many attempts (default 0: dials until it gets through). */
  readonly keyingtries?: number;
}

/** What every load client shares: the gateway it dials, the class's PSK and proposals. */
export interface LoadClientClass {
  readonly floatingIp: string;
  readonly gatewayId: string;
  readonly ike: readonly string[];
  readonly esp: readonly string[];
}

/**
 * Always-on clients: keyingtries 0 keeps dialling a gateway that is away (a restart), close_action restart dials
 * again when the gateway deletes the SA. DPD every 30 s: hundreds of SAs probing every 2 s would be the load.
 */
const ALWAYS_ON = { dpd_delay: "30s", keyingtries: 0 } as const;
const CHILD_ALWAYS_ON = { dpd_action: "restart", close_action: "restart", start_action: "none" } as const;

/** Every client a connection of one charon; `secret` is the class's PSK, one secret entry per identity. */
export function renderLoadClientsSwanctl(cls: LoadClientClass, clients: readonly LoadClient[], secret: string): string {
  const connections: Record<string, SettingsSection> = {};
  const secrets: Record<string, SettingsSection> = {};
  for (const c of clients) {
    connections[c.conn] = section({
      version: 2,
      remote_addrs: cls.floatingIp,
      vips: "0.0.0.0",
      proposals: cls.ike,
      ...ALWAYS_ON,
      keyingtries: c.keyingtries ?? ALWAYS_ON.keyingtries,
      local: section({ auth: "psk", id: c.id }),
      remote: section({ auth: "psk", id: cls.gatewayId }),
      children: section({ [c.conn]: section({ remote_ts: ["0.0.0.0/0"], esp_proposals: cls.esp, ...CHILD_ALWAYS_ON }) }),
    });
    secrets[`ike-${c.conn}`] = section({ id: c.id, secret });
  }
  return renderSettings(section({ connections: section(connections), secrets: section(secrets) }), PEER_HEADER);
}

/** Many sites' peer gateways in one charon, each from its own address, each the mirror image of the gateway's connection. */
export function renderLoadSitesSwanctl(sites: readonly { readonly spec: SitePeerSpec; readonly psk: string }[]): string {
  const connections: Record<string, SettingsSection> = {};
  const secrets: Record<string, SettingsSection> = {};
  for (const { spec: s, psk } of sites) {
    connections[s.conn] = section({
      version: 2,
      local_addrs: s.localAddrs,
      remote_addrs: s.floatingIp,
      proposals: s.ike,
      ...ALWAYS_ON,
      local: section({ auth: "psk", id: s.localId }),
      remote: section({ auth: "psk", id: s.remoteId }),
      children: section({ [s.conn]: section({ local_ts: s.localTs, remote_ts: s.remoteTs, esp_proposals: s.esp, ...CHILD_ALWAYS_ON }) }),
    });
    secrets[`ike-${s.conn}`] = section({ "id-local": s.localId, "id-remote": s.remoteId, secret: psk });
  }
  return renderSettings(section({ connections: section(connections), secrets: section(secrets) }), PEER_HEADER);
}

/**
 * charon settings for a peer holding hundreds of SAs, after the lab peer's own (zz-stage2-lab.conf): a hashed
 * IKE_SA table (the default is one list), threads for the initiates that wait on one each, IKE logging at level 1.
 */
export function renderLoadPeerSettings(): string {
  return renderSettings(
    section({
      charon: section({
        ikesa_table_size: 1024,
        ikesa_table_segments: 16,
        threads: 48,
        filelog: section({ lab: section({ default: 1, ike: 1, knl: 1 }) }),
      }),
    }),
    PEER_HEADER,
  );
}
