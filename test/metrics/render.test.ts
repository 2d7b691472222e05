import * as assert from "assert";
import { renderApplyScript } from "../../components/host/apply-script";
import { parseGateway, GatewayModel } from "../../components/model/gateway";
import { metricsConcern } from "../../components/metrics/concern";
import { renderNftables } from "../../components/nftables/render";
import { fixtureGateway } from "../fixtures/gateway";

function gateway(patch: (g: ReturnType<typeof fixtureGateway>) => void = () => undefined): GatewayModel {
  const input = fixtureGateway();
  patch(input);
  const parsed = parseGateway(input);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return parsed.gateway;
}

const file = (gw: GatewayModel, path: string): string => {
  const f = metricsConcern(gw).files.find((x) => x.path === path);
  assert.ok(f, `no file ${path}`);
  return f.content;
};

describe("metrics concern: rendered files", () => {
  const gw = gateway();

  it("the exporters listen on the private address only, node-exporter reading the collector's directory", () => {
    assert.strictEqual(
      file(gw, "/etc/default/prometheus-node-exporter").split("\n")[2],
      'ARGS="--web.listen-address=10.0.0.2:9100 --collector.textfile.directory=/var/lib/prometheus/node-exporter"',
    );
    assert.strictEqual(
      file(gw, "/etc/default/prometheus-bird-exporter").split("\n")[2],
      'ARGS="-bird.v2 -bird.socket=/run/bird/bird.ctl -format.new -web.listen-address=10.0.0.2:9324"',
    );
    const v6 = gateway((g) => {
      g.private = { interface: "enp7s0", address: "fd00::2/64", networks: ["fd00::/64"] };
      delete g.bgp;
    });
    assert.match(file(v6, "/etc/default/prometheus-node-exporter"), /--web\.listen-address=\[fd00::2\]:9100 /);
  });

  it("the collector runs as a oneshot service every 30 s from a timer, writing node-exporter's textfile", () => {
    assert.deepStrictEqual(file(gw, "/etc/systemd/system/stage2-strongswan-metrics.service").split("\n").slice(1, 8), [
      "[Unit]",
      "Description=stage2: strongSwan's SAs, pools, certificates and errors as node-exporter textfile metrics",
      "After=strongswan.service",
      "",
      "[Service]",
      "Type=oneshot",
      "ExecStart=/etc/stage2/strongswan-metrics /var/lib/prometheus/node-exporter/stage2_strongswan.prom",
    ]);
    assert.deepStrictEqual(file(gw, "/etc/systemd/system/stage2-strongswan-metrics.timer").split("\n").slice(4, 11), [
      "[Timer]",
      "OnActiveSec=1s",
      "OnUnitActiveSec=30s",
      "AccuracySec=1s",
      "",
      "[Install]",
      "WantedBy=timers.target",
    ]);
  });

  it("packages, modes and services: exporters restart on a change, the timer too; the script is executable", () => {
    const c = metricsConcern(gw);
    assert.deepStrictEqual(c.packages, ["prometheus-node-exporter", "prometheus-bird-exporter"]);
    assert.deepStrictEqual(
      c.files.map((f) => [f.path, f.mode, f.secret ?? false]),
      [
        ["/etc/default/prometheus-node-exporter", "0644", false],
        ["/etc/default/prometheus-bird-exporter", "0644", false],
        ["/etc/systemd/system/prometheus-node-exporter.service.d/stage2.conf", "0644", false],
        ["/etc/systemd/system/prometheus-bird-exporter.service.d/stage2.conf", "0644", false],
        ["/etc/stage2/strongswan-metrics", "0755", false],
        ["/etc/systemd/system/stage2-strongswan-metrics.service", "0644", false],
        ["/etc/systemd/system/stage2-strongswan-metrics.timer", "0644", false],
      ],
    );
    assert.deepStrictEqual(
      c.services.map((s) => [s.unit, s.onChange]),
      [
        ["prometheus-node-exporter", "restart"],
        ["prometheus-bird-exporter", "restart"],
        ["stage2-strongswan-metrics.timer", "restart"],
      ],
    );
  });

  it("with systemd, unit files are re-read (daemon-reload) once, before the units start or restart; without, no systemctl at all", () => {
    const systemd = renderApplyScript(metricsConcern(gw), "systemd").split("\n");
    const at = (text: string) => systemd.findIndex((l) => l.trim().startsWith(text));
    assert.ok(at("systemctl daemon-reload") > 0);
    // Before the new timer unit's first start (ensure), which enables it without a reload of its own.
    assert.ok(at("systemctl daemon-reload") < at("ensure || return"));
    assert.ok(
      systemd.includes(
        "  systemctl is-enabled --quiet 'stage2-strongswan-metrics.timer' || systemctl enable --quiet --no-reload 'stage2-strongswan-metrics.timer'",
      ),
    );
    assert.equal(systemd.filter((l) => /systemctl (daemon-reload|enable(?! --quiet --no-reload))/.test(l)).length, 1, "one reload of systemd's units");
    assert.ok(at("systemctl daemon-reload") < at("systemctl restart 'prometheus-node-exporter'"));
    assert.ok(at("systemctl restart 'prometheus-node-exporter'") < at("systemctl restart 'stage2-strongswan-metrics.timer'"));
    const direct = renderApplyScript(metricsConcern(gw), "direct");
    assert.doesNotMatch(direct, /systemctl/);
    assert.match(direct, /prometheus-node-exporter \$ARGS \) <\/dev\/null >\/dev\/null 2>&1 & echo \$! > \/run\/prometheus-node-exporter\.pid/);
    // Each daemon execs: a forked shell would keep bash's saved copies of the SSH channel and the host's lock.
    assert.match(direct, /\( exec bash -c 'while :; do \/etc\/stage2\/strongswan-metrics \S+; sleep 30; done' \) <\/dev\/null >\/dev\/null 2>&1 &/);
  });
});

describe("metrics concern: the firewall", () => {
  const input = (gw: GatewayModel) =>
    renderNftables(gw, { floatingIp: "203.0.113.100" })
      .split("\n")
      .filter((l) => l.includes("metrics") || l.includes("dport 9100") || l.includes("9324"))
      .map((l) => l.trim());

  it("admits the exporters' ports from the private networks on the private interface, nothing else", () => {
    assert.deepStrictEqual(input(gateway()), ['iifname "enp7s0" ip saddr 10.0.0.0/16 tcp dport { 9100, 9324 } accept comment "stage2: metrics"']);
  });

  it("one rule per address family of the private networks", () => {
    const gw = gateway((g) => (g.private = { interface: "enp7s0", address: "10.0.0.2/16", networks: ["10.0.0.0/16", "10.244.0.0/16", "fd00::/64"] }));
    assert.deepStrictEqual(input(gw), [
      'iifname "enp7s0" ip saddr { 10.0.0.0/16, 10.244.0.0/16 } tcp dport { 9100, 9324 } accept comment "stage2: metrics"',
      'iifname "enp7s0" ip6 saddr fd00::/64 tcp dport { 9100, 9324 } accept comment "stage2: metrics"',
    ]);
  });
});
