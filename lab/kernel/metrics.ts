import { BIRD_EXPORTER_PORT, COLLECTOR_UNIT, NODE_EXPORTER_PORT } from "../../components/metrics/render";
import { METRICS_UNITS } from "../../components/metrics/concern";
import { LabHost } from "../host";
import { LabLayout, Role } from "../layout";
import { CheckResult } from "./checks";

/** One sample of a Prometheus text page: the metric's name, its labels, its value. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export function parseSamples(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split("\n")) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? "").matchAll(/([a-zA-Z_]+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    out.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return out;
}

/** What plain `swanctl --list-sas` says about one connection: its IKE SAs' states, its CHILD_SAs' counters by unique id. */
export interface ListedSas {
  readonly ikeStates: readonly string[];
  readonly children: ReadonlyMap<string, { bytesIn: number; packetsIn: number; bytesOut: number; packetsOut: number }>;
}

/** Reads the human form of `swanctl --list-sas` (not the --raw/--pretty dump the collector reads). */
export function listedSas(text: string, conn: string): ListedSas {
  const ikeStates: string[] = [];
  const children = new Map<string, { bytesIn: number; packetsIn: number; bytesOut: number; packetsOut: number }>();
  let inConn = false;
  let child: string | undefined;
  for (const line of text.split("\n")) {
    const ike = /^(\S+): #\d+, (\w+),/.exec(line);
    if (ike) {
      inConn = ike[1] === conn;
      if (inConn) ikeStates.push(ike[2]);
      child = undefined;
      continue;
    }
    if (!inConn) continue;
    const ch = /^\s+\S+: #(\d+), reqid \d+, INSTALLED,/.exec(line);
    if (ch) {
      child = ch[1];
      children.set(child, { bytesIn: 0, packetsIn: 0, bytesOut: 0, packetsOut: 0 });
      continue;
    }
    const traffic = /^\s+(in|out)\s+[0-9a-f]+[^,]*,\s+(\d+) bytes,\s+(\d+) packets/.exec(line);
    const c = child === undefined ? undefined : children.get(child);
    if (traffic && c) {
      if (traffic[1] === "in") Object.assign(c, { bytesIn: Number(traffic[2]), packetsIn: Number(traffic[3]) });
      else Object.assign(c, { bytesOut: Number(traffic[2]), packetsOut: Number(traffic[3]) });
    }
  }
  return { ikeStates, children };
}

async function run(host: LabHost, script: string): Promise<{ code: number; out: string }> {
  const res = await host.exec(script, { timeoutMs: 60_000 });
  return { code: res.code, out: res.stdout + res.stderr };
}

/**
 * The metrics concern in the kernel lab: the units run under systemd; node sees both exporters on the gateway's private
 * address; from the internet side nothing answers, not even the private address routed over the public interface (the
 * firewall drops it: curl times out); the strongSwan textfile metrics node-exporter serves equal `swanctl --list-sas`.
 */
