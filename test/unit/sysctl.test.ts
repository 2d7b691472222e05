import { strict as assert } from "assert";
import { SYSCTL_VALIDATE, sysctlConcern } from "../../components/sysctl/concern";
import { renderSysctl } from "../../components/sysctl/render";
import { FIXTURE_CONTEXT, fixtureModel, fixtureGateway, gatewayFrom } from "../fixtures/gateway";

const IPV4_ONLY = [
  "# managed by stage2: do not edit, every apply overwrites it",
  "# Route between the tunnels (IPsec, WireGuard) and the private network.",
  "net.ipv4.ip_forward = 1",
  "# Never send ICMP redirects: a tunnelled client cannot take the shorter path they advertise.",
  "net.ipv4.conf.all.send_redirects = 0",
  "# The same for interfaces created later (wg0, ipsec0).",
  "net.ipv4.conf.default.send_redirects = 0",
  "# Never obey redirects: a forged one could steer tunnel traffic around the firewall.",
  "net.ipv4.conf.all.accept_redirects = 0",
  "# The same for interfaces created later.",
  "net.ipv4.conf.default.accept_redirects = 0",
  "# Loose reverse-path filter: replies to tunnel clients follow strongSwan's table 220 and decrypted packets arrive where no main-table route points back, which the strict filter (1) drops; the kernel uses max(all, interface).",
  "net.ipv4.conf.all.rp_filter = 2",
  "# The same for interfaces created later.",
  "net.ipv4.conf.default.rp_filter = 2",
  "# Keep path MTU discovery on: ESP and WireGuard shrink the path MTU and senders must learn it.",
  "net.ipv4.ip_no_pmtu_disc = 0",
];

describe("sysctl renderer", () => {
  it("renders IPv4 forwarding and the IPsec settings, each under the line that says why", () => {
    assert.equal(renderSysctl(fixtureModel("xfrm"), FIXTURE_CONTEXT), IPV4_ONLY.join("\n") + "\n");
    assert.equal(renderSysctl(fixtureModel("libipsec"), FIXTURE_CONTEXT), IPV4_ONLY.join("\n") + "\n");
  });

  it("adds IPv6 forwarding and redirect settings only when the gateway uses IPv6", () => {
    const input = fixtureGateway();
    input.wireguard.peers![0].allowedIps = ["10.8.0.2/32", "fd00:8::2/128"];
    const keys = renderSysctl(gatewayFrom(input), FIXTURE_CONTEXT)
      .split("\n")
      .filter((l) => l.startsWith("net.ipv6"));
    assert.deepEqual(keys, ["net.ipv6.conf.all.forwarding = 1", "net.ipv6.conf.all.accept_redirects = 0", "net.ipv6.conf.default.accept_redirects = 0"]);
  });

  it("is deterministic and only sets net.* keys (which exist per network namespace)", () => {
    const a = renderSysctl(fixtureModel(), FIXTURE_CONTEXT);
    assert.equal(renderSysctl(fixtureModel(), FIXTURE_CONTEXT), a);
    const keys = a.split("\n").filter((l) => l && !l.startsWith("#"));
    assert.ok(
      keys.every((l) => /^net\.[a-z0-9_.]+ = \d$/.test(l)),
      keys.join("\n"),
    );
  });

  it("concern: no service; validated key by key; activated with sysctl -p", () => {
    const c = sysctlConcern(fixtureModel(), FIXTURE_CONTEXT);
    assert.equal(c.name, "sysctl");
    assert.deepEqual(c.packages, ["procps"]);
    assert.deepEqual(c.services, []);
    assert.deepEqual(
      c.files.map((f) => [f.path, f.mode, f.validate]),
      [["/etc/sysctl.d/60-stage2.conf", "0644", SYSCTL_VALIDATE]],
    );
    assert.deepEqual(c.activate, ["sysctl -q -p /etc/sysctl.d/60-stage2.conf"]);
  });
});
