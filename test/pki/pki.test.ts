import { strict as assert } from "assert";
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { main } from "../../cli/main";
import { loadStack } from "../../cli/stack-source";
import { readPassphrase } from "../../cli/pki-stack";
import { stackFilePath } from "../../stacks/load";
import { gatewayProfiles } from "../../components/clients/profile";
import { verdicts } from "../../components/clients/compatibility";
import { swanctlConcern } from "../../components/strongswan/concerns";
import { crlFile } from "../../components/strongswan/gateway-swanctl";
import { CLOSE_NOT_ADMITTED, REVOKED_FILE } from "../../components/strongswan/admitted";
import { requireTools } from "../helpers/env";

/**
 * `stage2 pki` and `stage2 users` with the real tools (strongSwan's pki, openssl) on a copy of the prod stack:
 * certificates checked by `openssl x509 -text` and `openssl verify` (chain and CRL), the stack file updated, the
 * gateway's files carrying the CRL, and, canary-style, no private key or passphrase in any output or non-0600 file.
 */
describe("stage2 pki and stage2 users (the environment's CA)", function () {
  this.timeout(60_000);
  let dir: string;
  let caDir: string;
  let stack: string;
  const outputs: string[] = [];
  const passphrase = `pass ${Math.random().toString(36).slice(2)} phrase`;

  /** The CLI in-process (as bin/stage2 runs it), everything it writes captured. */
  const stage2 = async (args: string[], opts: { env?: Record<string, string> } = {}): Promise<{ status: number; stdout: string; stderr: string }> => {
    let stdout = "";
    let stderr = "";
    const [out, err] = [process.stdout.write.bind(process.stdout), process.stderr.write.bind(process.stderr)];
    const env = { ...process.env };
    Object.assign(process.env, { STAGE2_CA_DIR: caDir, ...opts.env });
    (process.stdout as { write: unknown }).write = (chunk: string | Uint8Array) => ((stdout += String(chunk)), true);
    (process.stderr as { write: unknown }).write = (chunk: string | Uint8Array) => ((stderr += String(chunk)), true);
    try {
      const status = await main(args);
      outputs.push(stdout, stderr);
      return { status, stdout, stderr };
    } finally {
      process.stdout.write = out;
      process.stderr.write = err;
      for (const k of Object.keys(process.env)) if (!(k in env)) delete process.env[k];
      Object.assign(process.env, env);
    }
  };
  const ok = async (args: string[], opts?: { env?: Record<string, string> }): Promise<string> => {
    const r = await stage2(args, opts);
    assert.equal(r.status, 0, `stage2 ${args.join(" ")}: ${r.stderr}`);
    return r.stdout;
  };
  const x509 = (file: string): string => execFileSync("openssl", ["x509", "-in", file, "-noout", "-text"], { encoding: "utf8" });
  const verify = (cert: string, crl: boolean) =>
    spawnSync("openssl", ["verify", "-CAfile", path.join(caDir, "ca.pem"), ...(crl ? ["-crl_check", "-CRLfile", path.join(caDir, "crl.pem")] : []), cert], {
      encoding: "utf8",
    });
  const userCert = (name: string) => path.join(caDir, "users", name, `${name}.pem`);
  const serialOf = (file: string) =>
    execFileSync("openssl", ["x509", "-in", file, "-noout", "-serial"], { encoding: "utf8" })
      .trim()
      .replace(/^serial=/, "");
  const initech = () =>
    loadStack(stack)
      .stack.gateways.find((g) => g.name === "gw-nbg1")!
      .ipsec.roadWarriors.find((r) => r.name === "initech-rw")!;

  before(function () {
    requireTools(this, "pki", "openssl");
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "stage2-pki-"));
    caDir = path.join(dir, "ca");
    stack = path.join(dir, "Pulumi.prod.yaml");
    fs.copyFileSync(stackFilePath("prod"), stack);
    fs.writeFileSync(path.join(dir, "pass"), `${passphrase}\n`, { mode: 0o600 });
  });
  after(() => dir && fs.rmSync(dir, { recursive: true, force: true }));

  it("init makes a 0700 CA directory with an RSA CA (every native client verifies RSA) and an empty CRL; a second init is refused", async () => {
    assert.match(await ok(["pki", "init", "--stack", "prod"]), /^created CA "CN=stage2 prod CA" \(rsa-3072\)/);
    assert.equal(fs.statSync(caDir).mode & 0o777, 0o700);
    assert.equal(fs.statSync(path.join(caDir, "private", "ca.key")).mode & 0o777, 0o600);
    const ca = x509(path.join(caDir, "ca.pem"));
    assert.match(ca, /Public-Key: \(3072 bit\)/);
    assert.match(ca, /CA:TRUE/);
    assert.match(execFileSync("openssl", ["crl", "-in", path.join(caDir, "crl.pem"), "-noout", "-text"], { encoding: "utf8" }), /No Revoked Certificates/);
    const again = await stage2(["pki", "init"]);
    assert.equal(again.status, 1);
    assert.match(again.stderr, /already holds a CA/);
  });

  it("a CA directory others can read is refused", async () => {
    fs.chmodSync(caDir, 0o755);
    const r = await stage2(["pki", "list"]);
    fs.chmodSync(caDir, 0o700);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /must be 0700/);
  });

  it("gateway: SANs = the DNS name clients dial + the floating IP, EKU serverAuth + IKE Intermediate, written into the stack; the key only named", async () => {
    const out = await ok(["pki", "gateway", "--config-file", stack, "--gateway", "gw-nbg1"]);
    const pem = path.join(caDir, "gateways", "gw-nbg1", "gw-nbg1.pem");
    const text = x509(pem);
    // vpn-nbg1.example.com comes from the certificate the stack held: rotation keeps what clients dial.
    assert.match(text, /Subject: CN = vpn-nbg1\.example\.com\n/);
    assert.match(text, /X509v3 Subject Alternative Name: \n\s+DNS:vpn-nbg1\.example\.com, IP Address:203\.0\.113\.130\n/);
    assert.match(text, /X509v3 Extended Key Usage: \n\s+TLS Web Server Authentication, 1\.3\.6\.1\.5\.5\.8\.2\.2\n/);
    assert.match(text, /Public-Key: \(3072 bit\)/);
    const days = (Date.parse(/Not After : (.*)\n/.exec(text)![1]) - Date.now()) / 86_400_000;
    assert.ok(days > 824 && days <= 825, `valid ${days} days`);
    assert.match(verify(pem, true).stdout, /: OK\n$/);
    assert.equal(fs.statSync(path.join(caDir, "gateways", "gw-nbg1", "gw-nbg1.key")).mode & 0o777, 0o600);
    assert.match(out, /pulumi config set --secret --stack prod stage2:gw-nbg1-cert-key < \S+gw-nbg1\.key\n/);

    const rw = initech();
    assert.equal(rw.local.kind === "pubkey" && rw.local.cert, fs.readFileSync(pem, "utf8"));
    assert.equal(rw.clients.kind === "pubkey" && rw.clients.ca, fs.readFileSync(path.join(caDir, "ca.pem"), "utf8"));
    assert.equal(rw.clients.kind === "pubkey" && rw.clients.crl, fs.readFileSync(path.join(caDir, "crl.pem"), "utf8"));
    // The classes' profiles now dial the SAN's name, and Windows and Apple can use the RSA certificate.
    const gw = loadStack(stack).stack.gateways.find((g) => g.name === "gw-nbg1")!;
    const p = gatewayProfiles(gw, "203.0.113.130").find((x) => x.connection === "initech-rw")!;
    assert.equal(p.dialAddress, "vpn-nbg1.example.com");
    assert.deepEqual(
      verdicts(p)
        .filter((v) => v.platform === "windows" || v.platform === "apple")
        .map((v) => v.ok),
      [true, true],
    );
  });

  it("users add: a clientAuth certificate and two PKCS#12 bundles (modern, and legacy for Apple), 0600, passphrase from a file or the environment", async () => {
    await ok(["users", "add", "carol@initech.example", "--passphrase-file", path.join(dir, "pass")]);
    await ok(["users", "add", "dave"], { env: { STAGE2_P12_PASSPHRASE: passphrase } });
    await ok(["users", "add", "erin"], { env: { STAGE2_P12_PASSPHRASE: passphrase } });
    const text = x509(userCert("carol@initech.example"));
    assert.match(text, /Subject: CN = carol@initech\.example\n/);
    assert.match(text, /X509v3 Subject Alternative Name: \n\s+email:carol@initech\.example\n/);
    assert.match(text, /X509v3 Extended Key Usage: \n\s+TLS Web Client Authentication\n/);
    assert.match(verify(userCert("carol@initech.example"), true).stdout, /: OK\n$/);
    for (const user of ["carol@initech.example", "dave", "erin"]) {
      const modern = path.join(caDir, "users", user, `${user}.p12`);
      const apple = path.join(caDir, "users", user, `${user}-apple.p12`);
      assert.equal(fs.statSync(modern).mode & 0o777, 0o600);
      assert.equal(fs.statSync(apple).mode & 0o777, 0o600);
      const info = (file: string, legacy: boolean) =>
        ((r) => r.stdout + r.stderr)(
          spawnSync("openssl", ["pkcs12", "-in", file, "-info", "-noout", "-nodes", "-passin", "stdin", ...(legacy ? ["-legacy"] : [])], {
            input: `${passphrase}\n`,
            encoding: "utf8",
          }),
        );
      assert.match(info(modern, false), /PBES2, PBKDF2, AES-256-CBC/);
      assert.match(info(apple, true), /pbeWithSHA1And3-KeyTripleDES-CBC/);
      assert.match(info(apple, true), /MAC: sha1/);
      // The wrong passphrase opens neither.
      assert.throws(() =>
        execFileSync("openssl", ["pkcs12", "-in", modern, "-info", "-noout", "-passin", "stdin"], {
          input: "wrong passphrase\n",
          stdio: ["pipe", "pipe", "pipe"],
        }),
      );
    }
  });

  it("users add refuses a passphrase on the command line, a short one (not echoed), and a user who already holds a valid certificate", async () => {
    const argv = await stage2(["users", "add", "frank", "--passphrase", passphrase]);
    assert.equal(argv.status, 2);
    assert.match(argv.stderr, /unknown option --passphrase/);
    const short = await stage2(["users", "add", "frank"], { env: { STAGE2_P12_PASSPHRASE: "s3cr" } });
    assert.equal(short.status, 1);
    assert.match(short.stderr, /shorter than 8 characters \(the value is not shown\)/);
    assert.doesNotMatch(short.stderr, /s3cr/);
    assert.equal(
      readPassphrase({ "passphrase-stdin": true }, () => `${passphrase}\n`),
      passphrase,
      "--passphrase-stdin: one line, its newline dropped",
    );
    assert.throws(
      () => readPassphrase({ "passphrase-stdin": true }, () => "two\nlines here\n"),
      /^Error: the passphrase from standard input holds a line break or control character \(the value is not shown\)$/,
    );
    const twice = await stage2(["users", "add", "dave"], { env: { STAGE2_P12_PASSPHRASE: passphrase } });
    assert.equal(twice.status, 1);
    assert.match(twice.stderr, /already holds a valid certificate/);
  });

  it("revoke: the serial is on the CRL (openssl verify -crl_check refuses it), the stack and the gateway's x509crl/ carry the CRL; the name can be issued again", async () => {
    const serial = serialOf(userCert("dave"));
    const crlNumber = () =>
      /CRL Number: \n\s+(\d+)/.exec(execFileSync("openssl", ["crl", "-in", path.join(caDir, "crl.pem"), "-noout", "-text"], { encoding: "utf8" }))![1];
    const before = Number(crlNumber());
    assert.match(
      await ok(["users", "revoke", "dave", "--config-file", stack]),
      /revoked dave: serial \w+ is on the CRL\n {2}set gw-nbg1\/initech-rw clients\.crl\n {2}set gw-nbg1\/initech-rw clients\.revoked CN=dave, dave\n/,
    );
    const revokedAt = Date.now();
    assert.equal(Number(crlNumber()), before + 1, "charon replaces a loaded CRL only by a higher CRL number");
    const refused = verify(userCert("dave"), true);
    assert.notEqual(refused.status, 0);
    assert.match(refused.stdout + refused.stderr, /certificate revoked/);
    assert.match(verify(userCert("erin"), true).stdout, /: OK\n$/, "the other users are untouched");
    const crl = fs.readFileSync(path.join(caDir, "crl.pem"), "utf8");
    assert.match(
      execFileSync("openssl", ["crl", "-in", path.join(caDir, "crl.pem"), "-noout", "-text"], { encoding: "utf8" }),
      new RegExp(`Serial Number: ${serial}\n`),
    );
    const rw = initech();
    assert.equal(rw.clients.kind === "pubkey" && rw.clients.crl, crl);
    const gw = loadStack(stack).stack.gateways.find((g) => g.name === "gw-nbg1")!;
    const concern = swanctlConcern(gw, { floatingIp: "203.0.113.130" });
    const files = concern.files;
    // The cached older CRL would otherwise keep admitting the user (test/pki/lab-revoke.test.ts shows it).
    assert.deepEqual(concern.activate, ["swanctl --flush-certs --type x509_crl", CLOSE_NOT_ADMITTED]);
    // dave's identities, with the time of the revocation: the converge closes his tunnels established before it.
    const revoked = rw.clients.kind === "pubkey" ? rw.clients.revoked : [];
    assert.deepEqual(
      revoked.map((r) => r.id),
      ["CN=dave", "dave"],
    );
    for (const r of revoked) assert.ok(Math.abs(Date.parse(r.at) - revokedAt) < 5_000, r.at);
    const at = Math.floor(Date.parse(revoked[0].at) / 1000);
    assert.deepEqual(
      files
        .find((f) => f.path === REVOKED_FILE)
        ?.content.split("\n")
        .filter((l) => l.startsWith("initech-rw\t")),
      [`initech-rw\trevoked\tCN=dave\t${at}`, `initech-rw\trevoked\tdave\t${at}`],
    );
    assert.deepEqual(
      files.filter((f) => f.path === crlFile("initech-rw")).map((f) => [f.content, f.mode]),
      [[crl, "0644"]],
    );
    const again = await stage2(["users", "revoke", "dave", "--config-file", stack]);
    assert.equal(again.status, 1);
    assert.match(again.stderr, /already revoked/);

    await ok(["users", "add", "dave"], { env: { STAGE2_P12_PASSPHRASE: passphrase } });
    assert.notEqual(serialOf(userCert("dave")), serial);
    assert.match(verify(userCert("dave"), true).stdout, /: OK\n$/);
  });

  it("remove: revokes and deletes the user's key and bundles; list shows every user certificate and its state", async () => {
    const serial = serialOf(userCert("erin"));
    await ok(["users", "remove", "erin", "--config-file", stack]);
    assert.equal(fs.existsSync(path.join(caDir, "users", "erin")), false);
    assert.match(
      execFileSync("openssl", ["crl", "-in", path.join(caDir, "crl.pem"), "-noout", "-text"], { encoding: "utf8" }),
      new RegExp(`Serial Number: ${serial}\n`),
    );
    const list = await ok(["users", "list"]);
    assert.deepEqual(
      list
        .split("\n")
        .slice(1)
        .filter(Boolean)
        .map((l) =>
          l
            .split(/\s+/)
            .slice(1, 2)
            .concat(l.includes("revoked") ? "revoked" : "valid"),
        ),
      [
        ["carol@initech.example", "valid"],
        ["dave", "revoked"],
        ["erin", "revoked"],
        ["dave", "valid"],
      ],
    );
  });

  it("canary: no private key line and no passphrase in any output, and every file holding a key is 0600", async () => {
    const keys: string[] = [];
    const walk = (d: string): string[] =>
      fs.readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)]));
    for (const file of walk(dir)) {
      const content = fs.readFileSync(file);
      const text = content.toString("utf8");
      if (/PRIVATE KEY/.test(text)) {
        keys.push(...text.split("\n").filter((l) => l.length >= 40 && !l.startsWith("-----")));
        assert.equal(fs.statSync(file).mode & 0o777, 0o600, `${file} holds a private key`);
      }
      if (file.endsWith(".p12")) assert.equal(fs.statSync(file).mode & 0o777, 0o600, file);
    }
    assert.ok(keys.length > 20, `found ${keys.length} key lines`);
    const seen = [...outputs, fs.readFileSync(stack, "utf8")].join("\n");
    assert.ok(outputs.length > 20);
    for (const line of keys) assert.ok(!seen.includes(line), "a private key line is in an output or the stack file");
    assert.ok(!seen.includes(passphrase), "the passphrase is in an output");
    assert.ok(!seen.includes(passphrase.split(" ")[1]), "a part of the passphrase is in an output");
  });
});
