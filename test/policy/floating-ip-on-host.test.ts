import * as assert from "assert";
import { foreignStack, GOOD_FILES, MASK_STARTER, of, stage2Stack } from "./helpers/stacks";

const POLICY = "floating-ip-on-host";
const IFACE = "/etc/network/interfaces.d/60-floating-ip";

describe(`policy ${POLICY}`, () => {
  it("passes a stage2 gateway: assigned, and configured /32 by the floating-ip concern", async () => {
    const v = await stage2Stack((gw) => (gw.floatingIp.id = 77));
    assert.deepStrictEqual(of(v, POLICY), []);
    // The IP is adopted (floatingIp.id): the engine shows policies its existing address, so nothing is left unknown.
    assert.deepStrictEqual(of(v, "values-unknown-at-preview"), []);
  });

  it("passes a foreign stack that assigns the IP and writes an ifupdown stanza for it", async () => {
    assert.deepStrictEqual(of(await foreignStack({ files: GOOD_FILES, extra: [MASK_STARTER], floatingIp: { assigned: true } }), POLICY), []);
  });

  it("fails a floating IP that is never assigned to a server", async () => {
    assert.deepStrictEqual(
      of(await foreignStack({ files: GOOD_FILES, extra: [MASK_STARTER], floatingIp: { assigned: false } }), POLICY).map((x) => [
        x.enforcementLevel,
        x.resource,
        x.message,
      ]),
      [
        [
          "mandatory",
          "vpn-fip",
          "the floating IP is not assigned to any server. Add an hcloud.FloatingIpAssignment with its floatingIpId and the gateway's serverId.",
        ],
      ],
    );
  });

  it("fails a floating IP the host never configures on an interface", async () => {
    const files = GOOD_FILES.filter((f) => f.path !== IFACE);
    assert.deepStrictEqual(
      of(await foreignStack({ files, extra: [MASK_STARTER], floatingIp: { assigned: true } }), POLICY).map((x) => [x.resource, x.message]),
      [
        [
          "vpn-fip",
          "no network configuration of 198.51.100.10 adds a /32 address for the floating IP, so the kernel drops IKE sent to it. Configure the floating IP /32 on the public interface persistently (e.g. /etc/network/interfaces.d/60-stage2-floating-ip).",
        ],
      ],
    );
  });

  it("accepts netplan and `ip addr add` forms of the same /32", async () => {
    const netplan = {
      path: "/etc/netplan/60-fip.yaml",
      content: "network:\n  version: 2\n  ethernets:\n    eth0:\n      addresses:\n        - 198.51.100.139/32\n",
    };
    const up = { path: IFACE, content: "iface eth0 inet dhcp\n    up ip addr add 198.51.100.139/32 dev eth0\n" };
    for (const extra of [netplan, up]) {
      const files = [...GOOD_FILES.filter((f) => f.path !== IFACE), extra];
      assert.deepStrictEqual(of(await foreignStack({ files, extra: [MASK_STARTER], floatingIp: { assigned: true } }), POLICY), [], extra.path);
    }
  });
});
