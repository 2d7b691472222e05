import { strict as assert } from "assert";
import { execFileSync, spawnSync } from "child_process";
import { X509Certificate } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { loadStack } from "../../cli/stack-source";
import { stackFilePath } from "../../stacks/load";
import { GatewayModel } from "../../components/model/gateway";
import { ClientProfile, gatewayProfiles } from "../../components/clients/profile";
import { renderMobileconfig } from "../../components/clients/mobileconfig";
import { renderSswan } from "../../components/clients/sswan";
import { renderWindowsScript } from "../../components/clients/windows";
import { renderNmKeyfile } from "../../components/clients/networkmanager";
import { verdicts } from "../../components/clients/compatibility";
import { renderClientSecrets, renderClientSwanctl } from "../../components/clients/swanctl-client";
import { errorsOf, formatLocatedProblem, readSwanctlText } from "../../components/strongswan/swanctl";

const BIN = path.resolve(__dirname, "..", "..", "bin", "stage2");
const PROD = loadStack(stackFilePath("prod"));
const gw = (name: string): GatewayModel => PROD.stack.gateways.find((g) => g.name === name)!;
const FSN1 = gw("gw-fsn1");
const NBG1 = gw("gw-nbg1");
const profile = (g: GatewayModel, conn: string): ClientProfile => gatewayProfiles(g, g.floatingIp.address!).find((p) => p.connection === conn)!;
const withProposals = (p: ClientProfile, ike: string[], esp: string[]): ClientProfile => ({ ...p, ike, esp });

/** python3's plistlib reads the profile back as JSON (bytes as base64). */
function readPlist(xml: string): any {
  const py = "import plistlib,sys,json,base64\nd=plistlib.loads(sys.stdin.buffer.read())\nprint(json.dumps(d, default=lambda b: base64.b64encode(b).decode()))";
  return JSON.parse(execFileSync("python3", ["-c", py], { input: xml, encoding: "utf8" }));
}

