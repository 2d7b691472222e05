import * as fs from "fs";
import { pickKernel } from "../../lab/kernel/modules";
import { requireRoot, requireTools, skipUnless } from "./env";

/** The kernel lab's needs: root, qemu, ssh, busybox, and a Debian kernel with its modules. */
export function requireVm(ctx: Mocha.Context): void {
  requireRoot(ctx);
  requireTools(ctx, "qemu-system-x86_64", "ssh", "ssh-keygen", "/bin/busybox");
  let kernel = "";
  try {
    kernel = pickKernel().image;
  } catch (e) {
    kernel = "";
  }
  skipUnless(ctx, kernel !== "" && fs.existsSync(kernel), "no /boot/vmlinuz-* with /lib/modules: apt-get install linux-image-amd64");
}
