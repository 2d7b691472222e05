/**
 * A writer for the cpio "newc" format the kernel unpacks as an initramfs
 * (Documentation/driver-api/early-userspace/buffer-format.rst): 110-byte ASCII headers, names and data padded to 4.
 */

export type CpioEntry =
  | { readonly kind: "dir"; readonly path: string; readonly mode?: number }
  | { readonly kind: "file"; readonly path: string; readonly data: Buffer; readonly mode?: number }
  | { readonly kind: "symlink"; readonly path: string; readonly target: string }
  | { readonly kind: "chardev"; readonly path: string; readonly major: number; readonly minor: number; readonly mode?: number };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;

const hex8 = (n: number): string => n.toString(16).padStart(8, "0");
const pad4 = (n: number): Buffer => Buffer.alloc((4 - (n % 4)) % 4);

function record(ino: number, mode: number, data: Buffer, name: string, rdev: [number, number] = [0, 0]): Buffer[] {
  const nameBuf = Buffer.from(name + "\0", "utf8");
  const header = "070701" + [ino, mode, 0, 0, mode & S_IFDIR ? 2 : 1, 0, data.length, 0, 0, rdev[0], rdev[1], nameBuf.length, 0].map(hex8).join("");
  const head = Buffer.concat([Buffer.from(header, "ascii"), nameBuf]);
  return [head, pad4(head.length), data, pad4(data.length)];
}

/** The archive for these entries, in the given order (parents must come before their children). */
export function cpioArchive(entries: readonly CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  entries.forEach((e, i) => {
    const name = e.path.replace(/^\/+/, "");
    if (name === "" || name.split("/").includes("..")) throw new Error(`cpio: bad path ${JSON.stringify(e.path)}`);
    const ino = i + 1;
    switch (e.kind) {
      case "dir":
        parts.push(...record(ino, S_IFDIR | (e.mode ?? 0o755), Buffer.alloc(0), name));
        break;
      case "file":
        parts.push(...record(ino, S_IFREG | (e.mode ?? 0o644), e.data, name));
        break;
      case "symlink":
        parts.push(...record(ino, S_IFLNK | 0o777, Buffer.from(e.target, "utf8"), name));
        break;
      case "chardev":
        parts.push(...record(ino, S_IFCHR | (e.mode ?? 0o600), Buffer.alloc(0), name, [e.major, e.minor]));
        break;
      default: {
        const never: never = e;
        throw new Error(`cpio: unknown entry ${JSON.stringify(never)}`);
      }
    }
  });
  parts.push(...record(0, 0, Buffer.alloc(0), "TRAILER!!!"));
  return Buffer.concat(parts);
}
