import { renderApplyScript } from "../../components/host/apply-script";
import { Concern } from "../../components/host/types";

/**
 * stage2's own apply script reads its payload from stdin and swaps the files in with shell variables ($path,
 * $stage). Those lines write exactly the payload's files, which the policies read from stdin, so they are left
 * out of the fail-closed reading — but only where they stand whole, as blocks of lines identical to the renderer's.
 */
// Every optional part filled with a probe's own text, so the common runs end wherever a concern's own lines go; with
// and without a unit file of its own (which makes the script reload systemd's units).
const probe = (name: string, unit: string, pkg: string, unitFile: boolean): Concern => ({
  name,
  packages: [pkg],
  masked: [`${unit}-masked`],
  prepare: [`${unit}-prepare`],
  activate: [`${unit}-activate`],
  files: unitFile ? [{ path: `/etc/systemd/system/${unit}.service`, content: "", mode: "0644" }] : [],
  services: [{ unit, onChange: "reload", direct: { running: `${unit}-running`, start: `${unit}-start`, reload: `${unit}-reload` } }],
});

function blocks(): string[][] {
  const out: string[][] = [];
  for (const [manager, unitFile] of [
    ["systemd", false],
    ["systemd", true],
    ["direct", false],
  ] as const) {
    const a = renderApplyScript(probe("probe-a", "unit-a", "pkg-a", unitFile), manager).split("\n");
    const b = new Set(renderApplyScript(probe("probe-b", "unit-b", "pkg-b", unitFile), manager).split("\n"));
    let run: string[] = [];
    for (const line of [...a, "\u0000"]) {
      if (b.has(line) && line.trim() !== "") run.push(line);
      else {
        if (run.length > 1) out.push(run);
        run = [];
      }
    }
  }
  return out;
}

let cached: string[][] | undefined;

/** The 1-based lines of `script` that are stage2's payload mechanics, standing whole. */
export function payloadMechanicsLines(script: string): Set<number> {
  cached ??= blocks();
  const lines = script.split("\n");
  const skip = new Set<number>();
  for (const block of cached) {
    for (let i = 0; i + block.length <= lines.length; i++) {
      if (block.every((l, k) => lines[i + k] === l)) for (let k = 0; k < block.length; k++) skip.add(i + k + 1);
    }
  }
  return skip;
}
