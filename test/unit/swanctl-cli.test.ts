import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import * as importCmd from "../../cli/commands/import";
import * as swanctlCmd from "../../cli/commands/swanctl";
import { charonMissing } from "../../lab/charon-sandbox";
import { skipUnless } from "../helpers/env";
import { fixtureGateway } from "../fixtures/gateway";

async function capture(fn: () => Promise<number>): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const o = process.stdout.write.bind(process.stdout);
  const e = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((s: string) => ((out += s), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => ((err += s), true)) as typeof process.stderr.write;
  try {
    return { code: await fn(), out, err };
  } finally {
    process.stdout.write = o;
    process.stderr.write = e;
  }
}

describe("stage2 swanctl check | fmt and stage2 import (CLI)", () => {
  let dir: string;
  const file = (name: string, text: string) => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, text);
    return p;
  };
  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "stage2-swanctl-cli-"))));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("check: every problem with file:line:column, exit 1", async () => {
    const f = file("bad.conf", "connections {\n  a {\n    mobike = maybe\n    children { c { mode = tunel } }\n  }\n}\n");
    const res = await capture(() => swanctlCmd.run(["check", f]));
    assert.strictEqual(res.code, 1);
    assert.strictEqual(res.out, "");
    assert.deepStrictEqual(res.err.trim().split("\n"), [
      `${f}:3:5: connections.a.mobike: must be yes or no (got "maybe")`,
      `${f}:4:20: connections.a.children.c.mode: must be one of tunnel, transport, transport_proxy, beet, pass, drop (got "tunel")`,
      `${f}: 2 errors (1 connection, 1 file read)`,
    ]);
  });

  it("check: a syntax error names file:line:column; a good file exits 0", async () => {
    const bad = await capture(() => swanctlCmd.run(["check", file("syntax.conf", "connections {\n  a.b = 1\n}\n")]));
    assert.strictEqual(bad.code, 1);
    assert.strictEqual(bad.err, `${path.join(dir, "syntax.conf")}:2:4: unexpected "." after 'a', expecting '=', '{' or ':'\n`);
    const good = await capture(() => swanctlCmd.run(["check", file("good.conf", "connections { a { version = 2 } }\n")]));
    assert.deepStrictEqual([good.code, good.err], [0, `${path.join(dir, "good.conf")}: ok (1 connection, 1 file read)\n`]);
  });

  it("check --charon: a sealed charon 5.9.8 gives its verdict and reasons", async function () {
    const missing = charonMissing();
    skipUnless(this, missing === undefined, `loading into charon: ${missing}`);
    const f = file(
      "charon.conf",
      "connections {\n  a {\n    local { auth = pubkey\n certs = gw.pem }\n    children { c { mode = tunnel\n foo = 1 } }\n  }\n}\n",
    );
    const res = await capture(() => swanctlCmd.run(["check", "--charon", f]));
    assert.strictEqual(res.code, 1);
    assert.deepStrictEqual(res.err.trim().split("\n"), [
      `${f}:6:2: connections.a.children.c.foo: is not a key of connections.<conn>.children.<child> in strongSwan 5.9.8 (got "1")`,
      `${f}: 1 error (1 connection, 1 file read)`,
      "charon: connection a: unknown option: foo, config discarded",
      "charon 5.9.8: rejected the configuration",
    ]);
    const good = await capture(() =>
      swanctlCmd.run(["check", "--charon", file("charon-ok.conf", "connections { a { local { auth = pubkey\n certs = gw.pem } } }\n")]),
    );
    assert.deepStrictEqual([good.code, good.err.trim().split("\n").slice(-1)], [0, ["charon 5.9.8: loaded 1 connection"]]);
  });

  it("fmt: prints the canonical rendering, references and includes expanded", async () => {
    file("base.conf", "remote { auth = psk }\n");
    const f = file(
      "fmt.conf",
      "t { version = 2 }\nconnections {\n  a : t {\n    include base.conf\n    local { auth = psk }\n    proposals = aes128-sha256-modp2048 , aes256-sha384-ecp384\n  }\n}\n",
    );
    const res = await capture(() => swanctlCmd.run(["fmt", f]));
    assert.strictEqual(res.code, 0);
    assert.strictEqual(
      res.out,
      "connections {\n\ta {\n\t\tversion = 2\n\t\tproposals = aes128-sha256-modp2048,aes256-sha384-ecp384\n\t\tlocal {\n\t\t\tauth = psk\n\t\t}\n\t\tremote {\n\t\t\tauth = psk\n\t\t}\n\t}\n}\n\nt {\n\tversion = 2\n}\n",
    );
  });

  it("import: YAML for Pulumi.<env>.yaml, secrets as secure: placeholders, values only in --secrets-to (0600)", async () => {
    const f = file(
      "site.conf",
      'connections {\n  hq {\n    local_addrs = 203.0.113.100\n    remote_addrs = 198.51.100.20\n    local { auth = psk\n id = gw.example }\n    remote { auth = psk\n id = hq.example }\n    children { hq { local_ts = 10.0.0.0/16\n remote_ts = 172.20.0.0/16\n start_action = trap } }\n  }\n}\nsecrets { ike-hq { id = hq.example\n secret = "s3cr3t value" } }\n',
    );
    const secretsFile = path.join(dir, "secrets.json");
    const res = await capture(() => importCmd.run([f, "--secrets-to", secretsFile]));
    assert.strictEqual(res.code, 0, res.err);
    assert.ok(!res.out.includes("s3cr3t"));
    const yaml = YAML.parse(res.out) as { config: Record<string, unknown> };
    assert.deepStrictEqual(yaml.config, {
      "stage2:gateways": [
        {
          floatingIp: { address: "203.0.113.100" },
          ipsec: {
            roadWarriors: [],
            sites: [
              {
                name: "hq",
                remoteAddrs: ["198.51.100.20"],
                localTs: ["10.0.0.0/16"],
                remoteTs: ["172.20.0.0/16"],
                auth: { kind: "psk", secret: "psk-hq", localId: "gw.example", remoteId: "hq.example" },
                startAction: "trap",
                dpdDelay: "0s",
                proposals: { ike: ["default"], esp: ["default"] },
              },
            ],
            extraSwanctl: { connections: { hq: { version: 0, children: { hq: { dpd_action: "clear", close_action: "none" } } } } },
          },
        },
      ],
      "stage2:psk-hq": { secure: importCmd.SECURE_PLACEHOLDER },
    });
    assert.match(res.out, /^# {3}pulumi config set --secret stage2:psk-hq {4}# hq: pre-shared key$/m);
    assert.deepStrictEqual(JSON.parse(fs.readFileSync(secretsFile, "utf8")), { "psk-hq": "s3cr3t value" });
    assert.strictEqual(fs.statSync(secretsFile).mode & 0o777, 0o600);
  });

  it("import --into --gateway: the stack file with the import merged, comments kept, the gateway checked", async () => {
    const stack = file(
      "Pulumi.test.yaml",
      `# keep this comment\n${YAML.stringify({ config: { "stage2:gateways": [fixtureGateway()], "stage2:psk-hq": { secure: "v1:abc" } } })}`,
    );
    const f = file(
      "merge.conf",
      "connections {\n  hq2 {\n    local_addrs = 198.51.100.99\n    remote_addrs = 198.51.100.21\n    local { auth = psk }\n    remote { auth = psk\n id = hq2.example }\n    children { hq2 { local_ts = 10.0.0.0/16\n remote_ts = 172.21.0.0/16\n start_action = trap\n updown = /bin/true } }\n  }\n}\nsecrets { ike-hq2 { id = hq2.example\n secret = k } }\n",
    );
    const res = await capture(() => importCmd.run([f, "--into", stack, "--gateway", "gw-test"]));
    assert.strictEqual(res.code, 0, res.err);
    assert.ok(res.out.startsWith("# keep this comment\n"));
    const config = (YAML.parse(res.out) as { config: Record<string, unknown> }).config;
    const gw = (config["stage2:gateways"] as { floatingIp: unknown; ipsec: { sites: { name: string }[]; extraSwanctl: unknown } }[])[0];
    assert.deepStrictEqual(
      gw.ipsec.sites.map((x) => x.name),
      ["acme-hq", "hq2"],
    );
    assert.deepStrictEqual(gw.floatingIp, { location: "fsn1", address: "203.0.113.100" });
    assert.deepStrictEqual(gw.ipsec.extraSwanctl, {
      connections: { hq2: { version: 0, children: { hq2: { updown: "/bin/true", dpd_action: "clear", close_action: "none" } } } },
    });
    assert.deepStrictEqual(config["stage2:psk-hq2"], { secure: importCmd.SECURE_PLACEHOLDER });
    assert.deepStrictEqual(config["stage2:psk-hq"], { secure: "v1:abc" });
    assert.match(
      res.err,
      /^stage2 import: note: the swanctl.conf binds IKE to 198.51.100.99, the gateway's floatingIp.address is 203.0.113.100: stage2 binds to the latter$/m,
    );
    const clash = await capture(() => importCmd.run([f, "--into", stack, "--gateway", "nope"]));
    assert.deepStrictEqual([clash.code, clash.err.trim()], [1, `stage2 import: ${stack}: has no gateway named "nope"`]);
  });

  it("check and import never echo a value in secrets, a mistyped key's included; fmt prints secrets as their path", async () => {
    const f = file(
      "typo.conf",
      'secrets {\n  ike-1 {\n    id = peer.example\n    secert = "hunter2-typo"\n  }\n  ike-2 {\n    secret = "hunter2-ok"\n  }\n}\n',
    );
    const expected = [
      `${f}:2:3: secrets.ike-1: needs secret (secrets.ike<suffix>)`,
      `${f}:4:5: secrets.ike-1.secert: is not a key of secrets.ike<suffix> in strongSwan 5.9.8 (got (redacted: secret secrets.ike-1.secert))`,
    ];
    const check = await capture(() => swanctlCmd.run(["check", f]));
    assert.deepStrictEqual(check.err.trim().split("\n").slice(0, 2), expected);
    const imported = await capture(() => importCmd.run([f]));
    assert.deepStrictEqual(imported.err.trim().split("\n").slice(0, 2), expected);
    const fmt = await capture(() => swanctlCmd.run(["fmt", f]));
    assert.match(fmt.out, /^\t\tsecert = "\(redacted: secret secrets\.ike-1\.secert\)"$/m);
    assert.match(fmt.out, /^\t\tsecret = "\(redacted: secret secrets\.ike-2\.secret\)"$/m);
    assert.match(fmt.out, /^\t\tid = peer\.example$/m);
    for (const res of [check, imported, fmt]) assert.doesNotMatch(res.out + res.err, /hunter2/);
  });

  it("import --into prints a stack's plain secrets as their key, never their value", async () => {
    const stack = file("Pulumi.plain.yaml", YAML.stringify({ config: { "stage2:gateways": [fixtureGateway()], "stage2:psk-hq": "hunter2-plain" } }));
    const f = file("empty.conf", "connections {\n}\n");
    const res = await capture(() => importCmd.run([f, "--into", stack, "--gateway", "gw-test"]));
    assert.match(res.out, /^ {2}stage2:psk-hq: "\(redacted: secret stage2:psk-hq\)"$/m);
    assert.match(res.err, /stage2:psk-hq holds a plain secret value: printed as its name, not its value/);
    assert.doesNotMatch(res.out + res.err, /hunter2/);
  });

  it("check and fmt: 10,000 nested sections, a byte-order mark, a 100 KB value: a located error each, values cut", async () => {
    const deep = file("deep.conf", `connections {\n${"a {\n".repeat(10_000)}${"}\n".repeat(10_001)}`);
    for (const action of ["check", "fmt"]) {
      const res = await capture(() => swanctlCmd.run([action, deep]));
      assert.deepStrictEqual([res.code, res.err.trim()], [1, `${deep}:65:1: sections nested deeper than 64 levels`]);
    }
    const bom = file("bom.conf", "\uFEFFconnections {\n}\n");
    const res = await capture(() => swanctlCmd.run(["fmt", bom]));
    assert.strictEqual(res.code, 1);
    assert.match(res.err, new RegExp(`^${bom}:1:1: the file starts with a UTF-8 byte-order mark`));
    const long = file("long.conf", `connections {\n  c {\n    version = ${"7".repeat(100_000)}\n  }\n}\n`);
    const check = await capture(() => swanctlCmd.run(["check", long]));
    assert.strictEqual(
      check.err.split("\n")[0],
      `${long}:3:5: connections.c.version: must be an integer from 0 to 2 (got "${"7".repeat(79)}… (100002 characters))`,
    );
  });
});
