import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { classProfiles } from "../../components/clients/profile";
import { verdicts } from "../../components/clients/compatibility";
import { GatewayInput, parseGateway } from "../../components/model/gateway";
import { runOk } from "../../lab/exec";
import { requireTools } from "../helpers/env";
import { fixtureGateway } from "../fixtures/gateway";
import { foreignStack, GOOD_FILES, MASK_STARTER, rows, stage2Stack, withFile } from "./helpers/stacks";

const POLICY = "client-compatibility";
const FILE = "/etc/swanctl/swanctl.conf";
const ED25519_APPLE = "Ed25519 is unproven on Apple devices (API since iOS 13 / macOS 10.15; Keychain import failures reported): use RSA or ECDSA P-256";

describe("advisory policy client-compatibility: which native clients cannot connect to a road-warrior class", function () {
  this.timeout(60_000);
  const certs: Record<"ecdsa" | "ed25519", string> = { ecdsa: "", ed25519: "" };
  /** The fixture's class with the gateway proving itself by a certificate of that type. */
  const withCert = (type: keyof typeof certs) => (gw: GatewayInput) => {
    const rw = gw.ipsec!.roadWarriors![0];
    gw.ipsec!.roadWarriors![0] = { ...rw, local: { kind: "pubkey", cert: certs[type], keySecret: "gw-key", id: "vpn.acme.example" } };
  };

  before(async function () {
    requireTools(this, "pki");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stage2-compat-"));
    try {
      for (const type of ["ecdsa", "ed25519"] as const) {
        const key = path.join(dir, type);
        fs.writeFileSync(key, await runOk(["pki", "--gen", "--type", type, ...(type === "ecdsa" ? ["--size", "256"] : []), "--outform", "pem"]));
        certs[type] = await runOk([
          "pki",
          "--self",
          "--in",
          key,
          "--type",
          type,
          "--dn",
          "CN=vpn.acme.example",
          "--san",
          "vpn.acme.example",
          "--outform",
          "pem",
        ]);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("an EAP class behind an Ed25519 gateway certificate: Windows and Apple named with the reason, the same table `stage2 clients` prints", async () => {
    assert.deepStrictEqual(rows(await stage2Stack(withCert("ed25519")), POLICY), [
      [
        "advisory",
        "gw-test-swanctl",
        `${FILE}: road-warrior class "acme-rw" (eap-mschapv2, gateway key ed25519): windows cannot connect (Windows' IKEv2 takes RSA and ECDSA P-256/P-384 certificates, not ed25519); apple cannot connect (${ED25519_APPLE}). Clients that can: android-strongswan, networkmanager, linux-swanctl.`,
      ],
    ]);
    // One source: the profiles' own verdicts for that class say the same.
    const input = fixtureGateway();
    withCert("ed25519")(input);
    const parsed = parseGateway(input);
    assert.ok(parsed.ok);
    const gw = parsed.gateway;
    const [profile] = classProfiles(gw, gw.ipsec.roadWarriors[0], gw.floatingIp.address as string);
    assert.deepStrictEqual(
      verdicts(profile)
        .filter((v) => !v.ok)
        .map((v) => v.platform),
      ["windows", "apple"],
    );
  });

  it("a PSK class: Windows' client has no PSK method, the strongSwan app none either", async () => {
    const v = await stage2Stack((gw: GatewayInput) => {
      gw.ipsec!.roadWarriors![0] = {
        ...gw.ipsec!.roadWarriors![0],
        local: { kind: "psk" },
        clients: { kind: "psk", ids: ["bob@acme.example"], secret: "psk-hq" },
      };
    });
    assert.deepStrictEqual(rows(v, POLICY), [
      [
        "advisory",
        "gw-test-swanctl",
        `${FILE}: road-warrior class "acme-rw" (psk): windows cannot connect (Windows' IKEv2 client (Add-VpnConnection) has no pre-shared key method); android-strongswan cannot connect (the strongSwan app always authenticates the server by certificate: no PSK). Clients that can: apple, networkmanager, linux-swanctl.`,
      ],
    ]);
  });

  it("an ECDSA P-256 certificate and proposals every client can name: no finding; proposals Windows cannot express: named", async () => {
    const ecdsa = withCert("ecdsa");
    assert.deepStrictEqual(rows(await stage2Stack(ecdsa), POLICY), []);
    const chacha = await stage2Stack((gw) => {
      ecdsa(gw);
      gw.ipsec!.roadWarriors![0] = { ...gw.ipsec!.roadWarriors![0], proposals: { ike: ["chacha20poly1305-prfsha256-x25519"] } };
    });
    const [row] = rows(chacha, POLICY);
    assert.ok(row, "no finding for a class Windows cannot meet");
    assert.match(
      row[2],
      /^\/etc\/swanctl\/swanctl\.conf: road-warrior class "acme-rw" \(eap-mschapv2, gateway key ecdsa-prime256v1\): windows cannot connect \(no IKE proposal Set-VpnConnectionIPsecConfiguration can express/,
    );
  });

  it("fails closed: a class without proposals (charon's compiled-in defaults) is reported as not judged", async () => {
    const files = withFile(FILE, (c) =>
      c.replace("        proposals = aes256gcm16-prfsha384-ecp384\n", "").replace("auth = pubkey\n            certs = gw.pem", "auth = psk"),
    );
    const v = await foreignStack({ files, extra: [MASK_STARTER], floatingIp: { assigned: true } });
    assert.deepStrictEqual(rows(v, POLICY), [
      [
        "advisory",
        "vpn-config",
        `${FILE}: road-warrior class "home": client compatibility not judged: its IKE or ESP proposals are not set (charon's defaults).`,
      ],
    ]);
  });

  it("fails closed: a class whose gateway certificate the pack cannot read is reported as not judged", async () => {
    // The fixture's certificate is a made-up one that no parser reads.
    assert.deepStrictEqual(rows(await stage2Stack(), POLICY), [
      [
        "advisory",
        "gw-test-swanctl",
        `${FILE}: road-warrior class "acme-rw": client compatibility not judged: its gateway certificate /etc/swanctl/x509/acme-rw.pem is not a readable certificate.`,
      ],
    ]);
    const v = await foreignStack({ files: GOOD_FILES, extra: [MASK_STARTER], floatingIp: { assigned: true } });
    assert.deepStrictEqual(rows(v, POLICY), [
      [
        "advisory",
        "vpn-config",
        `${FILE}: road-warrior class "home": client compatibility not judged: its gateway certificate /etc/swanctl/x509/gw.pem is not among the gateway's files.`,
      ],
    ]);
  });
});
