import { shq } from "../host/apply-script";
import { Concern, ServiceUnit } from "../host/types";
import { GatewayModel } from "../model/gateway";
import { renderCollector } from "./collector";
import {
  BIRD_EXPORTER_DEFAULTS,
  COLLECT_INTERVAL_S,
  COLLECTOR,
  COLLECTOR_UNIT,
  NODE_EXPORTER_DEFAULTS,
  renderBirdExporterDefaults,
  renderCollectorService,
  renderCollectorTimer,
  renderExporterDropIn,
  renderNodeExporterDefaults,
  STRONGSWAN_PROM,
} from "./render";

export const METRICS_PACKAGES = ["prometheus-node-exporter", "prometheus-bird-exporter"] as const;

/** The units the metrics concern runs (the kernel lab lets exactly these start in its VM). */
export const METRICS_UNITS = ["prometheus-node-exporter.service", "prometheus-bird-exporter.service", `${COLLECTOR_UNIT}.timer`] as const;

/**
 * Without a service manager (the namespace lab): a pid file under the host's private /run. `start` must exec: a forked
 * shell that does not keeps bash's saved copies of the apply script's descriptors (the SSH channel, the host's lock).
 */
function directDaemon(unit: string, start: string): ServiceUnit["direct"] {
  const pid = `/run/${unit}.pid`;
  const launch = `{ ${start} </dev/null >/dev/null 2>&1 & echo $! > ${pid}; }`;
  return {
    running: `kill -0 "$(cat ${pid})"`,
    start: launch,
    reload: `p=$(cat ${pid}) && kill "$p" && while kill -0 "$p" 2>/dev/null; do sleep 0.1; done; ${launch}`,
  };
}

/** An exporter run by Debian's unit, its ARGS read from /etc/default at start: a changed file restarts it. */
function exporter(unit: string, binary: string, defaults: string): ServiceUnit {
  return { unit, onChange: "restart", direct: directDaemon(unit, `( . ${defaults} && exec ${binary} $ARGS )`) };
}

/**
 * Prometheus metrics: Debian's node and BIRD exporters on the private address (the firewall admits the private
 * networks only), and strongSwan's facts as node-exporter textfile metrics written by a collector on a timer.
 * Files under /etc/systemd make the apply script run `systemctl daemon-reload` before it (re)starts the units.
 */
export function metricsConcern(gw: GatewayModel): Concern {
  const dropIn = renderExporterDropIn();
  return {
    name: "metrics",
    packages: [...METRICS_PACKAGES],
    files: [
      { path: NODE_EXPORTER_DEFAULTS, content: renderNodeExporterDefaults(gw), mode: "0644" },
      { path: BIRD_EXPORTER_DEFAULTS, content: renderBirdExporterDefaults(gw), mode: "0644" },
      { path: "/etc/systemd/system/prometheus-node-exporter.service.d/stage2.conf", content: dropIn, mode: "0644" },
      { path: "/etc/systemd/system/prometheus-bird-exporter.service.d/stage2.conf", content: dropIn, mode: "0644" },
      { path: COLLECTOR, content: renderCollector(), mode: "0755" },
      { path: `/etc/systemd/system/${COLLECTOR_UNIT}.service`, content: renderCollectorService(), mode: "0644" },
      { path: `/etc/systemd/system/${COLLECTOR_UNIT}.timer`, content: renderCollectorTimer(), mode: "0644" },
    ],
    services: [
      exporter("prometheus-node-exporter", "prometheus-node-exporter", NODE_EXPORTER_DEFAULTS),
      exporter("prometheus-bird-exporter", "prometheus-bird-exporter", BIRD_EXPORTER_DEFAULTS),
      {
        unit: `${COLLECTOR_UNIT}.timer`,
        onChange: "restart",
        direct: directDaemon(COLLECTOR_UNIT, `( exec bash -c ${shq(`while :; do ${COLLECTOR} ${STRONGSWAN_PROM}; sleep ${COLLECT_INTERVAL_S}; done`)} )`),
      },
    ],
  };
}
