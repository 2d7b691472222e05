import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { requireTools } from "../helpers/env";
import { requireVm } from "../helpers/vm";
import { Fact, factCounts, listSas } from "../../lab/checks";
import { sh } from "../../lab/host";
import { KernelStackLab } from "../../lab/kernel/stack-lab";
import { VmRootHost } from "../../lab/kernel/vm-hosts";
import { GATEWAY_UNITS } from "../../lab/kernel/layer";
import { STACKS_DIR } from "../../stacks/load";

/**
 * The kernel lab's whole stack: stacks/Pulumi.prod.yaml unchanged, one VM, each gateway a systemd container on the
 * VM's kernel (XFRM, kernel WireGuard), converged over SSH with the production apply scripts; every peer of the
 * namespace lab's topology and every one of its checks.
 */
describe("kernel lab: the prod stack whole, each gateway on systemd (one boot)", function () {
  this.timeout(900_000);
  const RUN = "test-stack";
  let lab: KernelStackLab | undefined;
  let facts: Fact[] = [];
  const t0 = Date.now();

  before(async function () {
    requireVm(this);
    requireTools(this, "systemd-nspawn");
    this.timeout(40 * 60_000);
    try {
      lab = await KernelStackLab.up({
        stackFile: path.join(STACKS_DIR, "Pulumi.prod.yaml"),
        name: RUN,
        log: (l) => process.env.STAGE2_LAB_VERBOSE && console.log(`      ${l}`),
      });
      facts = await lab.check();
    } catch (e) {
      // Said at once, with its diagnostics: mocha reports a hook's failure only when the whole file has run.
      console.log(`      kernel lab (prod stack) failed: ${e instanceof Error ? e.message : String(e)}`);
      throw e;
    }
  });

  after(async () => {
    await lab?.stop();
    const left = fs.readdirSync("/proc").filter((pid) => {
      try {
        return /^\d+$/.test(pid) && fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(`/run/stage2-kernel-lab/${RUN}/`);
      } catch {
        return false;
      }
    });
    for (const pid of left) process.kill(Number(pid), "SIGKILL");
    assert.deepStrictEqual(left, [], "a qemu of the kernel lab is still running");
    console.log(`      kernel lab (prod stack): ${((Date.now() - t0) / 1000).toFixed(0)} s in all; ${JSON.stringify(lab?.timings)}`);
  });

  it("every fact passes, for every gateway, connection and auth kind of the stack", () => {
    const failed = facts.filter((f) => f.ok === false);
    assert.deepStrictEqual(
      failed.map((f) => `${f.gateway}/${f.connection} ${f.id}: ${f.evidence}`),
      [],
    );
    const t = lab!.topology;
    const counts = factCounts(facts);
    assert.deepStrictEqual([...counts.gateway.keys()].sort(), ["gw-fsn1", "gw-nbg1"]);
    assert.deepStrictEqual([...counts.auth.keys()].sort(), ["eap-mschapv2", "psk", "pubkey"]);
    for (const c of [...t.clients, ...t.sites]) assert.ok((counts.connection.get(`${c.gateway}/${c.conn}`) ?? 0) >= 3, `${c.gateway}/${c.conn} has facts`);
    for (const p of t.wgPeers) assert.strictEqual(counts.connection.get(`${p.gateway}/wireguard ${p.name}`), 1, `${p.gateway}/${p.name}`);
    for (const g of t.gateways) for (const n of g.nodes) assert.ok(counts.connection.get(`${g.name}/bgp ${n}`), `${g.name}/bgp ${n}`);
  });

  it("each gateway is a container whose PID 1 is systemd, running and enabling the gateway's units on the kernel's XFRM and WireGuard", async () => {
    for (const g of lab!.topology.gateways) {
      const text = await sh(
        lab!.host(g.role),
        [
          "systemd-detect-virt --container",
          "cat /proc/1/comm",
          "hostname",
          `systemctl is-active strongswan bird nftables wg-quick@${g.wgInterface} || true`,
          "systemctl is-enabled strongswan-starter || true",
          "ip -o xfrm state | grep -c 'proto esp'",
          "ip -d link show wg0 | grep -c 'wireguard'",
          "ip link show ipsec0 >/dev/null 2>&1 && echo ipsec0 || echo no-ipsec0",
          "find /run/systemd/generator /run/systemd/generator.early /run/systemd/generator.late -mindepth 1 2>/dev/null | wc -l",
          // What comes back at boot: the converge enables without reloading systemd, so read from disk.
          `systemctl is-enabled strongswan bird nftables wg-quick@${g.wgInterface} stage2-strongswan-metrics.timer | sort | uniq -c | xargs`,
        ].join("\n"),
        { timeoutMs: 60_000 },
      );
      const [virt, pid1, host, a1, a2, a3, a4, starter, esp, wg, ipsec0, generated, enabled] = text.trim().split("\n");
      assert.deepStrictEqual([virt, pid1, host], ["systemd-nspawn", "systemd", g.name], g.name);
      assert.deepStrictEqual([a1, a2, a3, a4], ["active", "active", "active", "active"], `${g.name}: strongswan bird nftables wg-quick`);
      assert.strictEqual(starter, "masked", `${g.name}: strongswan-starter`);
      assert.ok(Number(esp) >= 2, `${g.name}: ${esp} ESP states in its kernel XFRM`);
      assert.strictEqual(wg, "1", `${g.name}: wg0 is a kernel WireGuard link`);
      assert.strictEqual(ipsec0, "no-ipsec0", `${g.name}: no kernel-libipsec TUN`);
      assert.strictEqual(generated, "0", `${g.name}: no unit made by a generator from this machine's files`);
      assert.strictEqual(enabled, "5 enabled", `${g.name}: strongswan bird nftables wg-quick metrics timer enabled`);
    }
  });

  it("the VM's own systemd runs none of the gateway's units: only the containers do", async () => {
    const root = new VmRootHost<string>("vm", lab!.vm.ssh!);
    const units = GATEWAY_UNITS.filter((u) => u !== "ssh.service");
    const states = (await sh(root, `systemctl is-enabled ${units.join(" ")} || true`, { timeoutMs: 60_000 })).trim().split("\n");
    assert.deepStrictEqual(
      states,
      units.map(() => "masked"),
    );
  });

  it("a trap site is brought up by the kernel's acquire: the gateway initiated it, the lab never dialled from there", async () => {
    const traps = lab!.topology.sites.filter((s) => s.startAction === "trap");
    assert.ok(traps.length > 0, "the prod stack has trap sites");
    for (const s of traps) {
      const g = lab!.topology.gateways.find((x) => x.name === s.gateway)!;
      const sa = (await listSas(lab!.host(g.role), s.conn)).find((x) => x.state === "ESTABLISHED");
      assert.ok(sa, `${s.conn}: an IKE SA on ${g.name}`);
      assert.ok(sa.initiator, `${s.conn}: ${g.name} initiated it`);
    }
  });

  it("re-converging the unchanged stack activates nothing on any gateway", async () => {
    const again = await Promise.all(lab!.models().map((m) => lab!.converge(m)));
    assert.deepStrictEqual(
      again.map((r) => r.activated),
      again.map(() => 0),
    );
  });
});
