import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { renderApplyScript } from "../../components/host/apply-script";
import { encodePayload } from "../../components/host/payload";
import { Concern, HostFile } from "../../components/host/types";
import { requireRoot } from "../helpers/env";
import { applySync } from "./sandbox";

/** Runs the real apply script with bash against files in a temp dir, the way the remote command runs it. */
describe("apply script (bash, executed)", function () {
  let dir: string;
  const owner = `${os.userInfo().username}:${spawnSync("id", ["-gn"]).stdout.toString().trim()}`;
  const concern = (files: HostFile[], reload: string): Concern => ({
    name: "demo",
    packages: [],
    files,
    services: [
      {
        unit: "demo",
        onChange: "reload",
        direct: { running: `test -e ${dir}/running`, start: `touch ${dir}/running; echo start >> ${dir}/log`, reload },
      },
    ],
  });
  const apply = (c: Concern, env: Record<string, string> = {}) => applySync(dir, renderApplyScript(c, "direct"), encodePayload(c.files), env);
  const file = (name: string, content: string, extra: Partial<HostFile> = {}): HostFile => ({
    path: path.join(dir, "etc", name),
    content,
    mode: "0644",
    owner,
    ...extra,
  });
  const reload = () => `echo reload >> ${dir}/log`;

  before(function () {
    requireRoot(this);
  });
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "stage2-apply-"));
    process.env.STAGE2_TEST_DIR = dir;
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("writes new files with their mode, starts the service once and reloads", () => {
    const c = concern([file("a.conf", "alpha\n"), file("secret.conf", 'psk = "x"\n', { mode: "0600", secret: true })], reload());
    const r = apply(c);
    assert.equal(r.code, 0, r.err);
    assert.equal(fs.readFileSync(path.join(dir, "etc/a.conf"), "utf8"), "alpha\n");
    assert.equal((fs.statSync(path.join(dir, "etc/secret.conf")).mode & 0o777).toString(8), "600");
    assert.equal(fs.readFileSync(path.join(dir, "log"), "utf8"), "start\nreload\n");
    assert.match(r.out, /stage2: demo: changed 2 file\(s\)/);
    assert.match(r.out, /stage2: demo: activated/);
  });

  it("a second run with the same payload changes and reloads nothing", () => {
    const c = concern([file("a.conf", "alpha\n")], reload());
    assert.equal(apply(c).code, 0);
    const second = apply(c);
    assert.equal(second.code, 0, second.err);
    assert.equal(second.out.trim(), "stage2: demo: unchanged");
    assert.equal(fs.readFileSync(path.join(dir, "log"), "utf8"), "start\nreload\n");
  });

  it("a file the validator rejects is never swapped in, and nothing reloads", () => {
    assert.equal(apply(concern([file("a.conf", "good\n", { validate: 'grep -q good "$STAGED"' })], reload())).code, 0);
    const bad = apply(concern([file("a.conf", "bad\n", { validate: 'grep good "$STAGED" || { echo "line 1: bad value" >&2; exit 3; }' })], reload()));
    assert.equal(bad.code, 1);
    assert.match(bad.err, /rejected by .*nothing changed: line 1: bad value/);
    assert.equal(fs.readFileSync(path.join(dir, "etc/a.conf"), "utf8"), "good\n");
    assert.equal(fs.readFileSync(path.join(dir, "log"), "utf8"), "start\nreload\n");
  });

  it("when the reload fails the previous files come back and are reloaded; the daemon's message is the error", () => {
    assert.equal(apply(concern([file("a.conf", "v1\n")], reload())).code, 0);
    const failing = `if grep -q v2 ${dir}/etc/a.conf; then echo "daemon: unknown option in v2" >&2; exit 1; fi; echo reload >> ${dir}/log`;
    const r = apply(concern([file("a.conf", "v2\n")], failing));
    assert.equal(r.code, 1);
    assert.match(r.err, /activation failed, previous files restored: daemon: unknown option in v2/);
    assert.equal(fs.readFileSync(path.join(dir, "etc/a.conf"), "utf8"), "v1\n");
    assert.equal(fs.readFileSync(path.join(dir, "log"), "utf8"), "start\nreload\nreload\n");
  });

  it("a failed activate step is not hidden by a later one that succeeds", () => {
    const c: Concern = { ...concern([file("a.conf", "x\n")], reload()), activate: [`echo "step 1 broke" >&2; false`, `echo step2 >> ${dir}/log`] };
    const r = apply(c);
    assert.equal(r.code, 1);
    assert.match(r.err, /activation failed, previous files restored: step 1 broke/);
    assert.equal(fs.existsSync(path.join(dir, "etc/a.conf")), false);
  });

  it("a file that did not exist before is removed again when activation fails", () => {
    const r = apply(concern([file("new.conf", "x\n")], "false"));
    assert.equal(r.code, 1);
    assert.equal(fs.existsSync(path.join(dir, "etc/new.conf")), false);
  });

  it("restarts a stopped service on a re-run even when nothing changed", () => {
    const c = concern([file("a.conf", "alpha\n")], reload());
    assert.equal(apply(c).code, 0);
    fs.rmSync(path.join(dir, "running"));
    assert.equal(apply(c).code, 0);
    assert.equal(fs.readFileSync(path.join(dir, "log"), "utf8"), "start\nreload\nstart\n");
  });

  it("carries content byte for byte, whatever it holds", () => {
    const tricky = "a 'quoted' \"line\"\n$(rm -rf /) `x` \\n EOF\n\ttab\n\n";
    assert.equal(apply(concern([file("t.conf", tricky)], reload())).code, 0);
    assert.equal(fs.readFileSync(path.join(dir, "etc/t.conf"), "utf8"), tricky);
  });
});
