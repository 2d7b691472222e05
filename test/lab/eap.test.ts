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
      clients: {
        kind: "eap-mschapv2",
        users: [
          { id: "alice@lab.example", passwordSecret: "lab-eap-alice" },
          { id: "bob@lab.example", passwordSecret: "lab-eap-bob" },
        ],
      },
      dpdDelay: "10s",
    },
  ];
  delete doc.config["stage2:lab-rw-psk"];
  doc.config["stage2:lab-eap-alice"] = "correct horse battery staple";
  doc.config["stage2:lab-eap-bob"] = "another horse battery staple";
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

  it("alice removed from the class and converged: the converge closes her live tunnel, and her reconnection is refused", async () => {
    const withoutAlice = lab!.model((gw) => ({
      ...gw,
      ipsec: {
        ...gw.ipsec,
        roadWarriors: gw.ipsec.roadWarriors.map((rw) =>
          rw.clients.kind === "eap-mschapv2" ? { ...rw, clients: { ...rw.clients, users: rw.clients.users.filter((u) => u.id !== "alice@lab.example") } } : rw,
        ),
      },
    }));
    const converged = await lab!.converge(withoutAlice);
    const output = converged.results.map((r) => r.output).join("\n");
    // Closed by the converge; the client did nothing, and charon's DELETE reached it.
    assert.match(output, /^closed staff IKE_SA #\d+ \(alice@lab\.example\): no longer an EAP user of staff$/m);
    // The lab's client dials again at once (close_action restart): that attempt may show as CONNECTING, never established.
    assert.doesNotMatch((await lab!.host("gw").exec("swanctl --list-sas --raw --ike staff")).stdout, /state=ESTABLISHED [^}]*remote-id=alice@lab\.example /);
    const client = lab!.host("rw-staff");
    assert.doesNotMatch((await client.exec("swanctl --list-sas --ike staff")).stdout, /ESTABLISHED/);
    const again = await client.exec("swanctl --initiate --child staff --timeout 20 --loglevel 1", { timeoutMs: 30_000 });
    assert.notEqual(again.code, 0, `alice reconnected after her removal:\n${again.stdout}${again.stderr}`);
    assert.match(again.stdout + again.stderr, /EAP-MS-CHAPv2 failed with error ERROR_AUTHENTICATION_FAILURE/);
    // Put back: alice connects again, and the next converge closes nothing.
    const back = await lab!.converge();
    assert.doesNotMatch(back.results.map((r) => r.output).join("\n"), /^closed /m);
    const r = await client.exec("swanctl --initiate --child staff --timeout 20", { timeoutMs: 30_000 });
    assert.equal(r.code, 0, r.stdout + r.stderr);
  });

  it("down leaves nothing", async () => {
    await lab!.down();
    lab = undefined;
    assert.deepEqual(await labNamespaces(PREFIX), []);
  });
});
