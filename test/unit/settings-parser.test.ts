import * as assert from "assert";
import * as fc from "fast-check";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { MAX_NESTING, SettingsParseError, expandGlob, parseSettings, parseSettingsFile } from "../../components/strongswan/settings-parser";
import {
  SettingsEntry,
  SettingsSection,
  SettingsSyntaxError,
  quoteSettingsValue,
  renderSettings,
  section,
  unquoteSettingsValue,
} from "../../components/strongswan/settings";

const v = (key: string, value: string): SettingsEntry => ({ kind: "value", key, value: quoteSettingsValue(value) });
const s = (key: string, ...entries: SettingsEntry[]): SettingsEntry => ({ kind: "section", key, section: { entries } });
const tree = (text: string): SettingsEntry[] => [...parseSettings(text).tree.entries];

describe("settings parser: lexical rules (as libstrongswan 5.9.8 reads them)", () => {
  it("reads sections, values and comments", () => {
    assert.deepStrictEqual(tree("a {\n b = 1 # c\n c { d = x }\n}\n# end\ne = 2"), [s("a", v("b", "1"), s("c", v("d", "x"))), v("e", "2")]);
  });

  it('keeps any character but whitespace and #}" in a bare value, and joins words with one space', () => {
    assert.deepStrictEqual(tree("a = x=y,z:{w[]*!$%^&()|;<>?/\\~`'@+.\n"), [v("a", "x=y,z:{w[]*!$%^&()|;<>?/\\~`'@+.")]);
    assert.deepStrictEqual(tree("a = x   y\t\tz\n"), [v("a", "x y z")]);
    assert.deepStrictEqual(tree("a = 1 = 2\n"), [v("a", "1 = 2")]);
    assert.deepStrictEqual(tree("a = x\ry\r\n"), [v("a", "x y")]);
  });

  it("ends a bare word at # and }", () => {
    assert.deepStrictEqual(tree("a = b#c\nd = e # f\n"), [v("a", "b"), v("d", "e")]);
    assert.deepStrictEqual(tree("s { x = 1 }y = 2\n"), [s("s", v("x", "1")), v("y", "2")]);
  });

  it("reads quoted strings with \\n \\r \\t escapes, other escapes as the character, and literal newlines", () => {
    assert.deepStrictEqual(tree('a = "x\\r\\b\\f\\a\\q\\\\\\$\\0"\n'), [v("a", "x\rbfaq\\$0")]);
    assert.deepStrictEqual(tree('a = "x\\ty\\"z\\\\w\\nq"\n'), [v("a", 'x\ty"z\\w\nq')]);
    assert.deepStrictEqual(tree('a = "x\ny"\n'), [v("a", "x\ny")]);
    assert.deepStrictEqual(tree('a = "x\\\ny"\n'), [v("a", "xy")]);
    assert.deepStrictEqual(tree('a = "x\\\r\ny"\nb = "p\\r\nq"\nc = "u\\\rv"\n'), [v("a", "xy"), v("b", "p\r\nq"), v("c", "u\rv")]);
    assert.deepStrictEqual(tree('a = "h#i" "j}k"\n'), [v("a", "h#i j}k")]);
  });

  it("reads strongSwan's own single-quote example the way strongSwan does: quotes are not special", () => {
    assert.deepStrictEqual(tree(`secret = 'My "home" is my "castle"!'\n`), [v("secret", "'My home is my castle !'")]);
  });

  it("treats an empty value as unset, keeping the key's slot", () => {
    assert.deepStrictEqual(tree('a =\nb = ""\nc =   \n'), [v("b", "")]);
    assert.deepStrictEqual(tree("a = 1\nb = 2\na =\na = 3\n"), [v("a", "3"), v("b", "2")]);
    assert.deepStrictEqual(tree("a =\nb = 1\na = 2\n"), [v("a", "2"), v("b", "1")]);
  });

  it("replaces a repeated key in place and merges a repeated section into the first", () => {
    assert.deepStrictEqual(tree("a = 1\nb = 2\na = 3\ns { x = 1 }\nt { }\ns { y = 2\n x = 9 }\n"), [
      v("a", "3"),
      v("b", "2"),
      s("s", v("x", "9"), v("y", "2")),
      s("t"),
    ]);
  });

  it("lets a key and a section share a name", () => {
    assert.deepStrictEqual(tree("a = 1\na { b = 2 }\n"), [v("a", "1"), s("a", v("b", "2"))]);
  });

  it("allows newlines between a name and its = or {, and several sections on one line", () => {
    assert.deepStrictEqual(tree("s\n{\n x = 1\n}\na\n= 1\n"), [s("s", v("x", "1")), v("a", "1")]);
    assert.deepStrictEqual(tree("s { x = 1 } t { y = 2 }\n"), [s("s", v("x", "1")), s("t", v("y", "2"))]);
  });

  it("takes `include = x` as a key and `include` alone on a line as a name", () => {
    assert.deepStrictEqual(tree("include = 5\n"), [v("include", "5")]);
    assert.throws(() => tree("include\n"), /<string>:2:1: unexpected end of file after 'include'/);
  });

  it("resolves section references: own entries first, then each reference depth first, sections merged", () => {
    const text = [
      "c {",
      " a {\n  x = 1\n  s {\n   p = 1\n  }\n }",
      " e {\n  s {\n   r = 1\n  }\n  k = 1\n }",
      " b : c.a, c.e {\n  y = 2\n  s {\n   q = 2\n  }\n }",
      "}",
    ].join("\n");
    const [c] = tree(text);
    assert.ok(c.kind === "section");
    assert.deepStrictEqual(c.section.entries[2], s("b", v("y", "2"), s("s", v("q", "2"), v("p", "1"), v("r", "1")), v("x", "1"), v("k", "1")));
  });

  it("resolves references from the root, ignores missing ones and survives cycles", () => {
    assert.deepStrictEqual(tree("c { a { x = 1 }\n b : a { } }\n"), [s("c", s("a", v("x", "1")), s("b"))]);
    assert.deepStrictEqual(tree("s : nope { a = 1 }\n"), [s("s", v("a", "1"))]);
    assert.deepStrictEqual(tree("s : t { }\nt : s { x = 1 }\n"), [s("s", v("x", "1")), s("t", v("x", "1"))]);
    assert.deepStrictEqual(tree("s : t\n, u { }\nt { x = 1 }\nu { x = 2\n y = 3 }\n"), [
      s("s", v("x", "1"), v("y", "3")),
      s("t", v("x", "1")),
      s("u", v("x", "2"), v("y", "3")),
    ]);
  });
});

