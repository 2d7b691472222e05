import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { main } from "../../cli/main";
import { stackFilePath } from "../../stacks/load";
import { requireRoot, requireTools } from "../helpers/env";

/**
 * The canary: a distinct marker in every secret slot, every command run on it (and on broken inputs that make it
 * fail); no marker may show in stdout, stderr, JSON or any file but a 0600 secret file. Errors name the key.
 * A new secret slot (a CA key, a client key, a PKCS#12 password) is one entry in SLOTS.
 */

const run = randomBytes(4).toString("hex");
const marker = (slot: string): string => `Cnry${slot.replace(/[^A-Za-z0-9]/g, "")}X${run}`;
const pem = (label: string, slot: string): string => `-----BEGIN ${label}-----\n${marker(slot)}\n-----END ${label}-----\n`;

/**
 * Every secret slot, each with its marker: a stack config key (plain, as a lab stack holds it), placed into the
 * canary gateway by `plant` when the dev stack's gateway does not already use it; or a key of a hand-written
 * swanctl.conf's secrets section. WireGuard has no slot: its private key is made on the host and never leaves it.
 */
type Slot =
  | { readonly in: "stack"; readonly key: string; readonly what: string; readonly value: string; readonly plant?: (gw: any) => void }
  | { readonly in: "swanctl"; readonly section: string; readonly key: string; readonly what: string; readonly value: string; readonly ids: string };

const SLOTS: readonly Slot[] = [
  { in: "stack", key: "sshPrivateKey", what: "the operator's SSH key", value: pem("OPENSSH PRIVATE KEY", "sshPrivateKey") },
  { in: "stack", key: "gw-dev-cert-key", what: "the road warriors' gateway certificate key", value: pem("PRIVATE KEY", "gw-dev-cert-key") },
  { in: "stack", key: "eap-acme-alice", what: "an EAP password", value: marker("eap-acme-alice") },
  { in: "stack", key: "eap-acme-bob", what: "another EAP password", value: marker("eap-acme-bob") },
  { in: "stack", key: "psk-acme-hq", what: "a site's PSK", value: marker("psk-acme-hq") },
  {
    in: "stack",
    key: "psk-laptops",
    what: "a road warrior class's PSK",
    value: marker("psk-laptops"),
    plant: (gw) =>
      gw.ipsec.roadWarriors.push({
        name: "laptops",
        pool: "10.4.0.0/24",
        local: { kind: "psk", id: "vpn-laptops.example.com" },
        clients: { kind: "psk", ids: ["laptop@example.com"], secret: "psk-laptops" },
      }),
  },
  {
    in: "stack",
    key: "site-cert-key",
    what: "a site's certificate key",
    value: pem("PRIVATE KEY", "site-cert-key"),
    plant: (gw) => {
      const cert = gw.ipsec.roadWarriors[0].local.cert as string;
      gw.ipsec.sites.push({
        name: "beta",
        remoteAddrs: ["198.51.100.30"],
        remoteTs: ["172.21.0.0/16"],
        auth: { kind: "pubkey", cert, keySecret: "site-cert-key", peerCa: cert, remoteId: "beta-gw.example.com" },
      });
    },
  },
  { in: "swanctl", section: "ike-hq", key: "secret", ids: "id = peer.example.com", what: "an IKE PSK", value: marker("ike-hq") },
  { in: "swanctl", section: "eap-alice", key: "secret", ids: "id = alice@example.com", what: "an EAP password", value: marker("eap-alice") },
  { in: "swanctl", section: "xauth-bob", key: "secret", ids: "id = bob", what: "an XAuth password", value: marker("xauth-bob") },
  { in: "swanctl", section: "ntlm-carol", key: "secret", ids: "id = carol", what: "an NTLM password", value: marker("ntlm-carol") },
  { in: "swanctl", section: "ppk-1", key: "secret", ids: "id = ppk-id", what: "a postquantum preshared key", value: marker("ppk-1") },
  { in: "swanctl", section: "private-gw", key: "secret", ids: "file = gw.pem", what: "a private key's passphrase", value: marker("private-gw") },
  { in: "swanctl", section: "pkcs12-gw", key: "secret", ids: "file = gw.p12", what: "a PKCS#12 password", value: marker("pkcs12-gw") },
  { in: "swanctl", section: "token-hsm", key: "pin", ids: "handle = 01", what: "a token PIN", value: marker("token-hsm") },
];
const STACK_SLOTS = SLOTS.filter((s): s is Extract<Slot, { in: "stack" }> => s.in === "stack");
const SWANCTL_SLOTS = SLOTS.filter((s): s is Extract<Slot, { in: "swanctl" }> => s.in === "swanctl");
const slotName = (s: Slot): string => (s.in === "stack" ? `stage2:${s.key}` : `secrets.${s.section}.${s.key}`);

