import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { renderApplyScript, STEP_HOOK, STEPS } from "../../components/host/apply-script";
import { encodePayload, payloadDigest } from "../../components/host/payload";
import { Concern } from "../../components/host/types";
import { interruptedScript } from "../../lab/interrupt-hook";
import { requireRoot } from "../helpers/env";
import { applyAsync, applySync, stateDir } from "./sandbox";

/**
 * The apply script as a transaction, run with bash against a sandboxed /var/lib: a lock per host, a payload
 * checked whole, a journal that makes the next run finish what an interrupted one left, staging that never
 * outlives a run. The "daemon" logs the files it loaded on each reload: its last line is what it runs.
 */
describe("apply script: transactional apply (lock, checked payload, journal, staging)", function () {
  let dir: string;
  const owner = `${os.userInfo().username}:${spawnSync("id", ["-gn"]).stdout.toString().trim()}`;
  const version = (v: string, reload?: string): Concern => ({
    name: "demo",
    packages: [],
    files: ["a.conf", "b.conf"].map((f) => ({ path: path.join(dir, "etc", f), content: `${v}\n`, mode: "0600", owner, secret: true })),
    services: [
      {
        unit: "demo",
        onChange: "reload",
        direct: { running: "true", start: "true", reload: reload ?? `echo "loaded $(cat ${dir}/etc/a.conf) $(cat ${dir}/etc/b.conf)" >> ${dir}/log` },
      },
    ],
  });
  const script = (c: Concern) => renderApplyScript(c, "direct");
  const apply = (c: Concern, env: Record<string, string> = {}) => applySync(dir, script(c), encodePayload(c.files), env);
  const files = () => ["a.conf", "b.conf"].map((f) => fs.readFileSync(path.join(dir, "etc", f), "utf8").trim());
  const daemon = () => fs.readFileSync(path.join(dir, "log"), "utf8").trim().split("\n").pop();
  const state = () => (fs.existsSync(stateDir(dir, "demo")) ? fs.readdirSync(stateDir(dir, "demo")).sort() : []);

  before(function () {
    requireRoot(this);
  });
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "stage2-txn-"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("a payload cut short or altered is refused whole: no file, no reload, no journal entry changes", () => {
    assert.equal(apply(version("v1")).code, 0);
    const v2 = encodePayload(version("v2").files);
    const cut = applySync(dir, script(version("v2")), v2.slice(0, v2.length - 20));
    assert.equal(cut.code, 1);
    assert.match(cut.err, /payload incomplete: \d+ of \d+ bytes arrived, nothing changed/);
    const flipped = v2.replace(
      /\n(F [^\n]+)\n([A-Za-z0-9+/]+)/,
      (_m, head: string, body: string) => `\n${head}\n${body.slice(0, -2)}${body.endsWith("AA") ? "BA" : "AA"}`,
    );
    assert.notEqual(flipped, v2);
    const bad = applySync(dir, script(version("v2")), flipped);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /payload corrupt: checksum mismatch, nothing changed/);
    assert.deepEqual(files(), ["v1", "v1"]);
    assert.equal(daemon(), "loaded v1 v1");
    assert.deepEqual(state(), ["active", "files"]);
    assert.equal(fs.readFileSync(path.join(stateDir(dir, "demo"), "active"), "utf8").trim(), payloadDigest(encodePayload(version("v1").files)));
  });

  it("one run per host: a second run that cannot get the lock in time fails naming the holder's pid and start time", async () => {
    const slow = version("v1", `sleep 3; echo "loaded $(cat ${dir}/etc/a.conf)" >> ${dir}/log`);
    const first = applyAsync(dir, script(slow), encodePayload(slow.files));
    await waitFor(() => fs.existsSync(path.join(dir, "etc", "a.conf")));
    const second = apply(version("v2"), { STAGE2_LOCK_WAIT: "0" });
    assert.equal(second.code, 1);
    assert.match(
      second.err,
      new RegExp(
        `another converge holds this host \\(/var/lib/stage2/\\.lock\\) for more than 0s: pid ${first.pid}, started \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ`,
      ),
    );
    assert.equal((await first.done).code, 0);
    assert.deepEqual(files(), ["v1", "v1"]);
  });

  it("two runs at once: the second waits for the first, then applies whole; never a mix", async () => {
    const slow = version("v1", `sleep 2; echo "loaded $(cat ${dir}/etc/a.conf) $(cat ${dir}/etc/b.conf)" >> ${dir}/log`);
    const first = applyAsync(dir, script(slow), encodePayload(slow.files));
    await waitFor(() => fs.existsSync(path.join(dir, "etc", "a.conf")));
    const second = applyAsync(dir, script(version("v2")), encodePayload(version("v2").files));
    const [a, b] = await Promise.all([first.done, second.done]);
    assert.equal(a.code, 0, a.err);
    assert.equal(b.code, 0, b.err);
    assert.match(b.out, new RegExp(`waiting up to 300s for the converge holding this host: pid ${first.pid}`));
    assert.deepEqual(fs.readFileSync(path.join(dir, "log"), "utf8").trim().split("\n"), ["loaded v1 v1", "loaded v2 v2"]);
    assert.deepEqual(files(), ["v2", "v2"]);
  });

  for (const at of STEPS) {
    it(`killed (SIGKILL) at ${at}: the next ordinary run activates the new files, and no staging is left`, () => {
      assert.equal(apply(version("v1")).code, 0);
      const killed = applySync(dir, interruptedScript(script(version("v2")), at, "kill"), encodePayload(version("v2").files));
      assert.equal(killed.code, null, `${at}: not killed: ${killed.out}${killed.err}`);
      const left = state().filter((f) => f.startsWith("stage."));
      assert.equal(left.length, 1, `${at}: SIGKILL runs no trap, so its staging is left for the next run: ${state()}`);
      assert.equal((fs.statSync(path.join(stateDir(dir, "demo"), left[0])).mode & 0o777).toString(8), "700");
      const next = apply(version("v2"));
      assert.equal(next.code, 0, next.err);
      assert.match(next.out, /stage2: demo: activated/);
      assert.deepEqual(files(), ["v2", "v2"]);
      assert.equal(daemon(), "loaded v2 v2");
      assert.deepEqual(state(), ["active", "files"]);
      assert.equal(apply(version("v2")).out.trim(), "stage2: demo: unchanged");
    });
  }

  it("killed between two files of the swap: the next run first puts the previous files back", () => {
    assert.equal(apply(version("v1")).code, 0);
    applySync(dir, interruptedScript(script(version("v2")), "swapping", "kill"), encodePayload(version("v2").files));
    assert.deepEqual(files(), ["v2", "v1"]);
    const next = apply(version("v3"));
    assert.match(next.out, /an interrupted run left a change half-done: its previous files are back, this run activates/);
    assert.deepEqual(files(), ["v3", "v3"]);
    assert.equal(daemon(), "loaded v3 v3");
  });

  it("a concern sharing the daemon runs first: it puts the other's half-swapped files back before it reloads, and that one's next run activates", () => {
    // swanctl-secrets reloads charon too, and runs before swanctl: charon must never load swanctl's half-swap.
    const other = { ...version("v1"), name: "other", files: version("v1").files.map((f) => ({ ...f, path: f.path.replace(".conf", ".other") })) };
    const otherV2 = { ...other, files: other.files.map((f) => ({ ...f, content: "v2\n" })) };
    const read = () => ["a.other", "b.other"].map((f) => fs.readFileSync(path.join(dir, "etc", f), "utf8").trim());
    assert.equal(apply(version("v1")).code, 0);
    assert.equal(applySync(dir, script(other), encodePayload(other.files)).code, 0);
    applySync(dir, interruptedScript(script(otherV2), "swapping", "kill"), encodePayload(otherV2.files));
    assert.deepEqual(read(), ["v2", "v1"]);
    const mine = apply(version("v2"));
    assert.equal(mine.code, 0, mine.err);
    assert.match(mine.out, /^stage2: demo: an interrupted run of other left a change half-done: its previous files are back \(its next run activates\)$/m);
    assert.deepEqual(read(), ["v1", "v1"]);
    assert.deepEqual(fs.readdirSync(stateDir(dir, "other")).sort(), ["files"]);
    const again = applySync(dir, script(otherV2), encodePayload(otherV2.files));
    assert.match(again.out, /stage2: other: activated/);
    assert.deepEqual(read(), ["v2", "v2"]);
  });

  it("files equal but never activated (killed after the swap): the next run activates instead of saying unchanged", () => {
    assert.equal(apply(version("v1")).code, 0);
    applySync(dir, interruptedScript(script(version("v2")), "swapped", "kill"), encodePayload(version("v2").files));
    assert.deepEqual(files(), ["v2", "v2"]);
    assert.equal(daemon(), "loaded v1 v1");
    // Without the journal this run would see equal files and print `unchanged`.
    fs.rmSync(
      path.join(
        stateDir(dir, "demo"),
        fs.readdirSync(stateDir(dir, "demo")).find((f) => f.startsWith("stage."))!,
      ),
      { recursive: true },
    );
    const next = apply(version("v2"));
    assert.match(next.out, /activated/);
    assert.equal(daemon(), "loaded v2 v2");
  });

  it("told to stop (SIGTERM) during activation: the previous files come back and are activated, staging removed", () => {
    assert.equal(apply(version("v1")).code, 0);
    const hook = (s: string) => s.replace(STEP_HOOK, () => 'step() { [ "$1" != activating ] || kill -TERM $$; }');
    const r = applySync(dir, hook(script(version("v2"))), encodePayload(version("v2").files));
    assert.notEqual(r.code, 0);
    assert.deepEqual(files(), ["v1", "v1"]);
    assert.equal(daemon(), "loaded v1 v1");
    assert.deepEqual(state(), ["active", "files"]);
    assert.equal(apply(version("v1")).out.trim(), "stage2: demo: unchanged");
  });

  it("every exit path removes staging: a refused file, a failed activation, success", () => {
    const reject = { ...version("v1"), files: version("v1").files.map((f) => ({ ...f, validate: "false" })) };
    assert.equal(apply(reject).code, 1);
    assert.equal(apply(version("v1", "false")).code, 1);
    assert.equal(apply(version("v1")).code, 0);
    assert.deepEqual(state(), ["active", "files"]);
  });

  describe("files a concern no longer carries", () => {
    const at = (f: string) => path.join(dir, "etc", f);
    const concern = (names: string[], reload?: string): Concern => ({
      name: "demo",
      packages: [],
      files: names.map((f) => ({ path: at(f), content: `${f}\n`, mode: "0600", owner, secret: f.endsWith(".key") })),
      services: [{ unit: "demo", onChange: "reload", direct: { running: "true", start: "true", reload: reload ?? `ls ${dir}/etc >> ${dir}/log` } }],
    });
    const present = () => fs.readdirSync(path.join(dir, "etc")).sort();

    it("removes what an earlier run wrote and the stack dropped (a site's certificate and key), never a file it did not write", () => {
      fs.mkdirSync(path.join(dir, "etc"));
      fs.writeFileSync(at("operator.conf"), "the operator's own\n");
      assert.equal(apply(concern(["swanctl.conf", "site.pem", "site.key"])).code, 0);
      const r = apply(concern(["swanctl.conf"]));
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, new RegExp(`removed 2 file\\(s\\) it wrote before, no longer in the stack: ${at("site.pem")} ${at("site.key")}\n`));
      assert.deepEqual(present(), ["operator.conf", "swanctl.conf"]);
      assert.equal(fs.readFileSync(at("operator.conf"), "utf8"), "the operator's own\n");
      assert.equal(apply(concern(["swanctl.conf"])).out.trim(), "stage2: demo: unchanged");
    });

    it("leaves a dropped file someone changed since stage2 wrote it, and a record line without a digest, naming the first", () => {
      assert.equal(apply(concern(["swanctl.conf", "site.pem", "site.key"])).code, 0);
      fs.writeFileSync(at("site.pem"), "replaced by the operator\n");
      const record = path.join(stateDir(dir, "demo"), "files");
      fs.appendFileSync(record, `${at("planted.conf")}\n`);
      fs.writeFileSync(at("planted.conf"), "not stage2's\n");
      const r = apply(concern(["swanctl.conf"]));
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, new RegExp(`left ${at("site.pem")}: no longer in the stack, but not what stage2 wrote there\n`));
      assert.match(r.out, new RegExp(`removed 1 file\\(s\\) it wrote before, no longer in the stack: ${at("site.key")}\n`));
      assert.deepEqual(present(), ["planted.conf", "site.pem", "swanctl.conf"]);
    });

    it("a refused activation puts the removed files back", () => {
      assert.equal(apply(concern(["swanctl.conf", "site.key"])).code, 0);
      const r = apply(concern(["swanctl.conf"], "false"));
      assert.equal(r.code, 1);
      assert.deepEqual(present(), ["site.key", "swanctl.conf"]);
      assert.equal(fs.readFileSync(at("site.key"), "utf8"), "site.key\n");
      // The next run still knows it wrote site.key.
      assert.match(apply(concern(["swanctl.conf"])).out, /removed 1 file\(s\)/);
      assert.deepEqual(present(), ["swanctl.conf"]);
    });
  });
});

async function waitFor(ok: () => boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 50));
  }
}