describe("settings parser: errors name file:line:column", () => {
  const error = (text: string): string => {
    try {
      parseSettings(text, { file: "x.conf" });
    } catch (err) {
      assert.ok(err instanceof SettingsParseError);
      return err.message;
    }
    assert.fail("no error");
  };

  it("rejects names with ., :, , or quotes", () => {
    assert.strictEqual(error("a.b = 1\n"), "x.conf:1:2: unexpected \".\" after 'a', expecting '=', '{' or ':'");
    assert.strictEqual(error("\n  a,b = 1\n"), "x.conf:2:4: unexpected \",\" after 'a', expecting '=', '{' or ':'");
    assert.strictEqual(error('a"b = 1\n'), "x.conf:1:2: unexpected \"\\\"\" after 'a', expecting '=', '{' or ':'");
    assert.strictEqual(error("= 1\n"), 'x.conf:1:1: unexpected "=", expecting a name');
  });

  it("rejects unbalanced braces and unterminated strings at the opening position", () => {
    assert.strictEqual(error("s { x = 1 }}\n"), "x.conf:1:12: unexpected '}' outside of any section");
    assert.strictEqual(error("s {\n x = 1\n"), "x.conf:3:1: unexpected end of file, expecting '}' to close section 's' opened at x.conf:1:1");
    assert.strictEqual(error('a = 1\nb = "x\n'), "x.conf:2:5: unterminated string");
    assert.strictEqual(error('a = x\\"y\n'), "x.conf:1:7: unterminated string");
  });

  it("rejects a value that continues on the next line", () => {
    assert.strictEqual(error("a = x\n  y\n"), "x.conf:3:1: unexpected end of file after 'y', expecting '=', '{' or ':'");
  });

  it("refuses sections nested deeper than MAX_NESTING at the opening that is one too deep, without exhausting the stack", () => {
    const deep = (n: number) => `${"a {\n".repeat(n)}${"}\n".repeat(n)}`;
    assert.strictEqual(parseSettings(deep(MAX_NESTING)).tree.entries.length, 1);
    assert.strictEqual(error(deep(MAX_NESTING + 1)), `x.conf:${MAX_NESTING + 1}:1: sections nested deeper than ${MAX_NESTING} levels`);
    assert.strictEqual(error(deep(10_000)), `x.conf:${MAX_NESTING + 1}:1: sections nested deeper than ${MAX_NESTING} levels`);
  });

  it("says plainly that a file starts with a byte-order mark (strongSwan would read it into the first name)", () => {
    assert.match(
      error("\uFEFFconnections {\n}\n"),
      /^x\.conf:1:1: the file starts with a UTF-8 byte-order mark \(BOM\), which strongSwan would read as part of the first name/,
    );
  });

  it("cuts a long name in a message, and inside secrets quotes no name at all (it may be a secret missing its key)", () => {
    const long = "n".repeat(100_000);
    assert.strictEqual(error(`${long} }\n`), `x.conf:1:100002: unexpected "}" after '${"n".repeat(80)}… (100000 characters)', expecting '=', '{' or ':'`);
    assert.strictEqual(error("secrets {\n ike {\n  hunter2\n }\n}\n"), `x.conf:4:2: unexpected "}" after a name, expecting '=', '{' or ':'`);
  });

  it("names an unreadable file by its path with a plain reason", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stage2-unreadable-"));
    try {
      assert.throws(() => parseSettingsFile(dir), { message: `${dir}: cannot read: is a directory, not a file` });
      assert.throws(() => parseSettingsFile(path.join(dir, "none")), { message: `${path.join(dir, "none")}: cannot read: no such file` });
    } finally {
      fs.rmSync(dir, { recursive: true });
    }
  });
});

