import * as fs from "fs";
import * as path from "path";
import { run, runOk } from "./exec";
import { NamespaceHost, sh } from "./host";

/** One namespace as createLab builds it. */
export interface NetHost {
  readonly role: string;
  /** Network namespace name: `${prefix}-${role}`. */
  readonly ns: string;
  readonly ifaces: readonly { readonly name: string; readonly addrs: readonly string[] }[];
  /** Arguments of `ip route replace`, in order. */
  readonly routes: readonly (readonly string[])[];
  readonly forward: boolean;
  readonly masqueradeOut?: string;
  /** Interfaces enslaved to one bridge br0 (the private network's switch). */
  readonly bridge?: readonly string[];
}

/** What createLab builds: hosts (the namespace lab's topology or a single-gateway layout) and the veths between them. */
export interface NetworkSpec {
  readonly hosts: readonly NetHost[];
  readonly links: readonly { readonly a: { readonly role: string; readonly ifname: string }; readonly b: { readonly role: string; readonly ifname: string } }[];
}

/**
 * Builds and removes the lab's namespaces. Every veth is created with both ends already inside lab
 * namespaces (`ip link add ... netns A type veth peer ... netns B`), so no lab interface ever exists in
 * the machine's own namespace and no route leads out of the lab.
 */

const mountDir = (stateDir: string): string => path.join(stateDir, "mnt");

export function namespaceHosts(layout: NetworkSpec, stateDir: string): Map<string, NamespaceHost<string>> {
  return new Map(layout.hosts.map((h) => [h.role, new NamespaceHost<string>(h.role, h.ns, path.join(mountDir(stateDir), h.role))]));
}

/**
 * The commands that give a host private /etc and /var (overlays on the machine's, upper layers in `dir`), /run,
 * /tmp and /root (tmpfs) and its own /sys, run inside its new mount namespace. /run comes last: it hides the state directory
 * when that lives below /run. sysfs is mounted from inside the network namespace so /sys/class/net shows the host's
 * own interfaces. The kernel lab runs the same commands inside its VM.
 */
export function hostMountSetup(dir: string): string {
  const overlay = (target: string, name: string) =>
    `mount -t overlay stage2-lab -o lowerdir=${target},upperdir=${dir}/${name}.up,workdir=${dir}/${name}.work ${target}`;
  return [
    overlay("/etc", "etc"),
    overlay("/var", "var"),
    "mount -t tmpfs -o mode=1777 stage2-lab /tmp",
    // An empty home: a shell started by sshd (or with a socket on stdin) reads ~/.bashrc, and the machine's is not the host's.
    "mount -t tmpfs -o mode=0700 stage2-lab /root",
    "mount -t tmpfs -o mode=0755 stage2-lab /run",
    "mkdir -p /run/lock /run/sshd",
    "mount -t sysfs stage2-lab /sys",
  ].join(" && ");
}

/** The state directory's mnt/ as a private mount: a mount namespace can only be bound to a file on one. */
export async function privateMountDir(stateDir: string): Promise<void> {
  const mnt = mountDir(stateDir);
  fs.mkdirSync(mnt, { recursive: true });
  await runOk(["mount", "--bind", mnt, mnt]);
  await runOk(["mount", "--make-private", mnt]);
}

/** Network namespace `ns` plus a mount namespace (see hostMountSetup) bound to `<stateDir>/mnt/<role>`. */
export async function createHost<R extends string>(stateDir: string, role: R, ns: string): Promise<NamespaceHost<R>> {
  const dir = path.join(stateDir, "hosts", role);
  for (const sub of ["etc.up", "etc.work", "var.up", "var.work"]) fs.mkdirSync(path.join(dir, sub), { recursive: true });
  const mountFile = path.join(mountDir(stateDir), role);
  fs.writeFileSync(mountFile, "");
  await runOk(["ip", "netns", "add", ns]);
  // --norc: with a socket on stdin, bash would read the machine's ~/.bashrc before /root is the host's own.
  await runOk([
    "nsenter",
    `--net=/run/netns/${ns}`,
    "--",
    "unshare",
    `--mount=${mountFile}`,
    "--propagation",
    "private",
    "bash",
    "--norc",
    "-c",
    hostMountSetup(dir),
  ]);
  return new NamespaceHost(role, ns, mountFile);
}

