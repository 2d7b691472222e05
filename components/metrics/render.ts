import { GatewayModel } from "../model/gateway";
import { addressOf, isIP, isIPv6 } from "../model/net";

/** Debian's prometheus-node-exporter and prometheus-bird-exporter listen on these ports (their defaults). */
export const NODE_EXPORTER_PORT = 9100;
export const BIRD_EXPORTER_PORT = 9324;
/** The exporters' ports, as the firewall admits them from the private networks. */
export const METRICS_PORTS = [NODE_EXPORTER_PORT, BIRD_EXPORTER_PORT] as const;

export const NODE_EXPORTER_DEFAULTS = "/etc/default/prometheus-node-exporter";
export const BIRD_EXPORTER_DEFAULTS = "/etc/default/prometheus-bird-exporter";
/** node-exporter's textfile collector reads every *.prom file here (Debian's directory, named explicitly). */
export const TEXTFILE_DIR = "/var/lib/prometheus/node-exporter";
export const STRONGSWAN_PROM = `${TEXTFILE_DIR}/stage2_strongswan.prom`;
/** Under /etc, not /usr/local: the namespace lab gives its hosts a private /etc and /var only. */
export const COLLECTOR = "/etc/stage2/strongswan-metrics";
export const COLLECTOR_UNIT = "stage2-strongswan-metrics";
/** The collector's own state (the journal cursor, the last error seen): not under /var/lib/stage2, the converge's. */
export const COLLECTOR_STATE = "/var/lib/stage2-strongswan-metrics";
/** Seconds between two runs of the collector. */
export const COLLECT_INTERVAL_S = 30;
const BIRD_SOCKET = "/run/bird/bird.ctl";

const HEADER = "# managed by stage2: do not edit, every apply overwrites it";

/** Where the exporters listen: the gateway's private address only, never a wildcard. */
export function listenAddress(gw: GatewayModel, port: number): string {
  const addr = addressOf(gw.private.address);
  if (!isIP(addr)) throw new Error(`metrics: private address ${JSON.stringify(gw.private.address)} is not an IP address`);
  return isIPv6(addr) ? `[${addr}]:${port}` : `${addr}:${port}`;
}

/** /etc/default/prometheus-node-exporter: the unit's EnvironmentFile (ARGS), read at start, so a change restarts it. */
export function renderNodeExporterDefaults(gw: GatewayModel): string {
  const args = [`--web.listen-address=${listenAddress(gw, NODE_EXPORTER_PORT)}`, `--collector.textfile.directory=${TEXTFILE_DIR}`];
  return [HEADER, "# Listens on the private address only; the firewall admits the private networks only.", `ARGS="${args.join(" ")}"`, ""].join("\n");
}

/** /etc/default/prometheus-bird-exporter: BIRD 2's protocols (-bird.v2), the new metric format. */
export function renderBirdExporterDefaults(gw: GatewayModel): string {
  const args = ["-bird.v2", `-bird.socket=${BIRD_SOCKET}`, "-format.new", `-web.listen-address=${listenAddress(gw, BIRD_EXPORTER_PORT)}`];
  return [HEADER, "# Listens on the private address only; the firewall admits the private networks only.", `ARGS="${args.join(" ")}"`, ""].join("\n");
}

/**
 * A drop-in for both exporters: the private address may come up after multi-user.target starts them (Hetzner's
 * private network is configured by DHCP), so bind failures are retried every 5 s instead of hitting the start limit.
 */
export function renderExporterDropIn(): string {
  return [HEADER, "[Unit]", "Wants=network-online.target", "After=network-online.target", "StartLimitIntervalSec=0", "", "[Service]", "RestartSec=5s", ""].join(
    "\n",
  );
}

/** The collector's oneshot service: root, because VICI's socket and the journal are root's. */
export function renderCollectorService(): string {
  return [
    HEADER,
    "[Unit]",
    "Description=stage2: strongSwan's SAs, pools, certificates and errors as node-exporter textfile metrics",
    "After=strongswan.service",
    "",
    "[Service]",
    "Type=oneshot",
    `ExecStart=${COLLECTOR} ${STRONGSWAN_PROM}`,
    "Nice=10",
    "NoNewPrivileges=yes",
    "PrivateTmp=yes",
    "ProtectHome=yes",
    "",
  ].join("\n");
}

/** Runs the collector a second after the timer starts, then every COLLECT_INTERVAL_S. */
export function renderCollectorTimer(): string {
  return [
    HEADER,
    "[Unit]",
    `Description=stage2: collect strongSwan metrics every ${COLLECT_INTERVAL_S} s`,
    "",
    "[Timer]",
    "OnActiveSec=1s",
    `OnUnitActiveSec=${COLLECT_INTERVAL_S}s`,
    "AccuracySec=1s",
    "",
    "[Install]",
    "WantedBy=timers.target",
    "",
  ].join("\n");
}
