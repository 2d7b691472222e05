import * as assert from "assert";
import { foreignStack, GOOD_FILES, MASK_STARTER, mandatory, of, stage2Stack, withFile } from "./helpers/stacks";

const POLICY = "ipsec-binds-floating-ip";
const swanctl = (change: (c: string) => string) => withFile("/etc/swanctl/swanctl.conf", change);

describe(`policy ${POLICY}`, () => {
  it("passes a stage2 gateway: every connection binds the floating IP", async () => {
    const v = await stage2Stack();
    assert.deepStrictEqual(of(v, POLICY), []);
    assert.deepStrictEqual(mandatory(v), []);
  });

  it("passes a foreign stack whose hand-written swanctl.conf binds the floating IP", async () => {
    assert.deepStrictEqual(mandatory(await foreignStack({ files: GOOD_FILES, extra: [MASK_STARTER], floatingIp: { assigned: true } })), []);
  });

  it("fails the notes' mistake: local_addrs fixed to an address the host does not have (.39 instead of .139)", async () => {
    const v = await foreignStack({
      files: swanctl((c) => c.replace("local_addrs = 198.51.100.139", "local_addrs = 198.51.100.39")),
      extra: [MASK_STARTER],
      floatingIp: { assigned: true },
    });
    assert.deepStrictEqual(
      of(v, POLICY).map((x) => [x.enforcementLevel, x.resource, x.message]),
      [
        [
          "mandatory",
          "vpn-config",
          '/etc/swanctl/swanctl.conf: connection "home": local_addrs 198.51.100.39 is not an address this host has (it has 198.51.100.10, 198.51.100.139), ' +
            'so charon cannot send from it ("Network is unreachable"). Set local_addrs = 198.51.100.139, the floating IP configured on the host\'s interface.',
        ],
      ],
    );
  });

  it("fails local_addrs set to the WireGuard address", async () => {
    const v = await foreignStack({
      files: swanctl((c) => c.replace("local_addrs = 198.51.100.139", "local_addrs = 10.8.0.1")),
      extra: [MASK_STARTER],
      floatingIp: { assigned: true },
    });
    assert.deepStrictEqual(
      of(v, POLICY).map((x) => x.message),
      [
        '/etc/swanctl/swanctl.conf: connection "home": local_addrs 10.8.0.1 is inside the WireGuard subnet 10.8.0.1/24 (wg0): IKE would be offered over WireGuard. Set local_addrs = 198.51.100.139.',
      ],
    );
  });

  it("fails local_addrs left out (%any) on a gateway with a floating IP", async () => {
    const v = await foreignStack({
      files: swanctl((c) => c.replace("        local_addrs = 198.51.100.139\n", "")),
      extra: [MASK_STARTER],
      floatingIp: { assigned: true },
    });
    assert.deepStrictEqual(
      of(v, POLICY).map((x) => x.message),
      [
        '/etc/swanctl/swanctl.conf: connection "home": local_addrs is not set (%any), so charon accepts IKE on every address of the host, the WireGuard interface included. Set local_addrs = 198.51.100.139.',
      ],
    );
  });

  it("fails the server's primary address: an address of the host, but not the floating IP", async () => {
    const v = await foreignStack({
      files: swanctl((c) => c.replace("local_addrs = 198.51.100.139", "local_addrs = 198.51.100.10")),
      extra: [MASK_STARTER],
      floatingIp: { assigned: true },
    });
    assert.deepStrictEqual(
      of(v, POLICY).map((x) => x.message),
      [
        '/etc/swanctl/swanctl.conf: connection "home": local_addrs 198.51.100.10 is an address of this host but not its floating IP. Set local_addrs = 198.51.100.139, the floating IP configured on the host\'s interface.',
      ],
    );
  });
});
