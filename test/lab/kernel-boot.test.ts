import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { planGateway } from "../../components/plan";
import { OWN_TMPFS, renderInit } from "../../lab/kernel/init-script";
import { GATEWAY_UNITS, MASKED_IN_VM, systemdLayer, unitsToMask } from "../../lab/kernel/layer";
import { kernelCmdline } from "../../lab/kernel/qemu";
import { bootProgress, consoleTail, runningJob, stuckReport } from "../../lab/kernel/vm";
import { floatingIpOf, loadStack } from "../../cli/stack-source";
import { stackFilePath } from "../../stacks/load";

describe("kernel lab: the VM's boot depends on nothing of the machine's but its read-only root", () => {
  it("the VM has its own empty /tmp and /var/tmp, mounted before systemd starts", () => {
    const init = renderInit({ modules: [], mode: "systemd", mgmt: { name: "mgmt0", address: "172.31.254.15/24" }, scriptInit: "/opt/x" }).split("\n");
    const overlay = init.findIndex((l) => l.startsWith("mount -t overlay "));
    const switchRoot = init.findIndex((l) => l.startsWith("exec switch_root"));
    assert.deepStrictEqual([...OWN_TMPFS], ["/tmp", "/var/tmp"]);
    for (const dir of OWN_TMPFS) {
      const at = init.indexOf(`mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /newroot${dir} || fail 'mount ${dir}'`);
      assert.ok(at > overlay && at < switchRoot, `${dir}: tmpfs after the overlay, before switch_root`);
    }
    const script = renderInit({ modules: [], mode: "script", scriptInit: "/opt/x/pid1.sh" });
    assert.ok(script.includes("tmpfs /newroot/tmp "), "script mode too");
  });

  it("boots multi-user.target with every unit's start on the console (the progress the boot wait watches)", () => {
    const cmdline = kernelCmdline("systemd").split(" ");
    assert.ok(cmdline.includes("systemd.unit=multi-user.target"));
    assert.ok(cmdline.includes("systemd.show_status=true"));
  });

  it("masks every unit the machine enabled that a gateway does not run (a package installed later, too)", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stage2-units-"));
    try {
      const enable = (target: string, unit: string): void => {
        fs.mkdirSync(path.join(dir, target), { recursive: true });
        fs.symlinkSync(`/lib/systemd/system/${unit}`, path.join(dir, target, unit));
      };
      enable("multi-user.target.wants", "openiked.service");
      enable("multi-user.target.wants", "ssh.service");
      enable("multi-user.target.wants", "strongswan.service");
      enable("multi-user.target.wants", "wg-quick@wg0.service");
      enable("sockets.target.wants", "docker.socket");
      enable("network-online.target.wants", "networking.service");
      enable("getty.target.wants", "getty@tty1.service");
      fs.writeFileSync(path.join(dir, "sshd.service"), "");
      const masked = unitsToMask(dir);
      for (const u of ["openiked.service", "docker.socket", "networking.service", "getty@tty1.service", ...MASKED_IN_VM]) assert.ok(masked.includes(u), u);
      for (const u of ["ssh.service", "strongswan.service", "wg-quick@wg0.service", "sshd.service"]) assert.ok(!masked.includes(u), u);
      assert.deepStrictEqual(masked, [...new Set(masked)].sort());
      const layer = systemdLayer({ priv: "k", pub: "p" }, "a", masked);
      assert.ok(layer.some((f) => f.path === "/etc/systemd/system/openiked.service" && f.link === "/dev/null"));
      assert.deepStrictEqual(unitsToMask(path.join(dir, "none")), [...MASKED_IN_VM].sort());
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("keeps every unit a gateway's concerns run or mask (dev and prod stacks), so the list cannot drift", () => {
    for (const env of ["dev", "prod"]) {
      const loaded = loadStack(stackFilePath(env));
      for (const gw of loaded.stack.gateways) {
        for (const c of planGateway(gw, { floatingIp: floatingIpOf(gw) }, loaded.secrets).concerns) {
          for (const unit of [...c.services.map((s) => s.unit), ...(c.masked ?? [])]) {
            const name = unit.includes(".") ? unit : `${unit}.service`;
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stage2-units-"));
            fs.mkdirSync(path.join(dir, "multi-user.target.wants"));
            fs.symlinkSync("/dev/null", path.join(dir, "multi-user.target.wants", name));
            const masked = unitsToMask(dir);
            fs.rmSync(dir, { recursive: true, force: true });
            assert.ok(!masked.includes(name), `${env}/${gw.name}/${c.name}: ${name} would be masked in the VM (GATEWAY_UNITS: ${GATEWAY_UNITS.join(", ")})`);
          }
        }
      }
    }
  });
});

describe("kernel lab: waiting on the boot", () => {
  // As systemd writes it to the serial console: a running job's status, rewritten each second (ESC M ESC [K).
  const status = (job: string, t: string): string =>
    `\x1bM\x1b[K[\x1b[0;31m*\x1b[0;1;31m*\x1b[0m\x1b[0;31m*  \x1b[0m] Job ${job}/start running (${t} / no limit)`;
  const ok = (unit: string): string => `\x1bM\x1b[K[\x1b[0;32m  OK  \x1b[0m] Started \x1b[0;1;39m${unit}\x1b[0m.`;

  it("a running job's status is not progress; a unit that started is", () => {
    assert.ok(runningJob(status("systemd-tmpfiles-setup.service", "6min 43s")));
    assert.ok(runningJob("[ ***  ] (2 of 10) Job systemd-remount-fs.se…ice/start running (19s / no limit)"));
    assert.ok(runningJob("[  *** ] A start job is running for Create Volatile Files (1min 2s / no limit)"));
    assert.ok(!runningJob(ok("ssh.service")));
    assert.ok(!runningJob("stage2-init: switching root"));
  });

  it("a failed boot's console tail ends with the job systemd still runs, each status shown once", () => {
    const text = [
      "stage2-init: switching root",
      ok("systemd-journald.service"),
      status("a.service", "1s"),
      ok("a.service"),
      status("systemd-tmpfiles-setup.service", "1s"),
      status("systemd-tmpfiles-setup.service", "2s"),
      "",
    ].join("\n");
    assert.deepStrictEqual(consoleTail(text).split("\n"), [
      "stage2-init: switching root",
      "[  OK  ] Started systemd-journald.service.",
      "[  OK  ] Started a.service.",
      "[***  ] Job systemd-tmpfiles-setup.service/start running (2s / no limit)",
    ]);
    assert.strictEqual(consoleTail(text, 1), "[***  ] Job systemd-tmpfiles-setup.service/start running (2s / no limit)");
  });

  it("the guest kernel's report of a stuck CPU is not progress, and is what a hung boot is started again on", () => {
    const console = [
      "[  OK  ] Finished stage2-lab-conntrack.service - stage2 kernel lab: connection tracking from boot on.",
      "[   45.036624] watchdog: BUG: soft lockup - CPU#1 stuck for 22s! [swapper/1:0]",
      "[   45.141166] rcu: INFO: rcu_preempt self-detected stall on CPU",
      "[   45.141166] rcu: \t1-....: (1 GPs behind) idle=3204/0/0x3 softirq=3752/3753 fqs=1958",
      "[   73.036004] watchdog: BUG: soft lockup - CPU#1 stuck for 49s! [swapper/1:0]",
    ];
    assert.deepStrictEqual(console.map(bootProgress), [true, false, false, false, false]);
    assert.ok(bootProgress(ok("ssh.service")));
    assert.ok(!bootProgress(status("systemd-tmpfiles-setup.service", "2s")));
    assert.strictEqual(stuckReport(console.join("\n")), "[   45.036624] watchdog: BUG: soft lockup - CPU#1 stuck for 22s! [swapper/1:0]");
    assert.strictEqual(stuckReport(console.slice(0, 1).join("\n")), undefined, "a boot that only stalled is not started again");
    assert.strictEqual(stuckReport(`${console[0]}\n[    0.1] rcu: Hierarchical RCU implementation.`), undefined, "an RCU banner is not a stall");
    assert.strictEqual(stuckReport(console.slice(2, 3).join("\n")), "[   45.141166] rcu: INFO: rcu_preempt self-detected stall on CPU");
  });
});
