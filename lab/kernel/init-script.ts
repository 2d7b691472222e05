/**
 * The initramfs's /init (busybox sh): load the modules for virtio-9p and overlayfs, mount the machine's root
 * read-only from the 9p share "hostroot", put a tmpfs upper layer over it, copy the lab's own files (share
 * "stage2", path layer/) into that upper layer, give the VM its own empty /tmp and /var/tmp, set up the
 * management link, and switch_root.
 */

/**
 * The VM's own tmpfs: the machine's /tmp and /var/tmp stay out of the VM. Through the overlay, systemd-tmpfiles
 * would empty the machine's /tmp at boot file by file over 9p (minutes with tens of thousands of files).
 */
export const OWN_TMPFS = ["/tmp", "/var/tmp"] as const;

export type VmMode = "script" | "systemd";

export interface InitOptions {
  /** Files to insmod, relative to /lib/modules/<version>/ inside the initramfs, in load order. */
  readonly modules: readonly string[];
  readonly mode: VmMode;
  /** systemd mode's management link (qemu user networking): renamed so it never collides with the lab's eth0. */
  readonly mgmt?: { readonly name: string; readonly address: string };
  /** In script mode: PID 1 of the new root (runs the lab script, then powers off). */
  readonly scriptInit: string;
}

export function renderInit(opts: InitOptions): string {
  const exec = opts.mode === "systemd" ? "exec switch_root /newroot /sbin/init" : `exec switch_root /newroot /bin/busybox sh ${opts.scriptInit}`;
  return [
    "#!/bin/busybox sh",
    "# managed by stage2: initramfs init of the kernel lab",
    "/bin/busybox --install -s /bin",
    'fail() { echo "stage2-init: FAILED: $*"; sleep 1; poweroff -f; }',
    "mount -t proc proc /proc && mount -t sysfs sys /sys && mount -t devtmpfs dev /dev || fail mounts",
    `for m in ${opts.modules.join(" ")}; do insmod /lib/modules/$m || fail "insmod $m"; done`,
    "mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=262144 hostroot /lower || fail 'mount hostroot'",
    "mount -t tmpfs -o mode=0755 upper /upper && mkdir -p /upper/data /upper/work || fail 'mount upper'",
    "mount -t 9p -o trans=virtio,version=9p2000.L,ro stage2 /stage2 || fail 'mount stage2'",
    "cp -a /stage2/layer/. /upper/data/ || fail 'copy lab layer'",
    "umount /stage2",
    "mount -t overlay -o lowerdir=/lower,upperdir=/upper/data,workdir=/upper/work root /newroot || fail 'mount overlay'",
    ...OWN_TMPFS.map((d) => `mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /newroot${d} || fail 'mount ${d}'`),
    ...(opts.mgmt
      ? [
          `i=0; while ! ip link show eth0 >/dev/null 2>&1; do i=$((i+1)); [ $i -lt 50 ] || fail 'no eth0'; usleep 100000; done`,
          `ip link set dev eth0 name ${opts.mgmt.name} && ip addr add ${opts.mgmt.address} dev ${opts.mgmt.name} && ip link set ${opts.mgmt.name} up || fail mgmt`,
        ]
      : []),
    "umount /proc /sys; mount --move /dev /newroot/dev",
    'echo "stage2-init: switching root"',
    exec,
    "",
  ].join("\n");
}

/** PID 1 in script mode: a minimal system (no systemd), the lab script as its child, then power off. */
export function renderScriptInit(script: string): string {
  return [
    "# managed by stage2: PID 1 of the kernel lab in script mode (busybox applets by full name: PATH is the machine's)",
    "bb=/bin/busybox",
    "export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "$bb mount -t proc proc /proc; $bb mount -t sysfs sys /sys",
    "$bb mkdir -p /dev/pts /dev/shm; $bb mount -t devpts devpts /dev/pts; $bb mount -t tmpfs tmpfs /dev/shm",
    "$bb mount -t tmpfs -o mode=0755 run /run",
    "$bb mount -t cgroup2 cgroup2 /sys/fs/cgroup",
    "ip link set lo up",
    'echo "stage2-vm: script start"',
    `/bin/bash ${script} </dev/null 2>&1; rc=$?`,
    'echo "stage2-vm: exit $rc"',
    "$bb sync; echo o > /proc/sysrq-trigger; $bb sleep 10",
    "",
  ].join("\n");
}
