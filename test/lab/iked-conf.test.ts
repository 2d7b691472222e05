import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { renderIkedConf } from "../../lab/kernel/iked";
import { labLayout, LabLayout } from "../../lab/layout";
import { run } from "../../lab/exec";
import { loadLabStack, LAB_STACK_FILE } from "../../lab/stack";
import { requireRoot, requireTools } from "../helpers/env";

/** The kernel lab's OpenIKED road warrior: its iked.conf, as iked's own parser reads it. */
describe("kernel lab: OpenIKED's configuration (iked -n)", function () {
  const stack = loadLabStack(LAB_STACK_FILE);
  const layout = labLayout(stack.gateways[0], "kl");
  const psk = 'lab "psk" with\nquotes } and braces';

  before(function () {
    requireRoot(this);
    requireTools(this, "iked");
  });

  const parse = async (conf: string) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stage2-iked-"));
    try {
      const file = path.join(dir, "iked.conf");
      fs.writeFileSync(file, conf, { mode: 0o600 });
      return await run(["iked", "-n", "-f", file]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };

  it("the lab's PSK class, as rendered, is accepted; the PSK (quotes, braces, a newline) goes in as hex and appears nowhere else", async () => {
    const conf = renderIkedConf(layout, psk);
    assert.deepStrictEqual(conf.split("\n"), [
      "# managed by stage2 lab: OpenIKED as a road warrior (kernel lab only)",
      'ikev2 "stage2-lab" active esp \\',
      "\tfrom any to 10.0.0.0/16 \\",
      "\tpeer 203.0.113.20 \\",
      '\tsrcid "laptop@lab.example" dstid "vpn.lab.example" \\',
      `\tpsk 0x${Buffer.from(psk).toString("hex")} \\`,
      "\trequest address any \\",
      "\tiface eth0",
      "",
    ]);
    const r = await parse(conf);
    assert.strictEqual(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout + r.stderr, /configuration OK/);
  });

  it("iked's parser is the check: a broken line is refused", async () => {
    const r = await parse(renderIkedConf(layout, psk).replace("request address any", "request adress any"));
    assert.notStrictEqual(r.code, 0);
  });

  it("refuses what it cannot write: an identity iked.conf would need quoted, a class that is not PSK", () => {
    const quoted: LabLayout = { ...layout, rw: { ...layout.rw, auth: { kind: "psk", id: 'o"brien@lab.example', secretKey: "k" } } };
    assert.throws(() => renderIkedConf(quoted, psk), /OpenIKED identity "o\\"brien@lab.example" holds characters iked.conf would need quoted/);
    const eap: LabLayout = { ...layout, rw: { ...layout.rw, auth: { kind: "eap-mschapv2", id: "a@lab.example", secretKey: "k", gatewayCertKey: "g" } } };
    assert.throws(() => renderIkedConf(eap, psk), /OpenIKED joins a PSK class; the lab's road warrior uses eap-mschapv2/);
  });
});
