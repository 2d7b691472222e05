import { CRYPTO_UNIT_NAME } from "./layer";
import { VM_STATE_DIR } from "./topology";

/**
 * A stack's gateways inside the one VM: each is a systemd-nspawn container booting the VM's own systemd, in the
 * network namespace the topology made for it. Its root is an overlay over the VM's root (itself this machine's root
 * plus the lab layer), so it runs exactly the VM's packages and units; what it writes stays in its own upper layer.
 * It holds CAP_NET_ADMIN (XFRM, nftables, WireGuard links, routes) and a writable /proc/sys/net (the sysctl concern),
 * nothing else beyond nspawn's defaults: the kernel modules are the VM's, loaded before the containers start.
 */

/** The VM's root bound once, without the mounts below it: the containers' shared lower layer. */
const LOWER = `${VM_STATE_DIR}/lower`;

const dirOf = (role: string): string => `${VM_STATE_DIR}/containers/${role}`;

/** Where a gateway's root is mounted in the VM: the lab writes its per-gateway files there before it boots. */
export const containerRoot = (role: string): string => `${dirOf(role)}/root`;

export const containerUnit = (role: string): string => `stage2-gw-${role}.service`;

/** The modules a gateway's concerns need, loaded in the VM: a container cannot load modules. */
export const GATEWAY_MODULES = ["esp4", "xfrm_user", "xfrm_interface", "af_key", "wireguard", "nf_tables", "nf_conntrack", "tun"] as const;

/**
 * Mounts a gateway's root (an overlay over the VM's root) so its own files can be written into it, and takes back
 * there the masks the VM's layer puts on `unmask` (the gateway's units, which the VM itself must not run).
 */
export function renderContainerRoot(role: string, unmask: readonly string[]): string {
  const d = dirOf(role);
  return [
    "set -euo pipefail",
    `mountpoint -q ${LOWER} || { mkdir -p ${LOWER} && mount --bind / ${LOWER} && mount -o remount,bind,ro ${LOWER}; }`,
    `mkdir -p ${d}/up ${d}/work ${d}/root`,
    `mountpoint -q ${d}/root || mount -t overlay stage2-gw -o lowerdir=${LOWER},upperdir=${d}/up,workdir=${d}/work ${d}/root`,
    ...unmask.map((u) => `f=${d}/root/etc/systemd/system/${u}; [ "$(readlink "$f")" != /dev/null ] || rm "$f"`),
    // No generator runs in the container: what they would add (units for this machine's fstab, init scripts and
    // database clusters) is the machine's, not the gateway's, and each daemon-reload would run them all, emulated.
    `mkdir -p ${d}/root/etc/systemd/system-generators`,
    `for g in ${d}/root/lib/systemd/system-generators/* ${d}/root/usr/lib/systemd/system-generators/*; do if [ -e "$g" ]; then ln -sfn /dev/null ${d}/root/etc/systemd/system-generators/"\${g##*/}"; fi; done`,
    // The VM loaded the kernel's crypto modules at its boot; a container has no modules of its own to load.
    `ln -sfn /dev/null ${d}/root/etc/systemd/system/${CRYPTO_UNIT_NAME}`,
    `modprobe -a ${GATEWAY_MODULES.join(" ")}`,
  ].join("\n");
}

/**
 * Boots the container (a transient unit of the VM's systemd) in network namespace `ns` and prints the pid of its
 * systemd once it runs, found by network namespace (never by name alone).
 */
export function renderContainerStart(role: string, ns: string, machine: string): string {
  return [
    "set -euo pipefail",
    [
      `systemd-run --quiet --unit=${containerUnit(role)} --property=KillMode=mixed`,
      // /proc/sys/net writable: sysctl's net.* keys are the container's own (its network namespace).
      "--setenv=SYSTEMD_NSPAWN_API_VFS_WRITABLE=network",
      "systemd-nspawn --quiet --boot --register=no --link-journal=no --resolv-conf=off --timezone=off",
      // Its own /tmp: the lower layer's is this machine's (the VM's tmpfs is a mount the bind leaves out).
      "--tmpfs=/tmp --tmpfs=/var/tmp",
      `--capability=CAP_NET_ADMIN --directory=${containerRoot(role)} --network-namespace-path=/run/netns/${ns} --machine=${machine}`,
    ].join(" "),
    `ino=$(stat -L -c %i /run/netns/${ns})`,
    "for i in $(seq 600); do",
    '  for p in $(pgrep -x systemd); do [ "$p" != 1 ] && [ "$(stat -L -c %i /proc/$p/ns/net 2>/dev/null)" = "$ino" ] && { echo "$p"; exit 0; }; done',
    `  systemctl -q is-active ${containerUnit(role)} || { journalctl -u ${containerUnit(role)} --no-pager -o cat -n 30 >&2; exit 1; }`,
    "  sleep 0.1",
    "done",
    `echo "${machine}: no systemd in its network namespace after 600 polls (60 s or more)" >&2; exit 1`,
  ].join("\n");
}
