import { overlaps } from "../../components/model/net";
import { hostIn } from "../address";
import { VmMode } from "./init-script";

/** The VM's management link (qemu user networking): the guest's interface name. */
export const MGMT_IF = "mgmt0";

export interface MgmtNet {
  /** The user network, e.g. 172.31.254.0/24. */
  readonly net: string;
  /** The guest's address with prefix (.15, as qemu's DHCP would give). */
  readonly address: string;
  /** Where the guest sees the machine (.2); with restrict=on nothing answers there. */
  readonly hostAlias: string;
}

const MGMT_CANDIDATES = ["172.31.254.0/24", "192.168.254.0/24", "10.255.254.0/24"];

/**
 * A management network that overlaps none of the lab's networks: charon picks the source of its table-220
 * routes from the addresses inside local_ts, so an overlapping management address would end up there.
 */
export function pickMgmtNet(avoid: readonly string[]): MgmtNet {
  const net = MGMT_CANDIDATES.find((c) => !avoid.some((a) => overlaps(a, c)));
  if (!net) throw new Error(`every management network candidate (${MGMT_CANDIDATES.join(", ")}) overlaps the lab's networks`);
  return { net, address: `${hostIn(net, 15)}/24`, hostAlias: hostIn(net, 2) };
}

export interface QemuOptions {
  readonly kernel: string;
  readonly initrd: string;
  readonly mode: VmMode;
  /** Directory shared read-only as 9p tag "stage2" (the lab layer). */
  readonly shareDir: string;
  readonly pidFile: string;
  readonly cpus: number;
  readonly memoryMiB: number;
  /** systemd mode: host port on 127.0.0.1 forwarded to the VM's sshd. */
  readonly sshPort?: number;
  readonly mgmt?: MgmtNet;
}

export function kernelCmdline(mode: VmMode): string {
  const base = ["console=ttyS0", "panic=-1", "loglevel=4", "net.ifnames=0", `stage2.mode=${mode}`];
  // Every unit's start on the console: the boot's progress, which waitSsh watches, and what a stalled boot runs.
  // multi-user.target whatever the machine's default target is.
  if (mode === "systemd") base.push("systemd.unit=multi-user.target", "systemd.show_status=true", "systemd.log_target=console", "systemd.log_level=warning");
  return base.join(" ");
}

/**
 * qemu's argv. TCG (no KVM on these machines); the machine's root read-only over virtio-9p; no default devices.
 * The only network is user networking with restrict=on (the guest cannot open any connection out of qemu)
 * and one forward from 127.0.0.1 to the guest's sshd. Script mode has no network device at all.
 */
export function qemuArgs(o: QemuOptions): string[] {
  const args = [
    "-nodefaults",
    "-no-user-config",
    "-machine",
    "q35",
    "-accel",
    "tcg,thread=multi",
    "-cpu",
    "max",
    "-smp",
    String(o.cpus),
    "-m",
    String(o.memoryMiB),
    "-kernel",
    o.kernel,
    "-initrd",
    o.initrd,
    "-append",
    kernelCmdline(o.mode),
    "-display",
    "none",
    "-no-reboot",
    "-chardev",
    "stdio,id=con,signal=off",
    "-serial",
    "chardev:con",
    "-virtfs",
    "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap",
    "-virtfs",
    `local,path=${o.shareDir},mount_tag=stage2,security_model=none,readonly=on`,
    "-pidfile",
    o.pidFile,
  ];
  if (o.mode === "systemd") {
    if (o.sshPort === undefined || !o.mgmt) throw new Error("systemd mode needs an sshPort and a management network");
    args.push("-netdev", `user,id=mgmt,restrict=on,ipv6=off,net=${o.mgmt.net},hostfwd=tcp:127.0.0.1:${o.sshPort}-:22`, "-device", "virtio-net-pci,netdev=mgmt");
  }
  return args;
}
