import { strict as assert } from "assert";
import { STEPS } from "../../components/host/apply-script";
import { InterruptCase, KERNEL_CASES, NAMESPACE_CASES } from "../../lab/interrupt";

const pairs = (cases: readonly InterruptCase[]) => cases.map((c) => `${c.at}/${c.how}`).sort();

describe("the fault suites' cases", () => {
  it("namespace lab: every step of the apply by SIGKILL and by a closed SSH connection, once each, over nftables, swanctl and WireGuard", () => {
    assert.deepEqual(pairs(NAMESPACE_CASES), STEPS.flatMap((at) => [`${at}/close`, `${at}/kill`]).sort());
    assert.deepEqual([...new Set(NAMESPACE_CASES.map((c) => c.concern))].sort(), ["nftables", "swanctl", "wireguard"]);
  });

  it("kernel lab: every step once, the faults alternating; the swap between two files lands on a flip that changes three swanctl files", () => {
    assert.deepEqual(
      KERNEL_CASES.map((c) => c.at),
      [...STEPS],
    );
    KERNEL_CASES.forEach((c, i) => assert.equal(c.how, i % 2 === 0 ? "close" : "kill"));
    // Case i flips to step i + 1: odd steps add the certificate site (swanctl.conf, its certificate and CA).
    for (const cases of [KERNEL_CASES, NAMESPACE_CASES]) {
      cases.forEach(
        (c, i) => c.at === "swapping" && assert.ok(c.concern === "swanctl" && (i + 1) % 2 === 1, `${c.how} at swapping is case ${i} of ${c.concern}`),
      );
    }
  });
});
