import * as fs from "fs";
import * as path from "path";
import { renderApplyScript } from "../components/host/apply-script";
import { concernEntry, concernResourceName } from "../components/concern-registry";
import { planGateway } from "../components/plan";
import { MANIFEST, writeRenderTo } from "./render-out";
import { floatingIpOf, LoadedStack } from "./stack-source";

export interface ManifestConcern {
  readonly concern: string;
  readonly command: string;
  readonly script: string;
  readonly packages: readonly string[];
  readonly masked: readonly string[];
  readonly files: { path: string; mode: string; owner: string; secret: boolean; validate?: string }[];
  readonly services: { unit: string; onChange: string }[];
  readonly activate: readonly string[];
}

/**
 * Writes every file each gateway would receive to <out>/<host>/<absolute path>, each concern's apply script to
 * <out>/<host>/.stage2/<concern>.sh, and <out>/manifest.json, all or nothing (see writeRenderTo). Returns the
 * number of files written.
 */
export function renderStackTo(loaded: LoadedStack, out: string): { files: number; manifest: Record<string, ManifestConcern[]> } {
  return writeRenderTo(out, (dir) => renderInto(loaded, dir));
}

function renderInto(loaded: LoadedStack, out: string): { files: number; manifest: Record<string, ManifestConcern[]> } {
  const manifest: Record<string, ManifestConcern[]> = {};
  let count = 0;
  for (const gw of loaded.stack.gateways) {
    const plan = planGateway(gw, { floatingIp: floatingIpOf(gw) }, loaded.secrets);
    const hostDir = path.join(out, gw.name);
    manifest[gw.name] = plan.concerns.map((concern) => {
      const command = concernResourceName(gw.name, concernEntry(concern.name).name);
      const script = path.join(gw.name, ".stage2", `${concern.name}.sh`);
      writeFile(path.join(out, script), renderApplyScript(concern, "systemd"), 0o755);
      for (const file of concern.files) {
        writeFile(path.join(hostDir, file.path), file.content, parseInt(file.mode, 8));
        count++;
      }
      return {
        concern: concern.name,
        command,
        script,
        packages: concern.packages,
        masked: concern.masked ?? [],
        files: concern.files.map((f) => ({ path: f.path, mode: f.mode, owner: f.owner ?? "root:root", secret: Boolean(f.secret), validate: f.validate })),
        services: concern.services.map((s) => ({ unit: s.unit, onChange: s.onChange })),
        activate: concern.activate ?? [],
      };
    });
  }
  writeFile(path.join(out, MANIFEST), JSON.stringify({ stack: loaded.file.stack, hosts: manifest }, null, 2) + "\n", 0o644);
  return { files: count, manifest };
}

function writeFile(file: string, content: string, mode: number): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content, { mode });
  fs.chmodSync(file, mode);
}
