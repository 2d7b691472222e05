import * as fs from "fs";
import * as path from "path";
import { CpioEntry, cpioArchive } from "./cpio";
import { InitOptions, renderInit } from "./init-script";
import { INITRAMFS_MODULES, loadOrder } from "./modules";

/** Package busybox-static: a static busybox is the whole userland of the initramfs. */
export const BUSYBOX = "/bin/busybox";

/** Parent directories of a relative path, outermost first ("a/b/c.ko" → ["a", "a/b"]). */
function parents(rel: string): string[] {
  const parts = rel.split("/").slice(0, -1);
  return parts.map((_, i) => parts.slice(0, i + 1).join("/"));
}

/**
 * The initramfs for one kernel, built at run time from the machine's own busybox and modules (never committed).
 * Returns the archive; `modulesDir` is /lib/modules/<version>.
 */
export function buildInitramfs(modulesDir: string, init: Omit<InitOptions, "modules">): Buffer {
  const version = path.basename(modulesDir);
  const files = loadOrder(fs.readFileSync(path.join(modulesDir, "modules.dep"), "utf8"), INITRAMFS_MODULES);
  const dirs = new Set<string>(["bin", "dev", "proc", "sys", "lower", "upper", "newroot", "stage2", "lib", "lib/modules"]);
  const entries: CpioEntry[] = [];
  const modEntries: CpioEntry[] = [];
  for (const rel of files) {
    const inRamfs = `lib/modules/${version}/${rel}`;
    for (const dir of parents(inRamfs)) dirs.add(dir);
    modEntries.push({ kind: "file", path: inRamfs, data: fs.readFileSync(path.join(modulesDir, rel)) });
  }
  for (const dir of [...dirs].sort()) entries.push({ kind: "dir", path: dir });
  entries.push({ kind: "chardev", path: "dev/console", major: 5, minor: 1 });
  entries.push({ kind: "file", path: "bin/busybox", data: fs.readFileSync(BUSYBOX), mode: 0o755 });
  entries.push({ kind: "symlink", path: "bin/sh", target: "busybox" });
  entries.push(...modEntries);
  const modules = files.map((rel) => `${version}/${rel}`);
  entries.push({ kind: "file", path: "init", data: Buffer.from(renderInit({ ...init, modules }), "utf8"), mode: 0o755 });
  return cpioArchive(entries);
}
