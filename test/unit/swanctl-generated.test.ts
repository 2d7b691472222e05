import * as assert from "assert";
import * as fs from "fs";
import { DOCS_FILE, generateDocs } from "../../tools/swanctl-gen-docs";
import { OPT_FILE, OUT_FILE, generate, readOpt } from "../../tools/swanctl-gen-model";
import { keysOf, SWANCTL_SECTIONS, type SectionKind } from "../../components/strongswan/swanctl";
import { requireShared } from "../helpers/env";

describe("swanctl generated files are current", () => {
  it("options.generated.ts is what tools/swanctl-gen-model.ts makes of swanctl.opt", function () {
    requireShared(this, "reference/strongswan-5.9.8");
    assert.strictEqual(fs.readFileSync(OUT_FILE, "utf8"), generate(fs.readFileSync(OPT_FILE, "utf8")), "run: npx ts-node tools/swanctl-gen-model.ts");
  });

  it("every key of swanctl.opt is in the model, with its default", function () {
    requireShared(this, "reference/strongswan-5.9.8");
    const opt = readOpt(fs.readFileSync(OPT_FILE, "utf8")).filter((e) => !e.section && e.path !== "include");
    const model = new Map<string, string | undefined>();
    for (const kind of Object.keys(SWANCTL_SECTIONS) as SectionKind[]) {
      const paths = [SWANCTL_SECTIONS[kind].path as string, ...(kind === "cert" ? ["connections.<conn>.remote<suffix>.cert<suffix>"] : [])];
      for (const p of paths) for (const k of keysOf(kind)) model.set(`${p}.${k.key}`, k.default);
    }
    const missing = opt.filter((e) => !model.has(e.path)).map((e) => e.path);
    assert.deepStrictEqual(missing, []);
    assert.deepStrictEqual(
      opt.filter((e) => model.get(e.path) !== e.default).map((e) => e.path),
      [],
    );
    assert.strictEqual(opt.length, 137);
  });

  it("docs/swanctl-reference.md is what tools/swanctl-gen-docs.ts makes of the model", () => {
    assert.strictEqual(fs.readFileSync(DOCS_FILE, "utf8"), generateDocs(), "run: npx ts-node tools/swanctl-gen-docs.ts");
  });
});