/** The extraSwanctl secrets section a stack must refuse (stack config is plain text). */
const EXTRA_SWANCTL_SECRET = marker("extraSwanctl");
/** A secret mistyped in a swanctl.conf (`secert`): an unknown key, so its value is one no check knows to hide. */
const MISTYPED_SECRET = marker("secert");

const ALL = SLOTS.map((s) => ({ name: slotName(s), marker: s.value.includes("\n") ? s.value.split("\n")[1] : s.value }));
ALL.push({ name: "extraSwanctl.secrets", marker: EXTRA_SWANCTL_SECRET }, { name: "secrets.ike-typo.secert", marker: MISTYPED_SECRET });

/** The ways a marker can show: as written, or inside base64 (a remote command's stdin) at any alignment. */
function forms(text: string): string[] {
  const out = [text];
  for (let shift = 0; shift < 3; shift++) {
    const b64 = Buffer.from("x".repeat(shift) + text).toString("base64");
    // Characters touched by the padding or the shifted prefix are not stable; the middle is.
    out.push(b64.slice(Math.ceil((shift * 4) / 3) + 1, -4));
  }
  return out;
}

interface Marker {
  readonly name: string;
  readonly marker: string;
}

/** The slots whose marker shows in `text`. */
function leaks(text: string, markers: readonly Marker[] = ALL): string[] {
  return markers.filter((s) => forms(s.marker).some((f) => text.includes(f))).map((s) => s.name);
}

/** The canary stack: the dev stack's gateway with every stack slot planted, every secret a plain value. */
function canaryStack(mutate: (gw: any, config: Record<string, unknown>) => void = () => undefined): string {
  const doc = YAML.parse(fs.readFileSync(stackFilePath("dev"), "utf8"));
  const gw = doc.config["stage2:gateways"][0];
  const config: Record<string, unknown> = { "stage2:gateways": [gw] };
  for (const slot of STACK_SLOTS) {
    slot.plant?.(gw);
    config[`stage2:${slot.key}`] = slot.value;
  }
  mutate(gw, config);
  return YAML.stringify({ config }, { lineWidth: 0 });
}

function swanctlConf(extra = ""): string {
  const sections = SWANCTL_SLOTS.map((s) => `  ${s.section} {\n    ${s.ids}\n    ${s.key} = "${s.value}"\n  }`);
  const conn = [
    "remote_addrs = 198.51.100.20",
    "local {\n auth = psk\n}",
    "remote {\n auth = psk\n id = peer.example.com\n}",
    "children {\n hq {\n local_ts = 10.0.0.0/16\n remote_ts = 172.20.0.0/16\n }\n}",
  ];
  return `connections {\n hq {\n${conn.join("\n")}\n }\n}\nsecrets {\n${sections.join("\n")}\n${extra}}\n`;
}