describe("settings parser: include", () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "stage2-settings-"));
    fs.mkdirSync(path.join(dir, "sub"));
    fs.writeFileSync(path.join(dir, "sub", "b.conf"), "y = 2\n");
    fs.writeFileSync(path.join(dir, "sub", "a.conf"), "x = 1\n");
    fs.writeFileSync(path.join(dir, "sub", ".hidden.conf"), "h = 1\n");
    fs.writeFileSync(path.join(dir, "sub", "c.conf"), "include ../zz.conf\n");
    fs.writeFileSync(path.join(dir, "zz.conf"), "z = 3\n");
    fs.writeFileSync(path.join(dir, "loop.conf"), "include loop.conf\n");
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const parseIn = (text: string) => {
    const file = path.join(dir, "main.conf");
    fs.writeFileSync(file, text);
    return parseSettingsFile(file);
  };

  it("reads a glob relative to the including file into the current section, in sorted order, skipping dot files", () => {
    const parsed = parseIn('s { include sub/[ab].conf }\ninclude "sub/c.conf" # comment\n');
    assert.deepStrictEqual(parsed.tree.entries, [s("s", v("x", "1"), v("y", "2")), v("z", "3")]);
    assert.deepStrictEqual(parsed.files, [
      path.join(dir, "main.conf"),
      path.join(dir, "sub", "a.conf"),
      path.join(dir, "sub", "b.conf"),
      path.join(dir, "sub", "c.conf"),
      path.join(dir, "zz.conf"),
    ]);
    assert.deepStrictEqual(parsed.positions.get("s.x"), { file: path.join(dir, "sub", "a.conf"), line: 1, column: 1 });
    assert.deepStrictEqual(
      expandGlob(path.join(dir, "sub", "*.conf")).map((f) => path.basename(f)),
      ["a.conf", "b.conf", "c.conf"],
    );
  });

  it("warns about a pattern that matches nothing and goes on", () => {
    const parsed = parseIn("a = 1\ninclude sub/none*.conf\n");
    assert.deepStrictEqual(parsed.tree.entries, [v("a", "1")]);
    assert.deepStrictEqual(
      parsed.warnings.map((w) => `${w.pos.line}:${w.pos.column} ${w.message}`),
      [`2:1 no files found matching '${path.join(dir, "sub", "none*.conf")}'`],
    );
  });

  it("stops an include loop with an error at the include", () => {
    assert.throws(() => parseSettingsFile(path.join(dir, "loop.conf")), /loop\.conf:1:1: includes nested deeper than 10/);
  });

  it("reads includes through an injected reader, never from disk; its error is the include's, at its position", () => {
    const asked: string[] = [];
    const files: Record<string, string> = { "/etc/x/conf.d/a.conf": "b { c = 1 }\ninclude ../more.conf\n", "/etc/x/more.conf": "d = 2\n" };
    const parsed = parseSettings("s {\n  include conf.d/*.conf\n}\ninclude sub/a.conf\n", {
      file: "/etc/x/main.conf",
      readInclude: (pattern, from) => {
        asked.push(`${from}: ${pattern}`);
        if (pattern.includes("*")) return [{ file: "/etc/x/conf.d/a.conf", text: files["/etc/x/conf.d/a.conf"] }];
        return pattern in files ? [{ file: pattern, text: files[pattern] }] : [];
      },
    });
    assert.deepStrictEqual(asked, ["/etc/x/main.conf: /etc/x/conf.d/*.conf", "/etc/x/conf.d/a.conf: /etc/x/more.conf", "/etc/x/main.conf: /etc/x/sub/a.conf"]);
    assert.deepStrictEqual(parsed.tree.entries, [s("s", s("b", v("c", "1")), v("d", "2"))]);
    assert.deepStrictEqual(parsed.files, ["/etc/x/main.conf", "/etc/x/conf.d/a.conf", "/etc/x/more.conf"]);
    assert.deepStrictEqual(
      parsed.warnings.map((w) => `${w.pos.line}:${w.pos.column} ${w.message}`),
      ["4:1 no files found matching '/etc/x/sub/a.conf'"],
    );
    assert.throws(
      () =>
        parseSettings("a = 1\n  include b.conf\n", {
          file: "/etc/x/main.conf",
          readInclude: () => {
            throw new Error("cannot read included file '/etc/x/b.conf': permission denied");
          },
        }),
      { message: "/etc/x/main.conf:2:3: cannot read included file '/etc/x/b.conf': permission denied" },
    );
  });
});

