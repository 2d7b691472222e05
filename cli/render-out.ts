import * as fs from "fs";
import * as path from "path";

/** What a render writes besides the hosts' files: it names everything the render wrote. */
export const MANIFEST = "manifest.json";

/** At most this many foreign entries are named when --out is refused. */
const NAMED = 5;

/**
 * The files a previous render wrote into `dir`, relative to it, as its own manifest.json lists them; undefined when
 * `dir` holds no manifest of a stage2 render.
 */
function previousRender(dir: string): Set<string> | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(fs.readFileSync(path.join(dir, MANIFEST), "utf8"));
  } catch {
    return undefined;
  }
  const hosts = (doc as { hosts?: unknown } | null)?.hosts;
  if (typeof hosts !== "object" || hosts === null || Array.isArray(hosts)) return undefined;
  const wrote = new Set<string>([MANIFEST]);
  for (const [host, concerns] of Object.entries(hosts)) {
    if (!Array.isArray(concerns)) return undefined;
    for (const c of concerns as Array<{ script?: unknown; files?: unknown }>) {
      if (typeof c?.script !== "string" || !Array.isArray(c.files)) return undefined;
      wrote.add(path.normalize(c.script));
      for (const f of c.files as Array<{ path?: unknown }>) {
        if (typeof f?.path !== "string") return undefined;
        wrote.add(path.normalize(path.join(host, f.path)));
      }
    }
  }
  return wrote;
}

/**
 * Checks that `dir` may be replaced by a new render: it is missing, empty, or holds only what a previous render's
 * manifest says that render wrote. Returns the previous render's files (relative) to remove later; throws naming
 * the first entries that no render wrote. Never descends into a folder no render wrote, so `--out /` stays cheap.
 */
function replaceable(dir: string): string[] {
  let top: fs.Dirent[];
  try {
    if (!fs.lstatSync(dir).isDirectory()) throw new Error(`--out ${dir} is not a folder; refusing to replace it`);
    top = fs.readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
  if (top.length === 0) return [];
  const wrote = previousRender(dir);
  const foreign: string[] = [];
  const ours: string[] = [];
  if (!wrote) {
    foreign.push(...top.slice(0, NAMED).map((e) => e.name));
  } else {
    const folders = new Set<string>();
    for (const f of wrote) for (let d = path.dirname(f); d !== "."; d = path.dirname(d)) folders.add(d);
    const walk = (rel: string, entries: fs.Dirent[]): void => {
      for (const e of entries) {
        if (foreign.length >= NAMED) return;
        const name = rel ? path.join(rel, e.name) : e.name;
        if (e.isFile() && wrote.has(name)) ours.push(name);
        else if (e.isDirectory() && folders.has(name)) walk(name, fs.readdirSync(path.join(dir, name), { withFileTypes: true }));
        else foreign.push(name);
      }
    };
    walk("", top);
  }
  if (foreign.length) {
    throw new Error(
      `--out ${dir} holds what no stage2 render wrote (its ${MANIFEST} does not list it): ` +
        `${foreign.map((f) => path.join(dir, f)).join(", ")}${foreign.length >= NAMED ? ", …" : ""}; ` +
        "nothing changed — give an empty or new folder",
    );
  }
  return ours;
}

/** Removes a previous render moved aside: only the files it wrote, then its folders if that left them empty. */
function removeRender(dir: string, files: readonly string[]): void {
  for (const f of files) fs.rmSync(path.join(dir, f), { force: true });
  const folders = new Set<string>();
  for (const f of files) for (let d = path.dirname(f); d !== "."; d = path.dirname(d)) folders.add(d);
  for (const d of [...folders].sort((a, b) => b.length - a.length)) fs.rmdirSync(path.join(dir, d));
  fs.rmdirSync(dir);
}

/**
 * Writes a whole render into `out`, or nothing: `write` fills a new folder beside `out`, which replaces `out` only
 * when `write` returned. An existing `out` must be empty or hold only a previous render (see `replaceable`).
 */
export function writeRenderTo<T>(outArg: string, write: (dir: string) => T): T {
  const out = path.resolve(outArg);
  const target = fs.existsSync(out) ? fs.realpathSync(out) : out;
  const previous = replaceable(target);
  const parent = path.dirname(target);
  fs.mkdirSync(parent, { recursive: true });
  const staging = fs.mkdtempSync(path.join(parent, `.${path.basename(target)}.stage2-new-`));
  let result: T;
  try {
    result = write(staging);
    const umask = process.umask();
    fs.chmodSync(staging, fs.existsSync(target) ? fs.statSync(target).mode & 0o7777 : 0o777 & ~umask);
  } catch (err) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw err;
  }
  if (previous.length === 0) {
    // rename(2) replaces a missing or empty folder in one step.
    try {
      fs.renameSync(staging, target);
    } catch (err) {
      fs.rmSync(staging, { recursive: true, force: true });
      throw new Error(`cannot move the render into ${target}: ${(err as Error).message}; nothing changed`);
    }
    return result;
  }
  const aside = fs.mkdtempSync(path.join(parent, `.${path.basename(target)}.stage2-old-`));
  fs.rmdirSync(aside);
  fs.renameSync(target, aside);
  try {
    fs.renameSync(staging, target);
  } catch (err) {
    fs.renameSync(aside, target);
    fs.rmSync(staging, { recursive: true, force: true });
    throw new Error(`cannot move the render into ${target}: ${(err as Error).message}; nothing changed`);
  }
  try {
    removeRender(aside, previous);
  } catch (err) {
    throw new Error(`rendered into ${target}, but the previous render, moved to ${aside}, now holds more than it wrote: ${(err as Error).message}`);
  }
  return result;
}
