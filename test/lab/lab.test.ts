import { CONCERNS } from "../../components/concern-registry";
import { withRoadWarrior } from "../../lab/model";
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { planGateway } from "../../components/plan";
import { GatewayModel } from "../../components/model/gateway";
import { requireRoot, requireTools, LAB_TOOLS } from "../helpers/env";
import { listSas } from "../../lab/checks";
import { ConvergeError } from "../../lab/converge";
import { run } from "../../lab/exec";
import { killGatewayCharon, waitForTunnels } from "../../lab/faults";
import { pingWhile, rwChildSpis } from "../../lab/hitless";
import { Lab } from "../../lab/lab";
import { labNamespaces, processesIn } from "../../lab/netns";
import { sshRun, writeKnownHosts } from "../../lab/ssh";
import { LAB_STACK_FILE } from "../../lab/stack";

const PREFIX = "s2test";

const rootLinks = async (): Promise<string[]> =>
  (await run(["ip", "-o", "link", "show"])).stdout
    .split("\n")
    .filter(Boolean)
    .map((l) => l.split(": ")[1].split("@")[0])
    .sort();

describe("lab (network namespaces, real daemons, converge over SSH)", function () {
  this.timeout(120_000);
  let lab: Lab;
  let linksBefore: string[];

  before(async function () {
    requireRoot(this);
    requireTools(this, ...LAB_TOOLS);
    linksBefore = await rootLinks();
    lab = (await Lab.up({ stackFile: LAB_STACK_FILE, prefix: PREFIX }, planGateway)).lab;
  });

  after(async function () {
    if (lab) await lab.down();
  });

  it("stays contained: no lab interface in the machine's namespace, every veth's peer in a lab namespace", async () => {
    assert.deepEqual(await rootLinks(), linksBefore);
    const namespaces = await labNamespaces(PREFIX);
    assert.equal(namespaces.length, lab.topology.hosts.length);
    for (const ns of namespaces) {
      const links = JSON.parse((await run(["ip", "-n", ns, "-j", "-d", "link", "show", "type", "veth"])).stdout) as { ifname: string; link_netnsid?: number }[];
      const ids = (await run(["ip", "-n", ns, "netns", "list-id"])).stdout;
      for (const link of links) {
        assert.ok(link.link_netnsid !== undefined, `${ns}/${link.ifname}: its peer is in the machine's own namespace`);
        const peer = new RegExp(`nsid ${link.link_netnsid} \\(iproute2 netns name: ([^)]+)\\)`).exec(ids)?.[1];
        assert.ok(peer && peer.startsWith(`${PREFIX}-`), `${ns}/${link.ifname}: peer namespace ${peer ?? "unnamed"} is not the lab's`);
      }
      // Nothing else could carry a packet out: loopback, those veths, the private network's switch, the tunnels' TUN devices.
      const all = JSON.parse((await run(["ip", "-n", ns, "-j", "-d", "link", "show"])).stdout) as { ifname: string; linkinfo?: { info_kind?: string } }[];
      for (const link of all) {
        const kind = link.ifname === "lo" ? "loopback" : (link.linkinfo?.info_kind ?? "none");
        assert.ok(["loopback", "veth", "bridge", "tun"].includes(kind), `${ns}/${link.ifname} is a ${kind} device`);
      }
    }
  });

  it("SSH pins gw's host key: a known_hosts entry with another key is refused, nothing runs", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stage2-lab-ssh-"));
    try {
      fs.copyFileSync(lab.state.operatorKeyFile, path.join(dir, "operator"));
      await run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", path.join(dir, "other")]);
      const other = fs.readFileSync(path.join(dir, "other.pub"), "utf8").split(" ").slice(0, 2).join(" ");
      const target = { ...lab.target(lab.model()), hostKey: other };
      writeKnownHosts(path.join(dir, "known_hosts"), [target]);
      const client = { keyFile: path.join(dir, "operator"), knownHostsFile: path.join(dir, "known_hosts"), from: lab.host("ops") };
      const res = await sshRun(client, target, "touch /run/stage2-must-not-exist");
      assert.equal(res.code, 255);
      assert.match(res.stderr, /Host key verification failed/);
      assert.notEqual((await lab.host("gw").exec("test -e /run/stage2-must-not-exist")).code, 0);
      const ok = await sshRun(lab.client(), lab.target(lab.model()), "echo pinned");
      assert.equal(ok.stdout, "pinned\n");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("check: every fact passes, with its evidence", async () => {
    const facts = await lab.check();
    assert.deepEqual(
      facts.map((f) => f.id),
      [
        "bgp-rib",
        "ike-sa",
        "rw-vip",
        "rw-ts",
        "rw-reach",
        "rw-return",
        "isolation",
        "site-up",
        "site-reach",
        "wireguard",
        "pool-spoof",
        "ipsec-not-on-wg0",
        "doctor-connections",
        "doctor-connections",
        "doctor-connections",
        "doctor-connections",
        "doctor-bird",
        "doctor-capacity",
      ],
    );
    for (const f of facts) assert.equal(f.ok, true, `${f.id}: ${f.what} — ${f.evidence}`);
    const ike = facts.find((f) => f.id === "ike-sa")!;
    assert.match(ike.evidence, /^laptops ESTABLISHED local 203\.0\.113\.20\[4500\] remote 198\.51\.100\.3\[4500\] nat-remote=yes$/);
    assert.match(facts.find((f) => f.id === "bgp-rib")!.evidence, /^received: 10\.20\.0\.0\/24, 10\.3\.0\.0\/24(, 10\.3\.0\.\d+\/32)?$/);
    assert.match(facts.find((f) => f.id === "rw-return")!.evidence, /^kernel: 10\.3\.0\.\d+ via 10\.0\.0\.2 dev eth0 src 10\.0\.1\.1; 3\/3 echo replies$/);
    assert.equal(facts.find((f) => f.id === "site-up")!.evidence, "203.0.113.20 ↔ 198.51.100.18 ESTABLISHED, initiated by lab-gw");
    assert.match(facts.find((f) => f.id === "ipsec-not-on-wg0")!.evidence, / 0 IKE\/ESP packets on wg0, [1-9]\d* on eth0$/);
    assert.equal(facts.find((f) => f.id === "pool-spoof")!.evidence, "3 sent from the internet to lab-gw's public interface; node1 counted 0");
  });

  it("IKE stays off wg0: gw offers the road warrior other addresses over MOBIKE, never its WireGuard address", async () => {
    const log = await lab.host("rw").exec("grep -h 'got additional MOBIKE peer address' /var/log/charon.log");
    const offered = new Set([...log.stdout.matchAll(/peer address: (\S+)/g)].map((m) => m[1]));
    const gw = lab.topology.gateways[0];
    assert.deepEqual([...offered].sort(), [gw.privateAddr, gw.publicAddr].sort(), log.stdout);
    assert.ok(!offered.has(gw.wgAddr));
  });

  it("stage2 lab shell runs a command inside a lab host (gw's table 220 holds the tunnels' routes)", async () => {
    const cli = path.resolve(__dirname, "..", "..", "bin", "stage2");
    const res = await run([cli, "lab", "shell", "gw", "--prefix", PREFIX, "--", "ip", "-4", "route", "show", "table", "220"]);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /^10\.3\.0\.\d+ dev ipsec0 proto static src 10\.0\.0\.2 $/m);
    assert.match(res.stdout, /^10\.20\.0\.0\/24 dev ipsec0 proto static src 10\.0\.0\.2 $/m);
  });

  it("an unchanged re-converge activates nothing", async () => {
    const res = await lab.converge();
    assert.equal(res.activated, 0, res.results.map((r) => `${r.concern}: ${r.status}`).join(", "));
    assert.deepEqual(
      res.results.map((r) => r.concern),
      CONCERNS.map((c) => c.name),
    );
  });

  const hitless = async (change: ((gw: GatewayModel) => GatewayModel) | undefined, expectActivated: string[]) => {
    const spis = await rwChildSpis(lab);
    const window = await pingWhile(lab, () => lab.converge(lab.model(change)));
    const activated = window.result.results.filter((r) => r.status === "activated").map((r) => r.concern);
    assert.deepEqual(activated, expectActivated);
    assert.ok(window.sent >= 20, `only ${window.sent} pings sent`);
    assert.deepEqual(window.lost, [], `lost echo requests ${window.lost.join(",")} of ${window.sent}`);
    assert.equal(await rwChildSpis(lab), spis, "rw's CHILD_SA was replaced");
  };

  it("hitless: (a) unchanged stack under a 20 Hz ping: 0 lost, same SPIs, nothing activated", () => hitless(undefined, []));

  it("hitless: (b) a changed nftables setting (sshFrom) and a BIRD setting (another neighbour): 0 lost, same SPIs", async () => {
    await hitless((gw) => ({ ...gw, sshFrom: [...gw.sshFrom, "198.51.100.64/26"] }), ["nftables"]);
    await hitless(
      (gw) => ({
        ...gw,
        sshFrom: [...gw.sshFrom, "198.51.100.64/26"],
        bgp: { ...gw.bgp!, neighbors: [...gw.bgp!.neighbors, { name: "node2", address: "10.0.1.2", asn: 64512 }] },
      }),
      ["bird"],
    );
  });

  it("hitless: (c) one more connection (a second road-warrior pool): 0 lost, same SPIs; back to the stack afterwards", async () => {
    const more = (gw: GatewayModel): GatewayModel =>
      withRoadWarrior(gw, { name: "contractors", pool: "10.4.0.0/24", clients: { kind: "psk", ids: ["contractor@lab.example"], secret: "lab-rw-psk" } });
    const spis = await rwChildSpis(lab);
    const window = await pingWhile(lab, () => lab.converge(lab.model(more)));
    assert.deepEqual(window.lost, []);
    assert.ok(window.result.results.some((r) => r.concern === "swanctl" && r.status === "activated"));
    assert.equal(await rwChildSpis(lab), spis);
    const conns = await lab.host("gw").exec("swanctl --list-conns | grep -o '^[a-z]*:' | sort | tr '\\n' ' '");
    assert.equal(conns.stdout.trim(), "branch: contractors: laptops:");
    const back = await pingWhile(lab, () => lab.converge());
    assert.deepEqual(back.lost, []);
    assert.equal(await rwChildSpis(lab), spis);
  });

  it("fault: a config charon rejects fails with charon's message; the previous config stays active", async () => {
    const gw = lab.host("gw");
    const before = {
      spis: await rwChildSpis(lab),
      conf: (await gw.exec("cat /etc/swanctl/swanctl.conf")).stdout,
      nft: (await gw.exec("nft list ruleset")).stdout,
    };
    const bad = lab.model((m) => ({
      ...m,
      ipsec: { ...m.ipsec, roadWarriors: m.ipsec.roadWarriors.map((r) => ({ ...r, proposals: { ...r.proposals, ike: ["aes256-sha999-modp2048"] } })) },
    }));
    await assert.rejects(lab.converge(bad), (e: unknown) => {
      assert.ok(e instanceof ConvergeError);
      assert.equal(e.concern, "swanctl");
      assert.match(e.message, /loading connection 'laptops' failed: invalid value for: proposals, config discarded/);
      assert.match(e.message, /previous files restored/);
      return true;
    });
    assert.equal((await gw.exec("cat /etc/swanctl/swanctl.conf")).stdout, before.conf);
    assert.equal(await rwChildSpis(lab), before.spis);
    const conns = (await gw.exec("swanctl --list-conns")).stdout;
    assert.match(conns, /^laptops: IKEv2/m);
    assert.equal((await gw.exec("nft list ruleset")).stdout, before.nft);
    assert.equal((await lab.converge()).activated, 0);
    const sas = await listSas(gw, "laptops");
    assert.equal(sas[0]?.state, "ESTABLISHED");
  });

  it("fault: charon killed on gw; a re-converge starts it and the tunnels come back", async () => {
    const pid = await killGatewayCharon(lab);
    assert.ok(pid > 1);
    assert.notEqual((await lab.host("gw").exec("swanctl --stats")).code, 0, "charon still answers");
    const res = await lab.converge();
    assert.equal(res.activated, 0);
    assert.ok((await lab.host("gw").exec("swanctl --stats")).code === 0, "charon did not start");
    const ms = await waitForTunnels(lab, 40_000);
    assert.ok(ms < 40_000);
    const facts = await lab.check();
    for (const f of facts) assert.equal(f.ok, true, `${f.id}: ${f.evidence}`);
  });

  it("down leaves nothing: no namespaces, processes, mounts or state directory", async () => {
    const namespaces = await labNamespaces(PREFIX);
    const stateDir = lab.state.stateDir;
    await lab.down();
    assert.deepEqual(await labNamespaces(PREFIX), []);
    assert.deepEqual(processesIn(namespaces), []);
    assert.ok(!fs.readFileSync("/proc/self/mountinfo", "utf8").includes(stateDir), "a lab mount is left");
    assert.ok(!fs.existsSync(stateDir), `${stateDir} is left`);
    assert.deepEqual(await rootLinks(), linksBefore);
  });
});