export async function createLab(layout: NetworkSpec, stateDir: string): Promise<Map<string, NamespaceHost<string>>> {
  await privateMountDir(stateDir);
  await Promise.all(layout.hosts.map((h) => createHost(stateDir, h.role, h.ns)));
  const hosts = namespaceHosts(layout, stateDir);
  const nsOf = (role: string) => layout.hosts.find((h) => h.role === role)!.ns;
  // One `ip -batch` for every veth: a process per link would dominate a large stack's bring-up.
  if (layout.links.length) {
    const batch =
      layout.links.map((l) => `link add name ${l.a.ifname} netns ${nsOf(l.a.role)} type veth peer name ${l.b.ifname} netns ${nsOf(l.b.role)}`).join("\n") +
      "\n";
    await runOk(["ip", "-batch", "-"], { input: batch });
  }
  await Promise.all(
    layout.hosts.map((h) => {
      const lines = [
        "set -e",
        "ip link set lo up",
        `sysctl -qw net.ipv4.ip_forward=${h.forward ? 1 : 0}`,
        ...h.ifaces.flatMap((i) => [...i.addrs.map((a) => `ip addr add ${a} dev ${i.name}`), `ip link set ${i.name} up`]),
        ...(h.bridge
          ? ["ip link add br0 type bridge", ...h.bridge.map((p) => `ip link set ${p} master br0 && ip link set ${p} up`), "ip link set br0 up"]
          : []),
        ...h.routes.map((r) => `ip route replace ${r.join(" ")}`),
      ];
      if (h.masqueradeOut) {
        lines.push(
          `nft -f - <<'EOF'\ntable ip lab-nat {\n\tchain postrouting {\n\t\ttype nat hook postrouting priority srcnat; policy accept;\n\t\toifname "${h.masqueradeOut}" masquerade\n\t}\n}\nEOF`,
        );
      }
      return sh(hosts.get(h.role)!, lines.join("\n"));
    }),
  );
  return hosts;
}

/** Network namespaces whose name starts with `${prefix}-`. */
export async function labNamespaces(prefix: string): Promise<string[]> {
  const out = await runOk(["ip", "netns", "list"], { afterInterrupt: true });
  return out
    .split("\n")
    .map((l) => l.split(" ")[0])
    .filter((n) => n.startsWith(`${prefix}-`));
}

/** Ids of the processes whose network namespace is one of `namespaces`. */
export function processesIn(namespaces: readonly string[]): number[] {
  const inodes = new Set<number>();
  for (const ns of namespaces) {
    try {
      inodes.add(fs.statSync(`/run/netns/${ns}`).ino);
    } catch {
      // already gone
    }
  }
  const pids: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (inodes.has(fs.statSync(`/proc/${entry}/ns/net`).ino)) pids.push(Number(entry));
    } catch {
      // the process ended meanwhile
    }
  }
  return pids;
}

/**
 * Removes everything a lab with this prefix may have left, also after a crash: its processes (found by
 * network namespace, never by name), the mount namespace files, the network namespaces, the state directory.
 */
export async function destroyLab(prefix: string, stateDir: string): Promise<string[]> {
  const removed: string[] = [];
  const always = { afterInterrupt: true };
  const namespaces = await labNamespaces(prefix);
  for (let round = 0; round < 20; round++) {
    const pids = processesIn(namespaces);
    if (pids.length === 0) break;
    if (round === 0) removed.push(`${pids.length} process(es)`);
    for (const pid of pids) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const mnt = mountDir(stateDir);
  if (fs.existsSync(mnt)) {
    for (const f of fs.readdirSync(mnt)) await run(["umount", path.join(mnt, f)], always);
    await run(["umount", mnt], always);
  }
  for (const ns of namespaces) {
    await runOk(["ip", "netns", "del", ns], always);
    removed.push(`netns ${ns}`);
  }
  if (fs.existsSync(stateDir)) {
    // Unbound files stay as plain files; anything still mounted makes rm fail loudly rather than reach into it.
    await runOk(["rm", "-rf", "--one-file-system", stateDir], always);
    removed.push(stateDir);
  }
  const parent = path.dirname(stateDir);
  if (path.basename(parent) === "stage2-lab" && fs.existsSync(parent) && fs.readdirSync(parent).length === 0) fs.rmdirSync(parent);
  return removed;
}
