import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse, stringify } from "yaml";
import { planGateway } from "../../components/plan";
import { requireRoot, requireTools } from "../helpers/env";
import { runOk } from "../../lab/exec";
import { Lab } from "../../lab/lab";
import { labNamespaces } from "../../lab/netns";
import { LAB_STACK_FILE } from "../../lab/stack";

const PREFIX = "s2eap";

/** The lab stack with its road warrior switched to EAP-MSCHAPv2 (gateway proves itself with a certificate). */
async function eapStack(dir: string): Promise<string> {
  const doc = parse(fs.readFileSync(LAB_STACK_FILE, "utf8")) as { config: Record<string, unknown> };
  // The certificate a user would have in the stack; the lab replaces it per run with one it issues itself.
  const key = await runOk(["pki", "--gen", "--type", "ecdsa", "--size", "256", "--outform", "pem"]);
  fs.writeFileSync(path.join(dir, "key.pem"), key);
  const cert = await runOk(["pki", "--self", "--in", path.join(dir, "key.pem"), "--dn", "CN=vpn.lab.example", "--san", "vpn.lab.example", "--outform", "pem"]);
  const gateways = doc.config["stage2:gateways"] as { ipsec: { roadWarriors: unknown[]; sites: unknown[] }; wireguard: { peers: unknown[] } }[];
  // A smaller stack than the lab's: no site, no WireGuard peer (those facts are then not applicable).
  gateways[0].ipsec.sites = [];
  gateways[0].wireguard.peers = [];
  delete doc.config["stage2:lab-site-psk"];
  gateways[0].ipsec.roadWarriors = [
    {
      name: "staff",
      pool: "10.3.0.0/24",
      local: { kind: "pubkey", cert, keySecret: "lab-gw-cert-key", id: "vpn.lab.example" },
      clients: { kind: "eap-mschapv2", users: [{ id: "alice@lab.example", passwordSecret: "lab-eap-alice" }] },
      dpdDelay: "10s",
    },
  ];
  delete doc.config["stage2:lab-rw-psk"];
  doc.config["stage2:lab-eap-alice"] = "correct horse battery staple";
  const file = path.join(dir, "Pulumi.lab-eap.yaml");
  fs.writeFileSync(file, stringify(doc));
  return file;
}

describe("lab on a custom stack: an EAP-MSCHAPv2 road warrior (certificate issued per run with pki), no site, no WireGuard peer", function () {
  this.timeout(120_000);
  let lab: Lab | undefined;
  let dir: string;

  before(async function () {
    requireRoot(this);
    requireTools(this, "pki", "ip", "nsenter", "sshd", "/usr/lib/ipsec/charon", "swanctl", "bird", "gobgpd", "wireguard-go");
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "stage2-lab-eap-"));
    lab = (await Lab.up({ stackFile: await eapStack(dir), prefix: PREFIX }, planGateway)).lab;
  });

  after(async () => {
    if (lab) await lab.down();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("every fact passes; gw authenticated alice by EAP-MSCHAPv2 and showed the certificate the lab issued", async () => {
    assert.deepEqual(
      lab!.topology.hosts.map((h) => h.role),
      ["internet", "ops", "lab-gw", "node1", "rw-staff", "nat", "privnet"],
    );
    const facts = await lab!.check();
    for (const f of facts) assert.equal(f.ok, true, `${f.id}: ${f.what} — ${f.evidence}`);
    assert.deepEqual(
      facts.map((f) => f.id),
      [
        ...["bgp-rib", "ike-sa", "rw-vip", "rw-ts", "rw-reach", "rw-return", "isolation", "pool-spoof", "ipsec-not-on-wg0"],
        ...["doctor-connections", "doctor-connections", "doctor-connections", "doctor-bird", "doctor-capacity"],
      ],
    );
    assert.match(facts[1].evidence, /^staff ESTABLISHED local 203\.0\.113\.20\[4500\] remote 198\.51\.100\.3\[4500\] nat-remote=yes$/);
    const raw = (await lab!.host("gw").exec("swanctl --list-sas --raw --ike staff")).stdout;
    assert.match(raw, / remote-id=alice@lab\.example /);
    // The connection admits no other proof than EAP-MSCHAPv2, so the established SA is alice's EAP login.
    const conns = (await lab!.host("gw").exec("swanctl --list-conns")).stdout;
    assert.match(
      conns,
      /^ {2}local public key authentication:\n {4}id: vpn\.lab\.example\n {4}certs: CN=vpn\.lab\.example\n {2}remote EAP_MSCHAPV2 authentication:\n {4}eap_id: %any$/m,
    );
    const certs = (await lab!.host("gw").exec("swanctl --list-certs --subject CN=vpn.lab.example")).stdout;
    assert.match(certs, /^ {2}issuer: {3}"CN=stage2 lab CA"$/m);
    assert.match(certs, /^ {2}pubkey: {4}ECDSA 256 bits, has private key$/m);
  });

  it("down leaves nothing", async () => {
    await lab!.down();
    lab = undefined;
    assert.deepEqual(await labNamespaces(PREFIX), []);
  });
});
