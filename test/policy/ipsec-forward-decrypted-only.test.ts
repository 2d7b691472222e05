import * as assert from "assert";
import { ForeignFile, foreignStack, MASK_STARTER, of, rows, stage2Stack, withFile } from "./helpers/stacks";

const POLICY = "ipsec-forward-decrypted-only";
const GOOD_RULE = "meta secpath exists iifname $wan ip saddr 10.3.0.0/24 oifname $wan ct state new counter accept";
const forwardRule = (rule: string) => withFile("/etc/nftables.conf", (c) => c.replace(GOOD_RULE, rule));
const messages = async (files: readonly ForeignFile[]) => rows(await foreignStack({ files, extra: [MASK_STARTER], floatingIp: { assigned: true } }), POLICY);

describe(`policy ${POLICY}`, () => {
  it("passes a stage2 gateway with the kernel dataplane (meta ipsec exists)", async () => {
    assert.deepStrictEqual(of(await stage2Stack(), POLICY), []);
  });

  it('passes a stage2 gateway with the libipsec dataplane (iifname "ipsec0")', async () => {
    assert.deepStrictEqual(of(await stage2Stack((gw) => ((gw.ipsec ??= {}).dataplane = "libipsec")), POLICY), []);
  });

  it("passes the notes' corrected rule: `meta secpath exists` (which nft prints back as `meta ipsec exists`)", async () => {
    assert.deepStrictEqual(await messages(forwardRule(GOOD_RULE)), []);
    assert.deepStrictEqual(await messages(forwardRule(GOOD_RULE.replace("secpath", "ipsec"))), []);
  });

  it("fails the notes' quick fix: forwarding IPsec clients with a source-subnet-only accept", async () => {
    assert.deepStrictEqual(await messages(forwardRule("iifname $wan ip saddr 10.3.0.0/24 oifname $wan ct state new counter accept")), [
      [
        "mandatory",
        "vpn-config",
        '/etc/nftables.conf: forward rule "iifname eth0 ip saddr 10.3.0.0/24 oifname eth0 ct state new counter accept" accepts traffic from pool "home-pool" (10.3.0.0/24) ' +
          "by source address alone, so a packet with that source is forwarded even if it never came through IPsec. " +
          'Add `meta ipsec exists` to the rule (`iifname "ipsec0"` with the libipsec dataplane).',
      ],
    ]);
  });

  it("fails a source-only accept for a wider prefix that covers the pool", async () => {
    const got = await messages(forwardRule("ip saddr { 10.0.0.0/8, 192.168.0.0/16 } accept"));
    assert.strictEqual(got.length, 1);
    assert.match(got[0][2], /^\/etc\/nftables.conf: forward rule "ip saddr \{ 10.0.0.0\/8, 192.168.0.0\/16 \} accept" accepts traffic from pool "home-pool"/);
  });

  it("fails an accept with no source and no input interface (it forwards pool traffic too)", async () => {
    assert.deepStrictEqual(
      (await messages(forwardRule("oifname $wan counter accept"))).map((x) => x[2]),
      [
        '/etc/nftables.conf: forward rule "oifname eth0 counter accept" accepts traffic from pool "home-pool" (10.3.0.0/24) from any source and interface, ' +
          "so a packet with that source is forwarded even if it never came through IPsec. " +
          'Add `meta ipsec exists` to the rule (`iifname "ipsec0"` with the libipsec dataplane).',
      ],
    );
  });

  it("passes a source-only accept when an earlier rule drops pool traffic without a secpath", async () => {
    assert.deepStrictEqual(await messages(forwardRule("meta ipsec missing ip saddr 10.3.0.0/24 drop\n        ip saddr 10.3.0.0/24 accept")), []);
  });

  it("passes the libipsec marker in a hand-written ruleset", async () => {
    assert.deepStrictEqual(await messages(forwardRule('iifname "ipsec0" ip saddr 10.3.0.0/24 accept')), []);
  });

  it("fails a forward chain whose policy is accept", async () => {
    const files = withFile("/etc/nftables.conf", (c) =>
      c.replace("hook forward priority filter; policy drop;", "hook forward priority filter; policy accept;"),
    );
    assert.deepStrictEqual(
      (await messages(files)).map((x) => x[2]),
      [
        '/etc/nftables.conf: the ruleset lets unmatched forwarded packets through (policy accept), so traffic from pool "home-pool" (10.3.0.0/24) is forwarded whether or not it came through IPsec. ' +
          'Add a forward chain with policy drop that accepts these sources only with `meta ipsec exists` (or `iifname "ipsec0"` with libipsec).',
      ],
    );
  });

  it("fails a source-only accept reached through a jump, and names the accepting rule", async () => {
    const files = withFile("/etc/nftables.conf", (c) =>
      c
        .replace(GOOD_RULE, "ip saddr 10.3.0.0/24 jump clients")
        .replace("    chain forward {", "    chain clients {\n        ct state new accept\n    }\n    chain forward {"),
    );
    assert.deepStrictEqual(
      (await messages(files)).map((x) => x[2].split(" accepts ")[0]),
      ['/etc/nftables.conf: forward rule "ct state new accept"'],
    );
  });
});
