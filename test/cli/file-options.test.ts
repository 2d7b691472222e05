import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { main } from "../../cli/main";

/** Runs the CLI in-process and returns what it wrote to stderr. */
async function stderrOf(...argv: string[]): Promise<{ code: number; err: string }> {
  let err = "";
  const stdout = process.stdout.write.bind(process.stdout);
  const stderr = process.stderr.write.bind(process.stderr);
  (process.stdout as { write: unknown }).write = () => true;
  (process.stderr as { write: unknown }).write = (chunk: string | Uint8Array) => ((err += String(chunk)), true);
  try {
    return { code: await main(argv), err };
  } finally {
    process.stdout.write = stdout;
    process.stderr.write = stderr;
  }
}

describe("CLI options that name a file: a directory or a missing file is reported by its path and a plain reason", () => {
  let dir: string;
  let conf: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "stage2-file-options-"));
    conf = path.join(dir, "swanctl.conf");
    fs.writeFileSync(conf, "connections {\n}\nsecrets {\n  ike-a {\n    secret = x\n  }\n}\n");
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("--config-file of render, preview and policy", async () => {
    for (const argv of [["render", "--out", path.join(dir, "out")], ["preview"], ["policy"]]) {
      const res = await stderrOf(...argv, "--config-file", dir);
      assert.deepStrictEqual([res.code, res.err], [1, `stage2 ${argv[0]}: ${dir}: cannot read: is a directory, not a file\n`]);
      const missing = await stderrOf(...argv, "--config-file", path.join(dir, "Pulumi.none.yaml"));
      assert.strictEqual(missing.err, `stage2 ${argv[0]}: ${path.join(dir, "Pulumi.none.yaml")}: cannot read: no such file\n`);
    }
  });

  it("--program of policy", async () => {
    assert.deepStrictEqual(await stderrOf("policy", "--program", dir), { code: 1, err: `stage2 policy: ${dir}: cannot read: is a directory, not a file\n` });
    const missing = path.join(dir, "none.ts");
    assert.deepStrictEqual(await stderrOf("policy", "--program", missing), { code: 1, err: `stage2 policy: ${missing}: cannot read: no such file\n` });
  });

  it("the file of swanctl check | fmt and import, import's --into and --secrets-to", async () => {
    for (const argv of [
      ["swanctl", "check", dir],
      ["swanctl", "fmt", dir],
      ["import", dir],
    ]) {
      assert.deepStrictEqual(await stderrOf(...argv), { code: 1, err: `${dir}: cannot read: is a directory, not a file\n` });
    }
    assert.deepStrictEqual(await stderrOf("import", conf, "--into", dir, "--gateway", "gw"), {
      code: 1,
      err: `stage2 import: ${dir}: cannot read: is a directory, not a file\n`,
    });
    const res = await stderrOf("import", conf, "--secrets-to", dir);
    assert.strictEqual(res.code, 1);
    assert.match(res.err, new RegExp(`^stage2 import: --secrets-to ${dir}: cannot write: is a directory, not a file$`, "m"));
  });
});