interface Result {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** Runs the CLI in-process (as bin/stage2 does) and captures everything it writes; `env` is set for the run only. */
async function stage2(...argv: string[]): Promise<Result> {
  return stage2With({}, ...argv);
}

async function stage2With(env: Record<string, string>, ...argv: string[]): Promise<Result> {
  let out = "";
  let err = "";
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  const stdout = process.stdout.write.bind(process.stdout);
  const stderr = process.stderr.write.bind(process.stderr);
  (process.stdout as { write: unknown }).write = (chunk: string | Uint8Array) => ((out += String(chunk)), true);
  (process.stderr as { write: unknown }).write = (chunk: string | Uint8Array) => ((err += String(chunk)), true);
  try {
    const code = await main(argv);
    return { code, out, err };
  } finally {
    process.stdout.write = stdout;
    process.stderr.write = stderr;
    for (const [k, v] of Object.entries(saved))
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
  }
}

function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true })
    .map((f) => path.join(dir, String(f)))
    .filter((f) => fs.statSync(f).isFile());
}

/** Fails naming the slots whose marker shows in a command's output or a file it wrote outside the 0600 secret files. */
function assertNoLeak(what: string, r: Result, dirs: string[] = [], markers: readonly Marker[] = ALL): void {
  assert.deepEqual(leaks(r.out, markers), [], `${what}: a secret in stdout`);
  assert.deepEqual(leaks(r.err, markers), [], `${what}: a secret in stderr:\n${r.err}`);
  for (const dir of dirs) {
    for (const file of filesUnder(dir)) {
      const found = leaks(fs.readFileSync(file, "latin1"), markers);
      if (found.length) assert.equal((fs.statSync(file).mode & 0o777).toString(8), "600", `${what}: ${file} holds ${found.join(", ")} but is not 0600`);
    }
  }
}

