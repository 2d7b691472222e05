import { VmMode } from "./init-script";

/** The VM's management link: qemu user networking, guest side. */
export const MGMT = { name: "mgmt0", address: "10.0.2.15/24", net: "10.0.2.0/24", hostAlias: "10.0.2.2" } as const;

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
}

export function kernelCmdline(mode: VmMode): string {
  const base = ["console=ttyS0", "panic=-1", "loglevel=4", "net.ifnames=0", `stage2.mode=${mode}`];
  if (mode === "systemd") base.push("systemd.show_status=auto", "systemd.log_target=console", "systemd.log_level=warning");
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
    "-machine", "q35",
    "-accel", "tcg,thread=multi",
    "-cpu", "max",
    "-smp", String(o.cpus),
    "-m", String(o.memoryMiB),
    "-kernel", o.kernel,
    "-initrd", o.initrd,
    "-append", kernelCmdline(o.mode),
    "-display", "none",
    "-no-reboot",
    "-chardev", "stdio,id=con,signal=off",
    "-serial", "chardev:con",
    "-virtfs", "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap",
    "-virtfs", `local,path=${o.shareDir},mount_tag=stage2,security_model=none,readonly=on`,
    "-pidfile", o.pidFile,
  ];
  if (o.mode === "systemd") {
    if (o.sshPort === undefined) throw new Error("systemd mode needs an sshPort");
    args.push(
      "-netdev", `user,id=mgmt,restrict=on,ipv6=off,net=${MGMT.net},hostfwd=tcp:127.0.0.1:${o.sshPort}-:22`,
      "-device", "virtio-net-pci,netdev=mgmt",
    );
  }
  return args;
}