describe("client profiles (stage2 clients)", () => {
  it("the .mobileconfig parses as a property list with the expected payloads and exactly the gateway's algorithms", () => {
    const p = profile(NBG1, "initech-rw");
    const doc = readPlist(renderMobileconfig(p));
    assert.equal(doc.PayloadType, "Configuration");
    assert.deepEqual(
      doc.PayloadContent.map((c: any) => c.PayloadType),
      ["com.apple.security.root", "com.apple.vpn.managed"],
    );
    const root = doc.PayloadContent[0];
    const ca = NBG1.ipsec.roadWarriors.find((r) => r.name === "initech-rw")!.clients;
    assert.equal(ca.kind, "pubkey");
    if (ca.kind === "pubkey") assert.equal(root.PayloadContent, new X509Certificate(ca.ca).raw.toString("base64"));
    const vpn = doc.PayloadContent[1];
    assert.equal(vpn.VPNType, "IKEv2");
    // The gateway's first proposals: aes256gcm16-prfsha384-ecp384 / aes256gcm16-ecp384.
    assert.deepEqual(vpn.IKEv2.IKESecurityAssociationParameters, {
      EncryptionAlgorithm: "AES-256-GCM",
      IntegrityAlgorithm: "SHA2-384",
      DiffieHellmanGroup: 20,
    });
    assert.equal(vpn.IKEv2.ChildSecurityAssociationParameters.EncryptionAlgorithm, "AES-256-GCM");
    assert.equal(vpn.IKEv2.ChildSecurityAssociationParameters.DiffieHellmanGroup, 20);
    assert.equal(vpn.IKEv2.EnablePFS, 1);
    assert.equal(vpn.IKEv2.AuthenticationMethod, "Certificate");
    assert.equal(vpn.IKEv2.RemoteAddress, "vpn-nbg1.example.com"); // the gateway certificate's DNS SAN
    assert.equal(vpn.IKEv2.RemoteIdentifier, "C=DE, O=Example Platform, CN=vpn-nbg1.example.com");

    const eap = readPlist(renderMobileconfig(profile(FSN1, "acme-rw"))).PayloadContent[1];
    assert.equal(eap.IKEv2.AuthenticationMethod, "None");
    assert.equal(eap.IKEv2.ExtendedAuthEnabled, 1);
    assert.equal(eap.IKEv2.AuthName, "alice@acme.example");
    assert.equal(eap.IKEv2.AuthPassword, undefined);
    assert.deepEqual(eap.DNS.ServerAddresses, ["10.0.0.10"]);

    const cbc = readPlist(renderMobileconfig(withProposals(profile(FSN1, "globex-rw"), ["aes256-sha256-modp3072"], ["aes128-sha256"])));
    assert.deepEqual(cbc.PayloadContent[0].IKEv2.IKESecurityAssociationParameters, {
      EncryptionAlgorithm: "AES-256",
      IntegrityAlgorithm: "SHA2-256",
      DiffieHellmanGroup: 15,
    });
    assert.equal(cbc.PayloadContent[0].IKEv2.EnablePFS, 0);
    assert.equal(cbc.PayloadContent[0].IKEv2.AuthenticationMethod, "SharedSecret");
    assert.equal(cbc.PayloadContent[0].IKEv2.SharedSecret, undefined);
    assert.equal(readPlist(renderMobileconfig(profile(FSN1, "globex-rw"), "k3y & <x>")).PayloadContent[0].IKEv2.SharedSecret, "k3y & <x>");
  });

  it("the .sswan is JSON with the fields the strongSwan app reads, and no PSK class gets one", () => {
    const p = profile(FSN1, "acme-rw");
    const doc = JSON.parse(renderSswan(p));
    assert.match(doc.uuid, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(doc.type, "ikev2-eap");
    assert.equal(doc.remote.addr, "203.0.113.120");
    assert.equal(doc.remote.id, p.serverId);
    assert.equal(Buffer.from(doc.remote.cert, "base64").toString("base64"), doc.remote.cert);
    assert.doesNotThrow(() => new X509Certificate(Buffer.from(doc.remote.cert, "base64")));
    assert.equal(doc.local.eap_id, "alice@acme.example");
    assert.equal(doc["ike-proposal"], FSN1.ipsec.roadWarriors[0].proposals.ike[0]);
    assert.equal(doc["esp-proposal"], FSN1.ipsec.roadWarriors[0].proposals.esp[0]);
    assert.equal(doc["split-tunneling"].subnets, "10.0.0.0/16 10.244.0.0/16");
    assert.equal(doc["dns-servers"], "10.0.0.10");
    assert.equal(JSON.parse(renderSswan(profile(NBG1, "initech-rw"))).type, "ikev2-cert");
    assert.throws(() => renderSswan(profile(FSN1, "globex-rw")), /no PSK/);
  });

  it("the NetworkManager keyfile is read back by nmcli --offline with its routes, DNS and proposals", () => {
    const p = profile(FSN1, "globex-rw");
    const r = spawnSync("nmcli", ["--offline", "connection", "modify", "connection.autoconnect", "no"], { input: renderNmKeyfile(p), encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    const back = r.stdout;
    assert.match(back, /^service-type=org\.freedesktop\.NetworkManager\.strongswan$/m);
    assert.match(back, /^method=psk$/m);
    assert.match(back, /^address=203\.0\.113\.120$/m);
    assert.match(back, /^remote-identity=vpn-fsn1\.example\.com$/m);
    assert.match(back, /^ike=aes256gcm16-prfsha384-ecp384;aes256-sha256-modp2048$/m);
    assert.match(back, /^route1=10\.0\.0\.0\/16$/m);
    assert.doesNotMatch(back, /^route2=/m); // globex-rw's localTs is the one network
    assert.match(back, /^never-default=true$/m);
    // nmcli is a real reader: a keyfile it cannot take fails.
    const bad = spawnSync("nmcli", ["--offline", "connection", "modify", "connection.autoconnect", "no"], {
      input: renderNmKeyfile(p).replace("method=auto", "method=bogus"),
      encoding: "utf8",
    });
    assert.notEqual(bad.status, 0);
  });

  it("the PowerShell script's IPsec parameters are one of the gateway's proposals, never Windows' defaults", () => {
    const back: Record<string, string> = {
      GCMAES256: "aes256gcm16",
      GCMAES128: "aes128gcm16",
      AES256: "aes256",
      AES128: "aes128",
      SHA256: "sha256",
      SHA384: "sha384",
      ECP384: "ecp384",
      ECP256: "ecp256",
      Group14: "modp2048",
      Group2: "modp1024",
    };
    const check = (p: ClientProfile) => {
      const line = renderWindowsScript(p)
        .split("\r\n")
        .find((l) => l.startsWith("Set-VpnConnectionIPsecConfiguration"))!;
      const arg = (name: string) => new RegExp(`-${name} (\\S+)`).exec(line)![1];
      const encr = back[arg("EncryptionMethod")];
      const integ = back[arg("IntegrityCheckMethod")];
      const ike = [encr, encr.includes("gcm") ? `prf${integ}` : integ, back[arg("DHGroup")]].join("-");
      assert.ok(p.ike.includes(ike), `${ike} is not among ${p.ike.join(", ")}`);
      const cipher = back[arg("CipherTransformConstants")];
      const pfs = arg("PfsGroup");
      const esp = [
        cipher,
        ...(cipher.includes("gcm") ? [] : [arg("AuthenticationTransformConstants") === "SHA256128" ? "sha256" : "?"]),
        ...(pfs === "None" ? [] : [back[pfs]]),
      ].join("-");
      assert.ok(p.esp.includes(esp), `${esp} is not among ${p.esp.join(", ")}`);
      assert.doesNotMatch(line, /Group2\b|PFS1|PFS2\b/);
    };
    check(profile(FSN1, "acme-rw"));
    check(withProposals(profile(FSN1, "acme-rw"), ["aes256-sha256-modp2048"], ["aes256-sha256"]));
    check(withProposals(profile(FSN1, "acme-rw"), ["chacha20poly1305-prfsha256-x25519", "aes128-sha256-ecp256"], ["aes128gcm16"]));
    assert.throws(() => renderWindowsScript(profile(FSN1, "globex-rw")), /no pre-shared key/);
    assert.throws(
      () => renderWindowsScript(withProposals(profile(FSN1, "acme-rw"), ["chacha20poly1305-prfsha256-x25519"], ["aes256-sha256"])),
      /no IKE proposal/,
    );
  });

  it("every prod user's Linux swanctl.conf and secrets file pass the swanctl.conf model of strongSwan 5.9.8", () => {
    const all = [FSN1, NBG1].flatMap((g) => gatewayProfiles(g, g.floatingIp.address!));
    assert.equal(all.length, 7);
    for (const p of all) {
      const conf = readSwanctlText(renderClientSwanctl(p));
      assert.deepEqual(errorsOf(conf).map(formatLocatedProblem), [], `${p.connection} ${p.user}`);
      const conn = renderClientSwanctl(p);
      assert.ok(conn.includes(`proposals = ${p.ike.join(",")}`) && conn.includes(`esp_proposals = ${p.esp.join(",")}`));
      assert.ok(conn.includes(`remote_ts = ${p.routes.join(",")}`));
      // A certificate user sends the certificate unasked: gw-nbg1 picks its EAP class first otherwise (docs/lab.md)
      assert.equal(/^\t\tsend_cert = always$/m.test(conn), p.auth === "pubkey", `${p.connection} ${p.user}`);
      if (p.secretRef) assert.deepEqual(errorsOf(readSwanctlText(renderClientSecrets(p, "s3cret"))).map(formatLocatedProblem), []);
    }
  });

  it("compatibility: the prod stack's Ed25519 gateways rule out Windows, PSK rules out the Android app", () => {
    const of = (p: ClientProfile, platform: string) => verdicts(p).find((v) => v.platform === platform)!;
    assert.equal(of(profile(FSN1, "acme-rw"), "windows").ok, false);
    assert.match(of(profile(FSN1, "acme-rw"), "windows").notes.join(), /not ed25519/);
    assert.equal(of(profile(FSN1, "acme-rw"), "apple").ok, false);
    assert.match(of(profile(FSN1, "acme-rw"), "apple").notes.join(), /Ed25519 is unproven/);
    assert.equal(of(profile(FSN1, "globex-rw"), "apple").ok, true);
    assert.equal(of(profile(FSN1, "globex-rw"), "windows").ok, false);
    assert.equal(of(profile(FSN1, "globex-rw"), "android-strongswan").ok, false);
    assert.equal(of(withProposals(profile(FSN1, "globex-rw"), ["chacha20poly1305-prfsha256-curve448"], ["aes256-sha256"]), "apple").ok, true);
    assert.equal(of(withProposals(profile(FSN1, "globex-rw"), ["aes256-sha256-modp2048s224"], ["aes256-sha256"]), "apple").ok, false);
  });

  it("stage2 clients writes every user's profiles; the Linux swanctl.conf loads into charon; a plain secret only in a 0600 file", function () {
    this.timeout(120_000);
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "stage2-clients-"));
    try {
      // The lab stack: its road warriors' PSK is plain.
      const stackFile = stackFilePath("lab");
      const profiles = path.join(out, "profiles");
      const r = spawnSync(BIN, ["clients", "--config-file", stackFile, "--out", profiles], { encoding: "utf8" });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /android-strongswan\s+no/);
      assert.match(r.stdout, /\.mobileconfig holds the PSK \(Apple requires it in the profile\): mode 0600/);
      const lab = loadStack(stackFile);
      const secrets = lab.plainSecrets.map((k) => lab.secrets[k]);
      assert.ok(secrets.length > 0);
      const files = fs
        .readdirSync(profiles, { recursive: true })
        .map(String)
        .map((f) => path.join(profiles, f))
        .filter((f) => fs.statSync(f).isFile());
      const secretFiles = files.filter((f) => f.endsWith("stage2-secrets.conf"));
      assert.ok(secretFiles.length > 0);
      for (const f of files) {
        const text = fs.readFileSync(f, "utf8");
        const holds = secrets.some((s) => text.includes(s));
        assert.equal(holds, f.endsWith("stage2-secrets.conf") || f.endsWith(".mobileconfig"), `${f} ${holds ? "holds" : "lacks"} a secret`);
        if (holds || f.endsWith(".nmconnection")) assert.equal(fs.statSync(f).mode & 0o777, 0o600, f);
      }
      for (const s of secrets) assert.ok(!r.stdout.includes(s) && !r.stderr.includes(s));
      const conf = files.find((f) => f.endsWith(path.join("linux", "swanctl.conf")))!;
      const check = spawnSync(BIN, ["swanctl", "check", "--charon", conf], { encoding: "utf8" });
      assert.equal(check.status, 0, check.stdout + check.stderr);
      assert.match(check.stdout + check.stderr, /charon 5\.9\.8: loaded 1 connection/);
      // The profile replaces Debian's swanctl.conf: its own include loads the secrets file next to it.
      assert.match(check.stdout + check.stderr, /swanctl\.conf: ok \(1 connection, 2 files read\)/);
      assert.match(fs.readFileSync(conf, "utf8"), /\ninclude conf\.d\/\*\.conf\n$/);
      // The prod stack: its Ed25519 classes get no Windows or Apple file, only the reason.
      const prodOut = path.join(out, "prod");
      const prod = spawnSync(BIN, ["clients", "--stack", "prod", "--gateway", "gw-nbg1", "--user", "alice@acme.example", "--out", prodOut], {
        encoding: "utf8",
      });
      assert.equal(prod.status, 0, prod.stderr);
      const written = fs.readdirSync(prodOut, { recursive: true }).map(String).sort();
      assert.ok(written.some((f) => f.endsWith(".sswan")) && written.some((f) => f.endsWith(".nmconnection")), written.join());
      assert.ok(!written.some((f) => f.endsWith(".ps1") || f.endsWith(".mobileconfig")), written.join());
      assert.match(prod.stdout, /skipped gw-nbg1\/acme-rw-nbg alice@acme\.example \.ps1: Windows' IKEv2 takes RSA and ECDSA/);
      assert.ok(!written.some((f) => f.includes("bob")));
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});
