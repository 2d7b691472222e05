import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { renderStackTo } from "../../cli/render-files";
import { loadStack } from "../../cli/stack-source";
import { stackFilePath } from "../../stacks/load";

const BIN = path.resolve(__dirname, "..", "..", "bin", "stage2");

function stage2(...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(BIN, args, { encoding: "utf8" });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

const DEV = loadStack(stackFilePath("dev"));
const PROD = loadStack(stackFilePath("prod"));

/** Every entry under `dir` (relative path → file content, "<dir>" or "-> link"), to compare trees exactly. */
function snapshot(dir: string): Record<string, string> {
  const tree: Record<string, string> = {};
  for (const rel of fs.readdirSync(dir, { recursive: true }).map(String).sort()) {
    const full = path.join(dir, rel);
    const st = fs.lstatSync(full);
    tree[rel] = st.isSymbolicLink() ? `-> ${fs.readlinkSync(full)}` : st.isDirectory() ? "<dir>" : fs.readFileSync(full, "utf8");
    tree[rel] += ` mode ${(st.mode & 0o7777).toString(8)}`;
  }
  return tree;
}

describe("stage2 render --out never deletes what it did not write", function () {
  this.timeout(60000);
  let tmp: string;
  beforeEach(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), "stage2-render-out-"))));
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("refuses an --out holding a user's folder that shares a gateway's name, names it, and changes nothing", () => {
    const out = path.join(tmp, "out");
    fs.mkdirSync(path.join(out, "gw-dev"), { recursive: true });
    fs.writeFileSync(path.join(out, "gw-dev", "notes.txt"), "mine\n");
    const before = snapshot(tmp);
    const r = stage2("render", "--stack", "dev", "--out", out);
    assert.equal(r.code, 1, r.out + r.err);
    assert.match(r.err, new RegExp(`holds what no stage2 render wrote .*${path.join(out, "gw-dev")}`));
    assert.deepEqual(snapshot(tmp), before);
  });

  it("refuses a folder of other files even when one is named manifest.json, and a previous render a user added to", () => {
    const out = path.join(tmp, "out");
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, "manifest.json"), '{"not":"stage2"}\n');
    let before = snapshot(tmp);
    assert.throws(() => renderStackTo(DEV, out), /holds what no stage2 render wrote .*manifest\.json/);
    assert.deepEqual(snapshot(tmp), before);

    fs.rmSync(out, { recursive: true });
    renderStackTo(DEV, out);
    fs.writeFileSync(path.join(out, "gw-dev", "etc", "swanctl", "mine.conf"), "mine\n");
    fs.symlinkSync("/etc", path.join(out, "gw-dev", "etc", "link"));
    before = snapshot(tmp);
    assert.throws(
      () => renderStackTo(DEV, out),
      (e: Error) => /gw-dev\/etc\/swanctl\/mine\.conf/.test(e.message) && /gw-dev\/etc\/link/.test(e.message),
    );
    assert.deepEqual(snapshot(tmp), before);
  });

  it("refuses --out / and --out /etc without reading or touching them", () => {
    for (const dir of ["/", "/etc"]) assert.throws(() => renderStackTo(DEV, dir), /holds what no stage2 render wrote/);
    assert.ok(!fs.readdirSync("/").some((e) => e.includes("stage2-new-")), "a staging folder was left in /");
    assert.ok(fs.existsSync("/etc/passwd"));
  });

  it("a render failing on the second gateway leaves the target exactly as it was", () => {
    const out = path.join(tmp, "out");
    renderStackTo(DEV, out);
    const before = snapshot(tmp);
    const [first, second] = PROD.stack.gateways.map((g) => PROD.stack.secretRefs.get(g.name) ?? []);
    const onlySecond = second.filter((ref) => !first.includes(ref));
    assert.ok(onlySecond.length > 0, "prod's second gateway needs a secret of its own");
    const secrets = { ...PROD.secrets };
    delete secrets[onlySecond[0]];
    assert.throws(() => renderStackTo({ ...PROD, secrets }, out), new RegExp(`stage2:${onlySecond[0]} is not set`));
    assert.deepEqual(snapshot(tmp), before);
  });

  it("re-renders over a previous render, replacing it whole (another stack's gateways go)", () => {
    const out = path.join(tmp, "out");
    renderStackTo(DEV, out);
    fs.chmodSync(out, 0o750);
    const r = stage2("render", "--stack", "prod", "--out", out);
    assert.equal(r.code, 0, r.err);
    const fresh = path.join(tmp, "fresh");
    renderStackTo(PROD, fresh);
    const got = snapshot(out);
    assert.deepEqual(Object.keys(got), Object.keys(snapshot(fresh)));
    assert.ok(!Object.keys(got).some((f) => f.startsWith("gw-dev")));
    assert.equal(fs.statSync(out).mode & 0o777, 0o750, "the folder keeps its mode");
    assert.deepEqual(fs.readdirSync(tmp).sort(), ["fresh", "out"], "nothing left beside the target");
    renderStackTo(PROD, out);
    assert.deepEqual(snapshot(out), snapshot(fresh));
  });

  it("renders into an empty folder that exists", () => {
    const out = path.join(tmp, "empty");
    fs.mkdirSync(out);
    renderStackTo(DEV, out);
    assert.ok(fs.existsSync(path.join(out, "manifest.json")));
  });
});
