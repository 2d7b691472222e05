import * as fs from "fs";
import * as path from "path";

/** Kernel modules the initramfs loads, by name: everything else comes from the shared root after switch_root. */
export const INITRAMFS_MODULES = ["virtio_pci", "virtio_net", "9pnet_virtio", "9p", "overlay"] as const;

/** The module name of a modules.dep path ("kernel/fs/9p/9p.ko" → "9p"; '-' and '_' are the same to the kernel). */
export const moduleName = (file: string): string =>
  path
    .basename(file)
    .replace(/\.ko(\.[a-z]+)?$/, "")
    .replace(/-/g, "_");

/**
 * The files to insmod, dependencies first, each once, for the wanted modules, read from the text of
 * modules.dep ("path: dep dep ...", where each line's deps are listed in reverse load order).
 */
export function loadOrder(modulesDep: string, wanted: readonly string[]): string[] {
  const deps = new Map<string, { file: string; deps: string[] }>();
  for (const line of modulesDep.split("\n")) {
    const m = /^([^:\s]+):\s*(.*)$/.exec(line);
    if (!m) continue;
    deps.set(moduleName(m[1]), { file: m[1], deps: m[2].split(/\s+/).filter(Boolean) });
  }
  const order: string[] = [];
  const visit = (name: string, from: string): void => {
    const entry = deps.get(name);
    if (!entry) throw new Error(`module ${name} (needed by ${from}) is not in modules.dep: is it built in, or is linux-image missing?`);
    if (order.includes(entry.file)) return;
    for (const dep of [...entry.deps].reverse()) visit(moduleName(dep), name);
    if (!order.includes(entry.file)) order.push(entry.file);
  };
  for (const name of wanted) visit(name.replace(/-/g, "_"), "the initramfs");
  return order;
}

/** The kernel version to boot: the newest /boot/vmlinuz-* that has its /lib/modules tree. */
export function pickKernel(bootDir = "/boot", modulesDir = "/lib/modules"): { version: string; image: string; modules: string } {
  const versions = fs
    .readdirSync(bootDir)
    .filter((f) => f.startsWith("vmlinuz-"))
    .map((f) => f.slice("vmlinuz-".length))
    .filter((v) => fs.existsSync(path.join(modulesDir, v, "modules.dep")))
    .sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
  const version = versions[versions.length - 1];
  if (!version) throw new Error(`no ${bootDir}/vmlinuz-* with ${modulesDir}/<version>/modules.dep: apt-get install linux-image-amd64`);
  return { version, image: path.join(bootDir, `vmlinuz-${version}`), modules: path.join(modulesDir, version) };
}
