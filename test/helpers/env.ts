import * as fs from "fs";
import * as path from "path";
import { SHARED_DIR } from "../../stacks/checkout";

export { SHARED_DIR };

export const inCI = (): boolean => process.env.CI === "true";

/**
 * Skips the calling suite with a visible reason, except under CI=true where a skip is a failure.
 * Use inside `before(function () { ... })`.
 */
export function skipUnless(ctx: Mocha.Context, ok: boolean, reason: string): void {
  if (ok) return;
  if (inCI()) throw new Error(`cannot run under CI=true: ${reason}`);
  console.log(`      SKIPPED: ${reason}`);
  ctx.skip();
}

export function requireRoot(ctx: Mocha.Context): void {
  skipUnless(ctx, process.getuid?.() === 0, "needs root (network namespaces and real daemons); run as root");
}

export function requireShared(ctx: Mocha.Context, sub = ""): string {
  const dir = path.join(SHARED_DIR, sub);
  skipUnless(ctx, fs.existsSync(dir), `${dir} not found: this clone has no ../shared beside it`);
  return dir;
}

export function requireTools(ctx: Mocha.Context, ...tools: string[]): void {
  const missing = tools.filter((t) => !findOnPath(t));
  skipUnless(ctx, missing.length === 0, `missing tools: ${missing.join(", ")} (run .ci/run or apt-get install them)`);
}

export function findOnPath(tool: string): string | undefined {
  if (tool.startsWith("/")) return fs.existsSync(tool) ? tool : undefined;
  for (const dir of (process.env.PATH ?? "").split(":").concat(["/usr/sbin", "/sbin"])) {
    const candidate = path.join(dir, tool);
    if (fs.existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** What the namespace lab runs: its tests require all of it (one list, so no suite forgets a tool). */
export const LAB_TOOLS = [
  "ip",
  "nsenter",
  "unshare",
  "flock",
  "sshd",
  "ssh",
  "pki",
  "/usr/lib/ipsec/charon",
  "swanctl",
  "bird",
  "birdc",
  "gobgpd",
  "gobgp",
  "wireguard-go",
  "wg",
  "nft",
  "tcpdump",
  "prometheus-node-exporter",
  "prometheus-bird-exporter",
] as const;
