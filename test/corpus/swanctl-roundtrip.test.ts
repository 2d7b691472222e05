import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseSettings } from "../../components/strongswan/settings-parser";
import { errorsOf, readSwanctlFile, renderDocument, settingsDifference, type SwanctlFile } from "../../components/strongswan/swanctl";
import { CharonSandbox, charonMissing, type LoadResult } from "../../lab/charon-sandbox";
import { copyCase, corpusFiles, corpusRoot, credentialRefs, placeholderMap } from "../../lab/swanctl-corpus";
import { SHARED_DIR, requireShared, skipUnless } from "../helpers/env";

/**
 * Every swanctl.conf of strongSwan's own test corpus: parse → model → render → parse gives the same tree, and
 * charon 5.9.8 accepts the rendered file whenever it accepts the original.
 *
 * "Accepted" = swanctl --load-all reached the connections and charon loaded every connection and pool without
 * a configuration error. Credential files exist only in strongSwan's test environment; one generated RSA
 * certificate/key stands in for each file a connection or authority names, so missing files never decide.
 */
describe("swanctl corpus round trip (strongSwan's test scenarios)", function () {
  this.timeout(180000);

  interface Case {
    readonly rel: string;
    readonly original: string;
    readonly rendered: string;
    readonly read?: SwanctlFile;
    readonly parseError?: string;
    readonly difference?: string;
  }
  const cases: Case[] = [];
  let scratch = "";

  before(function () {
    requireShared(this, "corpus/strongswan-testing");
    const root = corpusRoot(SHARED_DIR);
    const map = placeholderMap(root);
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), "stage2-corpus-"));
    corpusFiles(root).forEach((file, i) => {
      const rel = path.relative(root, file);
      const original = copyCase(file, path.join(scratch, `${i}`, "original"), map);
      const rendered = path.join(scratch, `${i}`, "rendered", "swanctl.conf");
      fs.mkdirSync(path.dirname(rendered), { recursive: true });
      let read: SwanctlFile;
      try {
        read = readSwanctlFile(original);
      } catch (err) {
        cases.push({ rel, original, rendered, parseError: (err as Error).message });
        return;
      }
      const text = renderDocument(read.document);
      fs.writeFileSync(rendered, text);
      let difference: string | undefined;
      try {
        difference = settingsDifference(read.parsed.tree, parseSettings(text, { file: rendered }).tree);
      } catch (err) {
        difference = `the rendered file does not parse: ${(err as Error).message}`;
      }
      cases.push({ rel, original, rendered, read, difference });
    });
  });
  after(() => scratch && fs.rmSync(scratch, { recursive: true, force: true }));

  const parsed = () => cases.filter((c) => c.read);
  const roundTripped = () => cases.filter((c) => c.read && !c.difference);

  it("parses every file and round-trips it through the model to the same tree", () => {
    assert.ok(cases.length >= 417, `expected the ~417 swanctl.conf files of the corpus, found ${cases.length}`);
    console.log(`      parsed ${parsed().length}/${cases.length}, round-tripped ${roundTripped().length}/${cases.length}`);
    assert.deepStrictEqual(
      cases.filter((c) => c.parseError).map((c) => `${c.rel}: ${c.parseError}`),
      [],
    );
    assert.deepStrictEqual(
      cases.filter((c) => c.difference).map((c) => `${c.rel}: ${c.difference}`),
      [],
    );
  });

  it("renders canonically: formatting a rendered file changes nothing", () => {
    for (const c of parsed()) {
      const first = fs.readFileSync(c.rendered, "utf8");
      assert.strictEqual(renderDocument(readSwanctlFile(c.rendered).document), first, c.rel);
    }
  });

  it("charon 5.9.8 loads every rendered file whose original it loads", async function () {
    const missing = charonMissing();
    skipUnless(this, missing === undefined, `loading into charon: ${missing}`);
    const box = await CharonSandbox.start();
    const rejectedByCharon: string[] = [];
    const againstUs: string[] = [];
    const modelStricter: string[] = [];
    const modelLaxer: string[] = [];
    let loaded = 0;
    try {
      for (const c of parsed()) {
        const read = c.read as SwanctlFile;
        const refs = credentialRefs(read.document);
        box.provideCredentials(path.dirname(c.original), refs);
        box.provideCredentials(path.dirname(c.rendered), refs);
        const ours: LoadResult = box.load(c.rendered);
        const theirs: LoadResult = box.load(c.original);
        const reasons = (r: LoadResult) => r.failures.map((f) => `${f.what} ${f.name}: ${f.reason}`).join("; ") || r.output.trim().split("\n").slice(-1)[0];
        if (ours.accepted) loaded++;
        if (!theirs.accepted) rejectedByCharon.push(`${c.rel}: ${reasons(theirs)}`);
        if (ours.accepted !== theirs.accepted)
          againstUs.push(`${c.rel}: original ${theirs.accepted ? "loads" : "fails"}, rendered ${ours.accepted ? "loads" : `fails: ${reasons(ours)}`}`);
        const modelOk = errorsOf(read).length === 0;
        if (!modelOk && theirs.accepted)
          modelStricter.push(
            `${c.rel}: ${errorsOf(read)
              .map((p) => p.message)
              .join("; ")}`,
          );
        if (modelOk && !theirs.accepted) modelLaxer.push(`${c.rel}: charon says ${reasons(theirs)}`);
      }
    } finally {
      await box.stop();
    }
    const n = cases.length;
    console.log(`      parsed ${parsed().length}/${n}, round-tripped ${roundTripped().length}/${n}, loaded by charon ${loaded}/${n}`);
    console.log(`      charon 5.9.8 rejects ${rejectedByCharon.length} files in their original form too (newer strongSwan features):`);
    rejectedByCharon.forEach((line) => console.log(`        ${line}`));
    if (modelStricter.length) {
      console.log(`      the model reports errors where charon loads anyway (charon does not check these at load time):`);
      modelStricter.forEach((line) => console.log(`        ${line}`));
    }
    assert.deepStrictEqual(againstUs, [], "a rendered file must load exactly when its original loads");
    // Every file charon refuses, `stage2 swanctl check` refuses too.
    assert.deepStrictEqual(modelLaxer, [], "the model must find an error wherever charon 5.9.8 rejects a file");
    assert.strictEqual(loaded + rejectedByCharon.length, parsed().length);
  });
});
