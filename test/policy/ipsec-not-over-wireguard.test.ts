import * as assert from "assert";
import { ForeignFile, foreignStack, GOOD_FILES, MASK_STARTER, of, rows, stage2Stack, withFile } from "./helpers/stacks";

const POLICY = "ipsec-not-over-wireguard";
const foreign = (files: readonly ForeignFile[]) => foreignStack({ files, extra: [MASK_STARTER], floatingIp: { assigned: true } });
const messages = async (files: readonly ForeignFile[]) => rows(await foreign(files), POLICY);

const SITE = [
  "    hq {",
  "        local_addrs = 198.51.100.139",
  "        remote_addrs = 10.8.0.10",
  "        local {",
  "            auth = psk",
  "        }",
  "        remote {",
  "            auth = psk",
  "        }",
  "        children {",
  "            hq {",
  "                local_ts = 10.0.0.0/16",
  "                remote_ts = 172.20.0.0/16, 10.8.0.0/28[tcp/443]",
  "                start_action = trap",
  "            }",
  "        }",
  "    }",
].join("\n");

describe(`policy ${POLICY}`, () => {
  it("passes a stage2 gateway: IPsec ranges apart from WireGuard, IKE and ESP accepted on eth0", async () => {
    assert.deepStrictEqual(of(await stage2Stack(), POLICY), []);
  });

  it("passes the foreign stack's hand-written files", async () => {
    assert.deepStrictEqual(await messages(GOOD_FILES), []);
  });

  it("fails a site whose peer address and remote_ts lie inside WireGuard ranges", async () => {
    const files = withFile("/etc/swanctl/swanctl.conf", (c) => c.replace("connections {\n", `connections {\n${SITE}\n`));
    assert.deepStrictEqual(await messages(files), [
      [
        "mandatory",
        "vpn-config",
        "/etc/swanctl/swanctl.conf: connection \"hq\": remote_addrs 10.8.0.10 overlaps the WireGuard subnet 10.8.0.1/24 (wg0) and WireGuard peer 1's AllowedIPs 10.8.0.10/32 (wg0), so IKE and ESP would run inside WireGuard. Use the peer's public address.",
      ],
      [
        "mandatory",
        "vpn-config",
        '/etc/swanctl/swanctl.conf: connection "hq", child "hq": remote_ts 10.8.0.0/28[tcp/443] overlaps the WireGuard subnet 10.8.0.1/24 (wg0) and WireGuard peer 1\'s AllowedIPs 10.8.0.10/32 (wg0). Remove it from remote_ts or move WireGuard to a range IPsec does not use.',
      ],
    ]);
  });

  it("fails a virtual-IP pool overlapping a WireGuard peer's AllowedIPs", async () => {
    const files = withFile("/etc/swanctl/swanctl.conf", (c) => c.replace("addrs = 10.3.0.0/24", "addrs = 10.8.0.8-10.8.0.15"));
    assert.deepStrictEqual(await messages(files), [
      [
        "mandatory",
        "vpn-config",
        '/etc/swanctl/swanctl.conf: pool "home-pool" addrs 10.8.0.8-10.8.0.15 overlaps the WireGuard subnet 10.8.0.1/24 (wg0) and WireGuard peer 1\'s AllowedIPs 10.8.0.10/32 (wg0). Give the pool a range outside every WireGuard range.',
      ],
    ]);
  });

  it("fails a firewall that accepts IKE only on wg0", async () => {
    const files = withFile("/etc/nftables.conf", (c) =>
      c.replace("iifname $wan udp dport { 500, 4500 } accept", 'iifname "wg0" udp dport { isakmp, ipsec-nat-t } accept'),
    );
    const got = (await messages(files)).map((x) => x[2]);
    assert.deepStrictEqual(got, [
      '/etc/nftables.conf: rule "iifname "wg0" udp dport { isakmp, ipsec-nat-t } accept" accepts IKE (udp/500) only on wg0: IPsec must not run over WireGuard. Accept it on the public interface instead.',
      '/etc/nftables.conf: the input chain drops IKE (udp/500) on the public interface. Add e.g. `iifname "eth0" udp dport { 500, 4500 } accept`.',
      '/etc/nftables.conf: rule "iifname "wg0" udp dport { isakmp, ipsec-nat-t } accept" accepts IKE NAT-T (udp/4500) only on wg0: IPsec must not run over WireGuard. Accept it on the public interface instead.',
      '/etc/nftables.conf: the input chain drops IKE NAT-T (udp/4500) on the public interface. Add e.g. `iifname "eth0" udp dport { 500, 4500 } accept`.',
    ]);
  });

  it("follows jumps: IKE accepted in a chain reached from input only for wg0 counts as wg0-only", async () => {
    const files = withFile("/etc/nftables.conf", (c) =>
      c
        .replace("iifname $wan udp dport { 500, 4500 } accept", 'iifname "wg0" jump ike')
        .replace("    chain forward {", "    chain ike {\n        udp dport 500-4500 accept\n    }\n    chain forward {"),
    );
    const got = (await messages(files)).map((x) => x[2]);
    assert.strictEqual(got.length, 4);
    assert.match(got[0], /^\/etc\/nftables.conf: rule "udp dport 500-4500 accept" accepts IKE \(udp\/500\) only on wg0/);
  });
});
