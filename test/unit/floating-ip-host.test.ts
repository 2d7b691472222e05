import { strict as assert } from "assert";
import { floatingIpHostConcern } from "../../components/floating-ip-host/concern";
import { renderFloatingIpHost } from "../../components/floating-ip-host/render";
import { FIXTURE_CONTEXT, fixtureModel } from "../fixtures/gateway";

describe("floating IP host configuration", () => {
  it("renders a persistent /32 alias on the public interface for ifupdown", () => {
    assert.equal(
      renderFloatingIpHost(fixtureModel(), FIXTURE_CONTEXT),
      [
        "# managed by stage2: do not edit, every apply overwrites it",
        "# The floating IP must sit on the public interface, or the kernel drops the IKE packets sent to it.",
        "auto eth0:1",
        "iface eth0:1 inet static",
        "\taddress 203.0.113.100/32",
      ].join("\n") + "\n",
    );
  });

  it("concern: no service restart; the address the file on disk names is added at once on its label, any other on a label it used removed", () => {
    const c = floatingIpHostConcern(fixtureModel(), FIXTURE_CONTEXT);
    assert.equal(c.name, "floating-ip");
    assert.deepEqual(c.packages, ["iproute2"]);
    assert.deepEqual(c.services, []);
    assert.deepEqual(
      c.files.map((f) => [f.path, f.mode, f.validate]),
      [["/etc/network/interfaces.d/60-stage2-floating-ip", "0644", 'if command -v ifquery >/dev/null; then ifquery -i "$STAGED" eth0:1 >/dev/null; fi']],
    );
    const rec = "/var/lib/stage2/floating-ip/labels";
    assert.deepEqual(c.prepare, [
      `l=$(awk '$1 == "iface" { print $2; exit }' /etc/network/interfaces.d/60-stage2-floating-ip 2>/dev/null) || l=""; [ -z "$l" ] || grep -qxF "$l" ${rec} 2>/dev/null || printf '%s\\n' "$l" >> ${rec}`,
    ]);
    // The interface and label come from the file on disk too: a rollback re-activates the previous file's.
    assert.match(c.activate![1], /ip -4 address replace "\$fip" dev "\$\{label%%:\*\}" label "\$label"/);
    assert.doesNotMatch(c.activate!.join("\n"), /eth0/);
  });

  it("rejects an address or interface that could add a stanza or a command", () => {
    assert.throws(() => renderFloatingIpHost(fixtureModel(), { floatingIp: "203.0.113.100/32\nauto evil" }), /not an IPv4 address/);
    assert.throws(() => floatingIpHostConcern(fixtureModel(), { floatingIp: "203.0.113.100; reboot" }), /not an IPv4 address/);
    const gw = fixtureModel();
    gw.publicInterface = "eth0\niface x";
    assert.throws(() => renderFloatingIpHost(gw, FIXTURE_CONTEXT), /no room for the label|interface/);
    gw.publicInterface = "abcdefghijklmno";
    assert.throws(() => renderFloatingIpHost(gw, FIXTURE_CONTEXT), /no room for the label/);
  });
});