// Names the serializer accepts, including the characters strongSwan is most particular about.
const nameArb = fc.stringOf(fc.constantFrom(..."abz09_-@%+/*"), { minLength: 1, maxLength: 6 }).filter((n) => n !== "include");
const valueArb = fc.oneof(
  fc.stringOf(fc.constantFrom(..."ab1 .,:=/[]{}#\"\\'%*-_"), { maxLength: 12 }),
  fc.fullUnicodeString({ maxLength: 8 }).filter((t) => !/[\u0000-\u001f\u007f]/.test(t)),
);
const treeArb: fc.Arbitrary<SettingsSection> = fc.letrec((tie) => ({
  section: fc
    .array(
      fc.oneof(
        { depthSize: "small", withCrossShrink: true },
        fc.record({ kind: fc.constant("value" as const), key: nameArb, value: valueArb.map(quoteSettingsValue) }),
        fc.record({ kind: fc.constant("section" as const), key: nameArb, section: tie("section") as fc.Arbitrary<SettingsSection> }),
      ),
      { maxLength: 5 },
    )
    // strongSwan merges repeats, so a generated tree holds each name once per kind.
    .map((entries) => ({ entries: entries.filter((e, i) => entries.findIndex((o) => o.kind === e.kind && o.key === e.key) === i) })),
})).section;

describe("settings parser: property tests with the serializer", () => {
  it("random tree → render → parse gives the same tree", () => {
    fc.assert(
      fc.property(treeArb, (t) => {
        assert.deepStrictEqual(parseSettings(renderSettings(t)).tree, t);
      }),
      { numRuns: 400 },
    );
  });

  it("a hostile name is rejected by the serializer, never rendered into new structure", () => {
    fc.assert(
      fc.property(fc.fullUnicodeString({ minLength: 1, maxLength: 8 }), valueArb, (key, value) => {
        const t = section({ s: section({ [key]: value }) });
        let text: string;
        try {
          text = renderSettings(t);
        } catch (err) {
          assert.ok(err instanceof SettingsSyntaxError);
          return;
        }
        assert.deepStrictEqual(parseSettings(text).tree, t);
      }),
      { numRuns: 400 },
    );
  });

  it("quoteSettingsValue escapes newline, CR and tab for the parser; unquoteSettingsValue inverts it", () => {
    assert.strictEqual(quoteSettingsValue("a\nb\tc\rd"), '"a\\nb\\tc\\rd"');
    assert.strictEqual(quoteSettingsValue("plain-1.2"), "plain-1.2");
    assert.strictEqual(quoteSettingsValue(""), '""');
    fc.assert(
      fc.property(fc.fullUnicodeString({ maxLength: 12 }), (text) => {
        assert.strictEqual(unquoteSettingsValue(quoteSettingsValue(text)), text);
        assert.deepStrictEqual(parseSettings(`k = ${quoteSettingsValue(text)}\n`).tree.entries, text === "" ? [v("k", "")] : [v("k", text)]);
      }),
      { numRuns: 300 },
    );
  });

  it("a value with a control character is rejected; any other value survives quoting", () => {
    assert.throws(() => renderSettings(section({ a: "x\n} evil {" })), SettingsSyntaxError);
    const text = renderSettings(section({ conn: section({ id: 'x" } evil { y = "z' }) }));
    assert.strictEqual(text.split("\n")[3], '\tid = "x\\" } evil { y = \\"z"');
    assert.deepStrictEqual(parseSettings(text).tree.entries, [s("conn", v("id", 'x" } evil { y = "z'))]);
  });
});
