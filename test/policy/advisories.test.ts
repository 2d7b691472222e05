import * as assert from "assert";
import { foreignStack, GOOD_FILES, mandatory, MASK_STARTER, stage2Stack, withFile } from "./helpers/stacks";
import { Violation } from "../../policy/runner";

const ADVISORY = ["weak-crypto", "start-action-start", "rw-without-dpd", "missing-mss-clamp", "legacy-starter-enabled"];
const advisories = (v: Violation[]) => v.filter((x) => ADVISORY.includes(x.policy)).map((x) => [x.policy, x.enforcementLevel, x.resource, x.message]);
const foreign = (files = GOOD_FILES, extra = [MASK_STARTER]) => foreignStack({ files, extra, floatingIp: { assigned: true } });
const swanctl = (change: (c: string) => string) => withFile("/etc/swanctl/swanctl.conf", change);

describe("advisory policies", () => {
  it("a stage2 gateway raises none of them", async () => {
    assert.deepStrictEqual(advisories(await stage2Stack()), []);
  });

  it("the good foreign stack raises none of them", async () => {
    assert.deepStrictEqual(advisories(await foreign()), []);
  });

  it("weak-crypto: 3DES, SHA1 and MODP1024 in a proposal", async () => {
    const v = await foreign(swanctl((c) => c.replace("proposals = aes256gcm16-prfsha384-ecp384", "proposals = 3des-sha1-modp1024, aes256-sha256-modp2048")));
    assert.deepStrictEqual(advisories(v), [
      [
        "weak-crypto",
        "advisory",
        "vpn-config",
        '/etc/swanctl/swanctl.conf: connection "home" proposals allow 3DES, SHA1, MODP1024. Use e.g. aes256gcm16-prfsha384-ecp384 (IKE) and aes256gcm16-ecp384 (ESP).',
      ],
    ]);
    assert.deepStrictEqual(mandatory(v), [], "advisory only: the stack still passes");
  });

  it("start-action-start: through the stage2 stack config", async () => {
    const v = await stage2Stack((gw) => (gw.ipsec!.sites![0].startAction = "start"));
    assert.deepStrictEqual(advisories(v), [
      [
        "start-action-start",
        "advisory",
        "gw-test-swanctl",
        '/etc/swanctl/swanctl.conf: connection "acme-hq" child "acme-hq" has start_action = start. Use start_action = trap (with dpd_action = trap, close_action = trap).',
      ],
    ]);
  });

  it("rw-without-dpd: a road warrior without dpd_delay", async () => {
    const v = await foreign(swanctl((c) => c.replace("        dpd_delay = 30s\n", "")));
    assert.deepStrictEqual(advisories(v), [
      [
        "rw-without-dpd",
        "advisory",
        "vpn-config",
        '/etc/swanctl/swanctl.conf: road-warrior connection "home" has no dead peer detection. Set dpd_delay = 30s (and dpd_action = clear in its children).',
      ],
    ]);
  });

  it("missing-mss-clamp: a ruleset without `tcp option maxseg size set`", async () => {
    const v = await foreign(
      withFile("/etc/nftables.conf", (c) => c.replace("        ip saddr 10.3.0.0/24 tcp flags syn / syn,rst tcp option maxseg size set 1360\n", "")),
    );
    assert.deepStrictEqual(advisories(v), [
      [
        "missing-mss-clamp",
        "advisory",
        "vpn-config",
        "/etc/nftables.conf: no rule clamps the TCP MSS for IPsec traffic. Add to the forward chain e.g. `ip saddr 10.3.0.0/24 tcp flags syn / syn,rst tcp option maxseg size set 1360` (public MTU − 100 − 40).",
      ],
    ]);
  });

  it("legacy-starter-enabled: swanctl configured but strongswan-starter never masked, and an ipsec.conf written", async () => {
    const v = await foreign([...GOOD_FILES, { path: "/etc/ipsec.conf", content: "conn home\n  auto=add\n" }], []);
    assert.deepStrictEqual(advisories(v), [
      [
        "legacy-starter-enabled",
        "advisory",
        "vpn-config",
        "/etc/ipsec.conf is the legacy starter's configuration; swanctl ignores it. Write /etc/swanctl/swanctl.conf instead.",
      ],
      [
        "legacy-starter-enabled",
        "advisory",
        "vpn-config",
        "198.51.100.10: no command masks strongswan-starter, which starts a second charon competing for UDP 500/4500. Run `systemctl mask --now strongswan-starter.service` (stage2's strongswan-install concern does).",
      ],
    ]);
    assert.deepStrictEqual(mandatory(v), []);
  });
});