export async function metricsChecks(layout: LabLayout, hosts: ReadonlyMap<Role, LabHost>): Promise<CheckResult[]> {
  const host = (role: Role): LabHost => {
    const h = hosts.get(role);
    if (!h) throw new Error(`no ${role} host`);
    return h;
  };
  const gw = host("gw");
  const results: CheckResult[] = [];
  const add = (name: string, ok: boolean, evidence: string): void => void results.push({ name, ok, evidence: evidence.trim() });
  const priv = layout.addrs.gwPrivate;

  const units = await run(gw, `systemctl is-active ${METRICS_UNITS.join(" ")}; systemctl start ${COLLECTOR_UNIT}.service && echo collected`);
  const states = units.out.split("\n").slice(0, METRICS_UNITS.length);
  add(
    "gw: metrics units active under systemd",
    states.every((s) => s === "active") && units.out.includes("collected"),
    `${METRICS_UNITS.join(" ")}: ${states.join(" ")}`,
  );

  const scrape = (port: number) => `curl -sS --max-time 10 http://${priv}:${port}/metrics`;
  const node = await run(host("node"), `${scrape(NODE_EXPORTER_PORT)}; echo; echo ==== ; ${scrape(BIRD_EXPORTER_PORT)}`);
  const listed = await run(gw, "swanctl --list-sas");
  const [nodePage, birdPage = ""] = node.out.split("\n====\n");
  const nodeSamples = parseSamples(nodePage);
  const birdSamples = parseSamples(birdPage);
  const textfileOk = nodeSamples.some((s) => s.name === "node_textfile_scrape_error" && s.value === 0);
  const bgpUp = birdSamples.filter((s) => s.name === "bird_protocol_up" && s.labels.proto === "BGP");
  add(
    "node scrapes both exporters on the gateway's private address",
    textfileOk && bgpUp.length > 0 && bgpUp.every((s) => s.value === 1),
    `node-exporter: ${nodeSamples.length} samples, textfile error ${textfileOk ? 0 : "?"}; bird-exporter BGP up: ${bgpUp.map((s) => `${s.labels.name}=${s.value}`).join(", ") || "none"}`,
  );

  const internet = host("internet");
  const probes = [
    { what: `${layout.addrs.gwPublic}:${NODE_EXPORTER_PORT}`, url: `http://${layout.addrs.gwPublic}:${NODE_EXPORTER_PORT}/metrics` },
    { what: `${layout.addrs.floatingIp}:${BIRD_EXPORTER_PORT}`, url: `http://${layout.addrs.floatingIp}:${BIRD_EXPORTER_PORT}/metrics` },
    { what: `${priv}:${NODE_EXPORTER_PORT} routed over the public interface`, url: `http://${priv}:${NODE_EXPORTER_PORT}/metrics` },
    { what: `${priv}:${BIRD_EXPORTER_PORT} routed over the public interface`, url: `http://${priv}:${BIRD_EXPORTER_PORT}/metrics` },
  ];
  const outside = await run(
    internet,
    [
      `ip route replace ${priv}/32 via ${layout.addrs.gwPublic} dev to-gw`,
      ...probes.map((p) => `curl -s -o /dev/null --max-time 3 ${p.url}; echo "curl exit $?"`),
      `ip route del ${priv}/32`,
    ].join("; "),
  );
  const exits = [...outside.out.matchAll(/curl exit (\d+)/g)].map((m) => Number(m[1]));
  add(
    "the exporters do not answer from the public side (dropped: curl times out)",
    exits.length === probes.length && exits.every((e) => e === 28),
    probes.map((p, i) => `${p.what}: curl exit ${exits[i] ?? "?"}`).join("; "),
  );

  const conn = layout.rw.conn;
  const sas = listedSas(listed.out, conn);
  const mine = nodeSamples.filter((s) => s.name.startsWith("stage2_strongswan_") && s.labels.conn === conn);
  const established = mine.find((s) => s.name === "stage2_strongswan_ike_sas" && s.labels.state === "ESTABLISHED")?.value;
  const counters = (id: string) => {
    const v = (name: string) => mine.find((s) => s.name === `stage2_strongswan_child_sa_${name}_total` && s.labels.child_id === id)?.value;
    return { bytesIn: v("in_bytes"), packetsIn: v("in_packets"), bytesOut: v("out_bytes"), packetsOut: v("out_packets") };
  };
  const listedEst = sas.ikeStates.filter((s) => s === "ESTABLISHED").length;
  const childIds = mine.filter((s) => s.name === "stage2_strongswan_child_sa_in_bytes_total").map((s) => s.labels.child_id);
  const same =
    established === listedEst &&
    listedEst > 0 &&
    sas.children.size > 0 &&
    childIds.length === sas.children.size &&
    [...sas.children].every(([id, c]) => JSON.stringify(counters(id)) === JSON.stringify(c) && c.packetsIn > 0);
  add(
    `the strongSwan metrics node-exporter serves equal swanctl --list-sas for the road warrior (${conn})`,
    same,
    `metrics: ESTABLISHED ${established ?? "none"}, ${childIds.map((id) => `child #${id} ${JSON.stringify(counters(id))}`).join("; ")} | swanctl: ESTABLISHED ${listedEst}, ${[
      ...sas.children,
    ]
      .map(([id, c]) => `child #${id} ${JSON.stringify(c)}`)
      .join("; ")}`,
  );
  const journal = ["stage2_strongswan_last_error_timestamp_seconds", "stage2_strongswan_errors_total"].every((n) => nodeSamples.some((s) => s.name === n));
  add("gw: charon's errors read from the journal (last error time, count)", journal, journal ? "both present" : "missing from node-exporter's page");
  return results;
}
