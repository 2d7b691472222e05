import { execFileSync, spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { quoteSettingsValue, type SettingsEntry, type SettingsSection } from "../components/strongswan/settings";

/**
 * libstrongswan's own settings parser as an oracle: tools/swanctl-settings-dump.c, compiled against the
 * installed library, prints what libstrongswan reads from a file.
 */

export const LIBSTRONGSWAN_DIR = "/usr/lib/ipsec";
const SOURCE = path.join(__dirname, "swanctl-settings-dump.c");

/** Why the oracle cannot run here, or undefined when it can. */
export function oracleMissing(): string | undefined {
  if (!fs.existsSync(path.join(LIBSTRONGSWAN_DIR, "libstrongswan.so"))) return `${LIBSTRONGSWAN_DIR}/libstrongswan.so not found (strongswan-libcharon)`;
  if (spawnSync("gcc", ["--version"]).status !== 0) return "gcc not found";
  return undefined;
}

/** Compiles the dump tool once per source version; returns the binary's path. */
export function buildDump(): string {
  const source = fs.readFileSync(SOURCE);
  const hash = crypto.createHash("sha256").update(source).digest("hex").slice(0, 12);
  const bin = path.join(os.tmpdir(), `stage2-settings-dump-${hash}`);
  if (!fs.existsSync(bin)) {
    const tmp = `${bin}.${process.pid}`;
    execFileSync("gcc", ["-O1", "-o", tmp, SOURCE, `-L${LIBSTRONGSWAN_DIR}`, "-lstrongswan", `-Wl,-rpath,${LIBSTRONGSWAN_DIR}`]);
    fs.renameSync(tmp, bin);
  }
  return bin;
}

type Dumped = ["v", string, string] | ["s", string, Dumped[]];

/** What libstrongswan read from `file`, or its error output when it refused the file. */
export function readWithLibstrongswan(bin: string, file: string): { ok: true; tree: SettingsSection } | { ok: false; error: string } {
  // An empty strongswan.conf for library_init, so the host's own configuration plays no part.
  const res = spawnSync(bin, [file], { encoding: "utf8", env: { ...process.env, STRONGSWAN_CONF: "/dev/null" } });
  if (res.status !== 0) return { ok: false, error: `${res.stdout}${res.stderr}`.trim() };
  const toSection = (items: Dumped[]): SettingsSection => ({
    entries: items.map((item): SettingsEntry =>
      item[0] === "v" ? { kind: "value", key: item[1], value: quoteSettingsValue(item[2]) } : { kind: "section", key: item[1], section: toSection(item[2]) },
    ),
  });
  return { ok: true, tree: toSection(JSON.parse(res.stdout) as Dumped[]) };
}

/** libstrongswan enumerates a section's keys before its subsections; put a tree in that order to compare. */
export function libstrongswanOrder(sec: SettingsSection): SettingsSection {
  const values = sec.entries.filter((e) => e.kind === "value");
  const sections = sec.entries.flatMap((e): SettingsEntry[] => (e.kind === "section" ? [{ ...e, section: libstrongswanOrder(e.section) }] : []));
  return { entries: [...values, ...sections] };
}