describe("canary: no secret in any output (every secret slot, every command)", function () {
  this.timeout(120_000);
  let tmp: string;
  /** Where the commands write: every file there is scanned. The inputs (which hold the markers) live beside it. */
  let outDir: string;
  const file = (name: string, text: string): string => {
    const p = path.join(tmp, "in", name);
    fs.writeFileSync(p, text);
    return p;
  };
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "stage2-canary-"));
    outDir = path.join(tmp, "out");
    fs.mkdirSync(outDir);
    fs.mkdirSync(path.join(tmp, "in"));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("the markers are where they should be: the 0600 secret files of render --out hold every stack slot", async () => {
    const out = path.join(outDir, "render");
    const r = await stage2("render", "--config-file", file("Pulumi.canary.yaml", canaryStack()), "--out", out);
    assert.equal(r.code, 0, r.err);
    assertNoLeak("render", r, [out]);
    const secretText = filesUnder(out)
      .filter((f) => (fs.statSync(f).mode & 0o777) === 0o600)
      .map((f) => fs.readFileSync(f, "utf8"))
      .join("\n");
    // The SSH key is the connection's, never a file on the host.
    assert.deepEqual(
      leaks(secretText).sort(),
      STACK_SLOTS.map(slotName)
        .filter((k) => k !== "stage2:sshPrivateKey")
        .sort(),
    );
  });

  for (const argv of [["preview"], ["preview", "--json"], ["policy"], ["policy", "--json"]]) {
    it(`${argv.join(" ")}: no secret, though every resource carries them`, async () => {
      const r = await stage2(...argv, "--config-file", file("Pulumi.canary.yaml", canaryStack()));
      assert.equal(r.code, 0, r.err);
      assertNoLeak(argv.join(" "), r);
      if (argv[0] === "preview" && argv[1] === "--json") {
        assert.match(r.out, /\(redacted: secret stage2:sshPrivateKey\)/);
        assert.match(r.out, /\(redacted: secret [^)]*stage2:psk-laptops[^)]*\)/);
      }
    });
  }

  const broken: { name: string; stack: () => string; names: RegExp }[] = [
    {
      name: "a PSK with a newline",
      stack: () => canaryStack((_gw, config) => (config["stage2:psk-laptops"] = `${marker("psk-laptops")}\nsecond line`)),
      names: /stage2:psk-laptops/,
    },
    {
      name: "an EAP password with a tab",
      stack: () => canaryStack((_gw, config) => (config["stage2:eap-acme-bob"] = `${marker("eap-acme-bob")}\tx`)),
      names: /stage2:eap-acme-bob/,
    },
    {
      name: "a secrets section in extraSwanctl",
      stack: () => canaryStack((gw) => (gw.ipsec.extraSwanctl = { secrets: { "ike-x": { secret: EXTRA_SWANCTL_SECRET } } })),
      names: /extraSwanctl\.secrets/,
    },
    {
      name: "a YAML error on a secret's line",
      stack: () => canaryStack().replace(`stage2:psk-acme-hq: ${marker("psk-acme-hq")}`, `stage2:psk-acme-hq: "${marker("psk-acme-hq")}\n  - x: [`),
      names: /Pulumi\.broken\.yaml:\d+:\d+: not valid YAML/,
    },
  ];
  for (const b of broken) {
    for (const argv of [["render", "--out", "OUT"], ["preview"], ["preview", "--json"], ["policy"], ["policy", "--json"]]) {
      it(`${argv[0]}${argv.includes("--json") ? " --json" : ""} with ${b.name}: fails naming the key, not the value`, async () => {
        const out = path.join(outDir, "broken-render");
        const r = await stage2(...argv.map((a) => (a === "OUT" ? out : a)), "--config-file", file("Pulumi.broken.yaml", b.stack()));
        assert.notEqual(r.code, 0, `${argv[0]} accepted ${b.name}`);
        assertNoLeak(`${argv[0]} with ${b.name}`, r, fs.existsSync(out) ? [out] : []);
        assert.match(r.out + r.err, b.names);
      });
    }
  }

  it("swanctl check, fmt and import of a file with every kind of secret: no secret, and import's --secrets-to is 0600", async () => {
    const conf = file("swanctl.conf", swanctlConf());
    for (const argv of [
      ["swanctl", "check", conf],
      ["swanctl", "fmt", conf],
      ["import", conf, "--secrets-to", path.join(outDir, "secrets.json")],
    ]) {
      const r = await stage2(...argv);
      assert.equal(r.code, 0, `${argv.join(" ")}: ${r.err}`);
      assertNoLeak(argv.slice(0, 2).join(" "), r, [outDir]);
    }
    assert.deepEqual(leaks(fs.readFileSync(path.join(outDir, "secrets.json"), "utf8")), ["secrets.ike-hq.secret"]);
  });

  it("import --into a stack with plain secrets prints neither the file's secrets nor the stack's", async () => {
    const stack = file("Pulumi.canary.yaml", canaryStack());
    const r = await stage2("import", file("swanctl.conf", swanctlConf()), "--into", stack, "--gateway", "gw-dev");
    assertNoLeak("import --into", r, [outDir]);
    assert.match(r.out, /stage2:psk-laptops: "\(redacted: secret stage2:psk-laptops\)"/);
  });

  it("swanctl check, fmt and import of a broken file (a mistyped secret key, a secret without its key): fail naming the place", async () => {
    const typo = file("typo.conf", swanctlConf(`  ike-typo {\n    id = x.example.com\n    secert = ${MISTYPED_SECRET}\n  }\n`));
    const bare = file("bare.conf", swanctlConf(`  ike-bare {\n    ${MISTYPED_SECRET}\n  }\n`));
    for (const [conf, names] of [
      [typo, /secrets\.ike-typo\.secert: is not a key/],
      [bare, /bare\.conf:\d+:\d+: unexpected "}" after a name/],
    ] as const) {
      for (const argv of [
        ["swanctl", "check", conf],
        ["swanctl", "fmt", conf],
        ["import", conf],
        ["import", conf, "--into", file("Pulumi.canary.yaml", canaryStack()), "--gateway", "gw-dev"],
      ]) {
        const r = await stage2(...argv);
        assert.equal(r.code, 1, `${argv.join(" ")} accepted a broken file`);
        assertNoLeak(argv.slice(0, 2).join(" "), r, [outDir]);
        assert.match(r.err, names);
      }
    }
  });

  describe("the environment's CA: pki, users and clients (the CA's, gateways' and users' keys, PKCS#12 passphrases)", function () {
    const passEnv = marker("p12-env");
    const passFile = marker("p12-file");
    const PASS: readonly Marker[] = [
      { name: "$STAGE2_P12_PASSPHRASE", marker: passEnv },
      { name: "--passphrase-file", marker: passFile },
    ];
    let caDir: string;
    let stack: string;
    const results: { what: string; r: Result }[] = [];
    /**
     * Every private key the CA directory holds or held: each line of its body is a marker of its own, except the
     * lines its certificate holds too (an RSA key file carries the public modulus, at the same base64 alignment).
     */
    const keyLines = new Map<string, string>();
    let publicB64 = "";
    const collectKeys = () => {
      for (const f of filesUnder(caDir)) {
        const text = fs.readFileSync(f, "latin1");
        const body = text.split("\n").filter((l) => l.length >= 40 && !l.startsWith("-----"));
        if (text.includes("PRIVATE KEY")) for (const line of body) keyLines.set(line, path.relative(caDir, f));
        else if (text.includes("-----BEGIN")) publicB64 += `${body.join("")}\n`;
      }
    };
    const markers = (): Marker[] => [
      ...PASS,
      ...[...keyLines].filter(([line]) => !publicB64.includes(line)).map(([line, file]) => ({ name: `a line of ${file}`, marker: line })),
    ];
    const cmd = async (env: Record<string, string>, ...argv: string[]): Promise<Result> => {
      const r = await stage2With({ STAGE2_CA_DIR: caDir, ...env }, ...argv);
      results.push({ what: argv.slice(0, 2).join(" "), r });
      collectKeys();
      return r;
    };
    const ok = async (env: Record<string, string>, ...argv: string[]): Promise<Result> => {
      const r = await cmd(env, ...argv);
      assert.equal(r.code, 0, `${argv.join(" ")}: ${r.err}`);
      return r;
    };

    before(function () {
      requireTools(this, "pki", "openssl");
      caDir = path.join(tmp, "ca");
      stack = path.join(tmp, "in", "Pulumi.prod.yaml");
      fs.copyFileSync(stackFilePath("prod"), stack);
      fs.writeFileSync(path.join(tmp, "in", "pass"), `${passFile}\n`, { mode: 0o600 });
    });

    it("every command, with the passphrases from the environment and from a file: no key line or passphrase in any output, the stack, or a file not 0600", async () => {
      await ok({}, "pki", "init", "--name", "canary CA");
      await ok({}, "pki", "gateway", "--config-file", stack, "--gateway", "gw-nbg1");
      await ok({ STAGE2_P12_PASSPHRASE: passEnv }, "users", "add", "carol");
      await ok({}, "users", "add", "dave", "--passphrase-file", path.join(tmp, "in", "pass"));
      await ok({}, "users", "revoke", "dave", "--config-file", stack);
      await ok({ STAGE2_P12_PASSPHRASE: passEnv }, "users", "add", "dave");
      await ok({}, "users", "list");
      await ok({}, "pki", "list");
      await ok({}, "pki", "crl", "--config-file", stack);
      await ok({}, "clients", "--config-file", stack, "--gateway", "gw-nbg1", "--out", path.join(outDir, "ca-clients"));
      // A lab-style stack holding the gateway's key as a plain value: the key reaches only the gateway's 0600 file.
      const withKey = path.join(tmp, "in", "Pulumi.prod-key.yaml");
      const doc = YAML.parse(fs.readFileSync(stack, "utf8"));
      doc.config["stage2:gw-nbg1-cert-key"] = fs.readFileSync(path.join(caDir, "gateways", "gw-nbg1", "gw-nbg1.key"), "utf8");
      fs.writeFileSync(withKey, YAML.stringify(doc, { lineWidth: 0 }));
      await ok({}, "preview", "--json", "--config-file", withKey);
      await ok({}, "policy", "--config-file", withKey);
      await ok({}, "users", "remove", "carol", "--config-file", stack);

      const all = markers();
      assert.ok(all.length > 60, `${all.length} key lines (the CA's, the gateway's, carol's and dave's twice)`);
      for (const { what, r } of results) assertNoLeak(what, r, [], all);
      assertNoLeak("the CA directory and the profiles", { code: 0, out: "", err: "" }, [caDir, outDir], all);
      assert.deepEqual(leaks(fs.readFileSync(stack, "utf8"), all), [], "the stack file holds a key or a passphrase");
      const p12 = filesUnder(caDir).filter((f) => f.endsWith(".p12"));
      assert.equal(p12.length, 2, "dave's two bundles (carol's are removed)");
      for (const f of p12) assert.equal((fs.statSync(f).mode & 0o777).toString(8), "600", f);
    });

    const badPass: [string, string, RegExp][] = [
      ["with a newline", `${passEnv}\nsecond line`, /STAGE2_P12_PASSPHRASE holds a line break/],
      ["too short", passEnv.slice(0, 7), /STAGE2_P12_PASSPHRASE is shorter than 8 characters/],
    ];
    for (const [name, value, says] of badPass) {
      it(`users add with a passphrase ${name}: refused naming where it came from, not the value, and nothing issued`, async () => {
        const before = filesUnder(caDir).length;
        const r = await cmd({ STAGE2_P12_PASSPHRASE: value }, "users", "add", "erin");
        assert.equal(r.code, 1);
        assert.match(r.err, says);
        assertNoLeak(`users add with a passphrase ${name}`, r, [caDir], markers());
        assert.ok(!r.err.includes(value.slice(0, 7)), "a part of the passphrase is in the error");
        assert.equal(filesUnder(caDir).length, before, "a file was written");
      });
    }
  });

  describe("lab run (namespace lab, own prefix)", function () {
    this.timeout(900_000);
    const bin = path.resolve(__dirname, "..", "..", "bin", "stage2");
    const prefix = `cnry${run.slice(0, 3)}`;
    before(function () {
      requireRoot(this);
    });
    // A failed run leaves its lab up for inspection.
    after(() => spawnSync(bin, ["lab", "down", "--prefix", prefix], { encoding: "utf8" }));

    // The lab makes its own secrets per run; the stack's plain values must not reach its output, nor a refused one.
    // Its own stack (its site peers use PSKs only), with the markers in every secret it has.
    const labStack = (mutate: (gw: any) => void = () => undefined): string => {
      const doc = YAML.parse(fs.readFileSync(stackFilePath("lab"), "utf8"));
      mutate(doc.config["stage2:gateways"][0]);
      for (const slot of STACK_SLOTS.filter((s) => s.key === "sshPrivateKey")) doc.config[`stage2:${slot.key}`] = slot.value;
      doc.config["stage2:lab-rw-psk"] = marker("psk-laptops");
      doc.config["stage2:lab-site-psk"] = marker("psk-acme-hq");
      return YAML.stringify(doc, { lineWidth: 0 });
    };
    for (const [name, stack] of [
      ["the lab stack", () => labStack()],
      ["a secrets section in extraSwanctl", () => labStack((gw) => (gw.ipsec.extraSwanctl = { secrets: { "ike-x": { secret: EXTRA_SWANCTL_SECRET } } }))],
    ] as const) {
      it(`with ${name}`, () => {
        const res = spawnSync(bin, ["lab", "run", "--config-file", file(`Pulumi.lab-${name.length}.yaml`, stack()), "--prefix", prefix], { encoding: "utf8" });
        const r = { code: res.status ?? -1, out: res.stdout, err: res.stderr };
        assertNoLeak(`lab run with ${name}`, r);
        if (name === "the lab stack") assert.equal(r.code, 0, r.out + r.err);
        else assert.match(r.out + r.err, /extraSwanctl\.secrets/);
      });
    }
  });
});
