import { strict as assert } from "assert";
import { floatingIpHostConcern } from "../../components/floating-ip-host/concern";
import { renderFloatingIpHost } from "../../components/floating-ip-host/render";
import { FIXTURE_CONTEXT, fixtureGateway } from "../fixtures/gateway-renderers";

describe("floating IP host configuration", () => {
  it("renders a persistent /32 alias on the public interface for ifupdown", () => {
    assert.equal(
      renderFloatingIpHost(fixtureGateway(), FIXTURE_CONTEXT),
      [
        "# managed by stage2: do not edit, every apply overwrites it",
        "# The floating IP must sit on the public interface, or the kernel drops the IKE packets sent to it.",
        "auto eth0:1",
        "iface eth0:1 inet static",
        "\taddress 203.0.113.10/32",
      ].join("\n") + "\n",
    );
  });

  it("concern: no service restart; the address the file on disk names is added at once, any other on the label removed", () => {
    const c = floatingIpHostConcern(fixtureGateway(), FIXTURE_CONTEXT);
    assert.equal(c.name, "floating-ip");
    assert.deepEqual(c.packages, ["iproute2"]);
    assert.deepEqual(c.services, []);
    assert.deepEqual(
      c.files.map((f) => [f.path, f.mode, f.validate]),
      [["/etc/network/interfaces.d/60-stage2-floating-ip", "0644", 'if command -v ifquery >/dev/null; then ifquery -i "$STAGED" eth0:1 >/dev/null; fi']],
    );
    assert.deepEqual(c.activate, [
      `fip=$(awk '$1 == "address" { print $2 }' /etc/network/interfaces.d/60-stage2-floating-ip 2>/dev/null) || fip=""`,
      `if [ -n "$fip" ]; then ip -4 address replace "$fip" dev eth0 label eth0:1; fi`,
      `ip -4 -o address show dev eth0 label eth0:1 | awk -v keep="$fip" '$4 != keep { print $4 }' | while read -r old; do ip address del "$old" dev eth0; done`,
    ]);
  });

  it("rejects an address or interface that could add a stanza or a command", () => {
    assert.throws(() => renderFloatingIpHost(fixtureGateway(), { floatingIp: "203.0.113.10/32\nauto evil" }), /not an IPv4 address/);
    assert.throws(() => floatingIpHostConcern(fixtureGateway(), { floatingIp: "203.0.113.10; reboot" }), /not an IPv4 address/);
    const gw = fixtureGateway();
    gw.publicInterface = "eth0\niface x";
    assert.throws(() => renderFloatingIpHost(gw, FIXTURE_CONTEXT), /no room for the label|interface/);
    gw.publicInterface = "abcdefghijklmno";
    assert.throws(() => renderFloatingIpHost(gw, FIXTURE_CONTEXT), /no room for the label/);
  });
});
