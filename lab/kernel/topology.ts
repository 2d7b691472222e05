import { shq } from "../../components/host/apply-script";
import { hostMountSetup, NetHost, NetworkSpec } from "../netns";

/** Inside the VM: the lab's state (mount namespace files, private /etc and /var layers of the peers). */
export const VM_STATE_DIR = "/run/stage2-kernel-lab";

export const mountFileOf = (role: string): string => `${VM_STATE_DIR}/mnt/${role}`;

/** Where managed hosts live: the VM's root namespace (one gateway), or each in a container of its own (a stack). */
export type ManagedIn = "root" | "container";

interface VmNetwork extends NetworkSpec {
  readonly hosts: readonly (NetHost & { readonly managed: boolean })[];
}

/**
 * The namespace lab's topology built inside the VM. A managed host (a gateway) is not a namespace with a mount
 * namespace: it is the VM's own root namespace, where systemd runs (`root`, one gateway), or a bare network
 * namespace a gateway container joins (`container`, lab/kernel/containers.ts). Every other host is a network
 * namespace with its own mount namespace, as in the namespace lab. A gateway's addresses and routes are what the
 * cloud gives a server (its primary address, its private network); everything stage2 manages is left to the
 * converge (forwarding, the floating IP, firewall, daemons).
 */
export function renderVmTopology(layout: VmNetwork, managedIn: ManagedIn = "root"): string {
  const peers = layout.hosts.filter((h) => !h.managed);
  const inRoot = (h: { readonly managed: boolean }): boolean => h.managed && managedIn === "root";
  const inNs = (role: string): string => {
    const host = layout.hosts.find((h) => h.role === role);
    if (!host) throw new Error(`the layout has no ${role} host`);
    return inRoot(host) ? "" : ` netns ${host.ns}`;
  };
  const lines = [
    "#!/bin/bash",
    "# managed by stage2: the kernel lab's topology inside the VM",
    "set -euo pipefail",
    `state=${VM_STATE_DIR}`,
    'mkdir -p "$state/mnt" && mount --bind "$state/mnt" "$state/mnt" && mount --make-private "$state/mnt"',
    // The peers' userspace dataplanes need /dev/net/tun.
    "modprobe tun",
  ];
  // The namespaces and their mount namespaces in parallel: each step costs a little under TCG.
  for (const h of peers) {
    const dir = `${VM_STATE_DIR}/hosts/${h.role}`;
    lines.push(
      `( ip netns add ${h.ns} && mkdir -p ${dir}/etc.up ${dir}/etc.work ${dir}/var.up ${dir}/var.work && touch ${mountFileOf(h.role)} && ` +
        `nsenter --net=/run/netns/${h.ns} -- unshare --mount=${mountFileOf(h.role)} --propagation private bash -c ${shq(hostMountSetup(dir))} ) &`,
    );
  }
  if (managedIn === "container") for (const h of layout.hosts.filter((x) => x.managed)) lines.push(`ip netns add ${h.ns}`);
  lines.push("wait_all() { local rc=0; for p in $(jobs -p); do wait $p || rc=1; done; return $rc; }", "wait_all");
  lines.push("ip -batch - <<'EOF'");
  for (const link of layout.links) {
    lines.push(`link add name ${link.a.ifname}${inNs(link.a.role)} type veth peer name ${link.b.ifname}${inNs(link.b.role)}`);
  }
  lines.push("EOF");
  for (const h of layout.hosts) {
    const root = inRoot(h);
    const batch = [
      ...(root ? [] : ["link set lo up"]),
      ...h.ifaces.flatMap((i) => [...i.addrs.map((a) => `addr add ${a} dev ${i.name}`), `link set ${i.name} up`]),
      ...(h.bridge ? ["link add br0 type bridge", ...h.bridge.flatMap((p) => [`link set ${p} master br0`, `link set ${p} up`]), "link set br0 up"] : []),
      ...h.routes.map((r) => `route replace ${r.join(" ")}`),
    ];
    const enter = root ? "" : `nsenter --net=/run/netns/${h.ns} -- `;
    const body = [`ip${root ? "" : ` -n ${h.ns}`} -batch - <<'EOF'`, ...batch, "EOF"];
    // A managed host's forwarding is the converge's (its sysctl concern).
    if (!h.managed) body.push(`${enter}sysctl -qw net.ipv4.ip_forward=${h.forward ? 1 : 0}`);
    if (h.masqueradeOut) {
      body.push(
        `${enter}nft -f - <<'EOF'`,
        "table ip lab-nat {",
        "\tchain postrouting {",
        "\t\ttype nat hook postrouting priority srcnat; policy accept;",
        `\t\toifname "${h.masqueradeOut}" masquerade`,
        "\t}",
        "}",
        "EOF",
      );
    }
    lines.push(`{ # ${h.role}`, ...body, "} &");
  }
  lines.push("wait_all");
  return lines.join("\n") + "\n";
}
