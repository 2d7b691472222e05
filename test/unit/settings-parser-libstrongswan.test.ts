import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fc from "fast-check";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseSettings, parseSettingsFile } from "../../components/strongswan/settings-parser";
import { renderSettings, section } from "../../components/strongswan/settings";
import { buildDump, libstrongswanOrder, oracleMissing, readWithLibstrongswan } from "../../tools/swanctl-libstrongswan";
import { requireShared, skipUnless } from "../helpers/env";

/** The parser against libstrongswan 5.9.8 itself (tools/swanctl-settings-dump.c): same files, same trees, same refusals. */
describe("settings parser agrees with libstrongswan", function () {
  let bin: string;
  let dir: string;
  before(function () {
    const missing = oracleMissing();
    skipUnless(this, missing === undefined, missing ?? "");
    bin = buildDump();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "stage2-oracle-"));
  });
  after(() => dir && fs.rmSync(dir, { recursive: true, force: true }));

  const compareText = (text: string): void => {
    const file = path.join(dir, "t.conf");
    fs.writeFileSync(file, text);
    const theirs = readWithLibstrongswan(bin, file);
    let mine;
    try {
      mine = parseSettings(text, { file });
    } catch (err) {
      // libstrongswan expands a section that inherits from its own ancestor without end (the dump shows a chain
      // of hundreds of nested sections); we refuse such a file instead.
      if (/the expansion never ends/.test((err as Error).message)) return;
      // A reference that leads back to itself crashes libstrongswan (SIGSEGV); we refuse it.
      if (/leads back to itself/.test((err as Error).message) && !theirs.ok) return;
      assert.ok(!theirs.ok, `we refused what libstrongswan read: ${(err as Error).message}\n${JSON.stringify(text)}`);
      return;
    }
    assert.ok(theirs.ok, `libstrongswan refused what we read:\n${JSON.stringify(text)}\n${theirs.ok ? "" : theirs.error}`);
    assert.deepStrictEqual(libstrongswanOrder(mine.tree), theirs.tree, JSON.stringify(text));
  };

  it("reads every swanctl file of strongSwan's test corpus exactly as libstrongswan does", function () {
    const corpus = requireShared(this, "corpus/strongswan-testing");
    const files = execFileSync("find", [corpus, "-name", "*.conf", "-path", "*swanctl*"], { encoding: "utf8" }).trim().split("\n");
    assert.ok(files.length >= 417, `found only ${files.length} files`);
    for (const file of files) {
      const theirs = readWithLibstrongswan(bin, file);
      assert.ok(theirs.ok, `${file}: ${theirs.ok ? "" : theirs.error}`);
      assert.deepStrictEqual(libstrongswanOrder(parseSettingsFile(file).tree), theirs.tree, file);
    }
  });

  it("reads this machine's /etc/strongswan.conf, with its strongswan.d includes, as libstrongswan does", function () {
    skipUnless(this, fs.existsSync("/etc/strongswan.conf"), "/etc/strongswan.conf not found");
    const theirs = readWithLibstrongswan(bin, "/etc/strongswan.conf");
    assert.ok(theirs.ok);
    const mine = parseSettingsFile("/etc/strongswan.conf");
    assert.ok(mine.files.length > 10, `only ${mine.files.length} files read`);
    assert.deepStrictEqual(libstrongswanOrder(mine.tree), theirs.tree);
  });

  it("agrees on what ends a comment: led by blanks, a carriage return; else the next newline, over carriage returns", () => {
    const texts = [
      "#\ra\n",
      "a = b #c\rd\nx = y\n",
      "#\ra",
      "a = b #c\r",
      "s {\n#\r}\n}\n",
      "s {\n#\r}",
      "\t#\r\\\r\n",
      " #c\rd = e\n",
      "\r #c\rd\n",
      " \r#c\rd\n",
    ];
    for (const text of texts) compareText(text);
    assert.deepStrictEqual(
      parseSettings("a = b #c\rd\nx = y\n").tree.entries.map((e) => e.key),
      ["a", "x"],
    );
  });

  it("agrees on random text made of the syntax's own characters (accepts and refuses the same)", () => {
    const token = fc.constantFrom(
      "a",
      "b",
      " ",
      "\t",
      "\n",
      "\r",
      "=",
      "{",
      "}",
      "#",
      '"',
      "\\",
      ":",
      ",",
      ".",
      "x.y",
      "'",
      "é",
      "\\n",
      "\\t",
      "\\r",
      "\\\r\n",
      '"x\\\r\ny"',
    );
    fc.assert(
      fc.property(fc.array(token, { maxLength: 30 }), (tokens) => compareText(tokens.join(""))),
      { numRuns: 300 },
    );
  });

  it("agrees on statement-shaped random text", () => {
    const name = fc.constantFrom("a", "b", "conn", "c-1");
    const word = fc.constantFrom("x", "1", "y z", '"q\\"r"', '"s#t"', "u#v", "", '"a\nb"', "'w'", "=", "{");
    const stmt = fc.oneof(
      fc.tuple(name, word).map(([n, w]) => `${n} = ${w}\n`),
      fc.tuple(name, fc.constantFrom("", " : a", " : conn.a, b", " : nope")).map(([n, r]) => `${n}${r} {\n`),
      fc.constant("}\n"),
      fc.constant("# comment\n"),
    );
    fc.assert(
      fc.property(fc.array(stmt, { maxLength: 14 }), (stmts) => compareText(stmts.join(""))),
      { numRuns: 300 },
    );
  });

  it("reads what the serializer writes, hostile values included, as libstrongswan does", () => {
    const value = fc.fullUnicodeString({ maxLength: 10 }).filter((t) => !/[\u0000-\u001f\u007f]/.test(t));
    fc.assert(
      fc.property(fc.array(value, { minLength: 1, maxLength: 4 }), (values) => {
        const fields: Record<string, string> = {};
        values.forEach((val, i) => (fields[`k${i}`] = val));
        compareText(renderSettings(section({ conn: section(fields) })));
      }),
      { numRuns: 200 },
    );
  });
});
