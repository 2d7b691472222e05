import * as assert from "assert";
import { foreignStack, GOOD_FILES, MASK_STARTER, rows, stage2Stack, withFile } from "./helpers/stacks";

const POLICY = "wireguard-closed-to-internet";
const NFT = "/etc/nftables.conf";
const forward = (rule: string) =>
  withFile(NFT, (c) =>
    c.replace(
      "        ct state established,related accept\n        meta secpath",
      `        ${rule}\n        ct state established,related accept\n        meta secpath`,
    ),
  );
const judge = async (files = GOOD_FILES) => rows(await foreignStack({ files, extra: [MASK_STARTER], floatingIp: { assigned: true } }), POLICY);

describe(`policy ${POLICY}`, () => {
  it("passes a stage2 gateway and the good hand-written one", async () => {
    assert.deepStrictEqual(rows(await stage2Stack(), POLICY), []);
    assert.deepStrictEqual(await judge(), []);
  });

  it("fails a forward accept from the public interface (the one IKE is accepted on) into wg0", async () => {
    assert.deepStrictEqual(await judge(forward('iifname "eth0" oifname "wg0" accept')), [
      [
        "mandatory",
        "vpn-config",
        '/etc/nftables.conf: forward rule "iifname "eth0" oifname "wg0" accept" accepts new traffic from eth0 into wg0, so the internet reaches the WireGuard peers. Accept into WireGuard only from the private interface (or replies: ct state established,related).',
      ],
    ]);
  });

  it("fails a forward accept into wg0 from any interface and source; passes one from the private interface", async () => {
    assert.match((await judge(forward('oifname "wg0" accept')))[0]?.[2] ?? "", /accepts new traffic from any interface into wg0/);
    assert.deepStrictEqual(await judge(forward('iifname "enp7s0" oifname "wg0" accept')), []);
  });

  it("fails a WireGuard ListenPort of 500 or 4500", async () => {
    const files = withFile("/etc/wireguard/wg0.conf", (c) => c.replace("ListenPort = 51820", "ListenPort = 4500"));
    assert.deepStrictEqual(await judge(files), [
      [
        "mandatory",
        "vpn-config",
        "/etc/wireguard/wg0.conf: ListenPort 4500 is IKE's port; WireGuard and charon cannot both receive on it. Use another port, e.g. 51820.",
      ],
    ]);
  });
});
