import { withRoadWarrior } from "../../lab/model";
import { strict as assert } from "assert";
import * as path from "path";
import { planGateway } from "../../components/plan";
import { BIRD_CONF } from "../../components/bird/concern";
import { renderBird } from "../../components/bird/render";
import { GatewayModel } from "../../components/model/gateway";
import { requireRoot, requireTools, LAB_TOOLS } from "../helpers/env";
import { Fact } from "../../lab/checks";
import { run } from "../../lab/exec";
import { childSpis, pingWhile } from "../../lab/hitless";
import { putFile, sh } from "../../lab/host";
import { defaultStateDir, Lab, sitePeerSpec } from "../../lab/lab";
import { destroyLab } from "../../lab/netns";
import { dial, initiate } from "../../lab/peer-hosts";
import { renderSitePeerSwanctl } from "../../lab/peers";
import { stackFilePath } from "../../lab/stack";
import { userIdentities } from "../../components/pki/user-identities";

const PREFIX = "s2prod";
const CLI = path.resolve(__dirname, "..", "..", "bin", "stage2");

const failed = (facts: readonly Fact[]) => facts.filter((f) => f.ok === false).map((f) => `${f.gateway}/${f.connection} ${f.id}`);
const allGreen = (facts: readonly Fact[]) =>
  assert.deepEqual(
    failed(facts),
    [],
    facts
      .filter((f) => f.ok === false)
      .map((f) => `${f.id}: ${f.evidence}`)
      .join("\n"),
  );

/** One more customer on a gateway: a PSK road-warrior class with a pool of its own. */
const hooli = (gw: GatewayModel): GatewayModel =>
  withRoadWarrior(gw, {
    name: "hooli-rw",
    pool: "10.3.18.0/24",
    local: { kind: "psk", id: "vpn-nbg1.example.com" },
    clients: { kind: "psk", ids: ["laptop@hooli.example"], secret: "psk-hooli-rw" },
  });

describe("lab: the whole prod stack (stacks/Pulumi.prod.yaml unchanged: both gateways, every customer, every peer)", function () {
  this.timeout(600_000);
  let lab: Lab;

  before(async function () {
    requireRoot(this);
    requireTools(this, ...LAB_TOOLS);
    lab = (await Lab.up({ stackFile: stackFilePath("prod"), prefix: PREFIX }, planGateway)).lab;
  });

  after(async function () {
    // Also when the bring-up failed half-way: nothing of the run is left.
    await destroyLab(PREFIX, defaultStateDir(PREFIX));
  });

  it("stage2 lab check: every fact green, grouped by gateway and connection, counted per gateway, connection and auth kind", async () => {
    const res = await run([CLI, "lab", "check", "--prefix", PREFIX], { timeoutMs: 300_000 });
    assert.equal(res.code, 0, res.stdout + res.stderr);
    assert.match(res.stdout, /^gw-nbg1 \/ initech-rw \(pubkey\)\n {2}PASS ike-sa /m);
    assert.match(res.stdout, /^lab: facts per gateway: gw-fsn1 \d+, gw-nbg1 \d+$/m);
    assert.match(res.stdout, /^lab: facts per auth kind: eap-mschapv2 \d+, psk \d+, pubkey \d+$/m);
    assert.match(res.stdout, /^lab: \d+ passed, 0 failed$/m);
    const counted = (what: string) =>
      Object.fromEntries(
        (new RegExp(`^lab: facts per ${what}: (.*)$`, "m").exec(res.stdout)?.[1] ?? "")
          .split(", ")
          .map((kv) => [kv.slice(0, kv.lastIndexOf(" ")), Number(kv.slice(kv.lastIndexOf(" ") + 1))]),
      );
    // Every connection of the stack has its facts: 4 classes, 3 sites, 3 nodes per gateway, 3 WireGuard peers.
    const connections = counted("connection");
    assert.deepEqual(Object.keys(connections).sort(), [
      "gw-fsn1/acme-hq",
      "gw-fsn1/acme-rw",
      "gw-fsn1/bgp node-1",
      "gw-fsn1/bgp node-2",
      "gw-fsn1/bgp node-3",
      "gw-fsn1/gateway",
      "gw-fsn1/globex-dc",
      "gw-fsn1/globex-rw",
      "gw-fsn1/wireguard ci-runner",
      "gw-fsn1/wireguard ops-laptop",
      "gw-nbg1/acme-rw-nbg",
      "gw-nbg1/bgp node-1",
      "gw-nbg1/bgp node-2",
      "gw-nbg1/bgp node-3",
      "gw-nbg1/gateway",
      "gw-nbg1/initech-office",
      "gw-nbg1/initech-rw",
      "gw-nbg1/wireguard ops-laptop",
    ]);
    // A client: ike-sa, rw-vip, rw-ts, rw-reach, rw-return, isolation, pool-spoof, doctor-connections, doctor-capacity.
    for (const c of lab.topology.clients) assert.equal(connections[`${c.gateway}/${c.conn}`], 9, c.conn);
    // A site: site-up, site-reach, doctor-connections (its selectors as installed).
    for (const s of lab.topology.sites) assert.equal(connections[`${s.gateway}/${s.conn}`], 3, s.conn);
    for (const g of ["gw-fsn1", "gw-nbg1"]) for (let n = 1; n <= 3; n++) assert.equal(connections[`${g}/bgp node-${n}`], 2, `${g} node-${n}`);
    assert.deepEqual(counted("gateway"), { "gw-fsn1": 35, "gw-nbg1": 31 });
    assert.deepEqual(counted("auth kind"), { "eap-mschapv2": 18, psk: 18, pubkey: 9 });
    assert.match(
      res.stdout,
      /^ {2}PASS site-up +initech-office \(startAction none\) is up on the floating IP, brought up by the peer — .* initiated by the peer$/m,
    );
  });

  it("hitless across the whole stack: a customer added to gw-nbg1 loses 0 packets on every other tunnel, every CHILD_SA keeps its SPIs", async () => {
    const spis = await childSpis(lab);
    assert.equal(Object.keys(spis).length, 7);
    for (const [k, v] of Object.entries(spis)) assert.notEqual(v, "none", k);
    const grow = await pingWhile(lab, () => lab.converge(lab.model(hooli, "gw-nbg1")));
    assert.deepEqual(
      grow.result.results.filter((r) => r.status === "activated").map((r) => r.concern),
      ["nftables", "swanctl-secrets", "swanctl", "bird"],
    );
    for (const [tunnel, w] of Object.entries(grow.tunnels)) {
      assert.ok(w.sent >= 20, `${tunnel}: only ${w.sent} pings`);
      assert.deepEqual(w.lost, [], `${tunnel} lost ${w.lost.join(",")} of ${w.sent}`);
    }
    assert.deepEqual(await childSpis(lab), spis);
    const back = await pingWhile(lab, () => lab.converge(lab.model(undefined, "gw-nbg1")));
    assert.deepEqual(back.lost, []);
    assert.deepEqual(await childSpis(lab), spis);
  });

  it("a user of each kind removed or revoked under traffic: the converges close their tunnels; every other tunnel loses 0 packets and keeps its SPIs", async () => {
    const t = lab.topology;
    // The lab's first client of each auth kind: its own identity leaves its class.
    const targets = (["psk", "eap-mschapv2", "pubkey"] as const).map((kind) => {
      const c = t.clients.find((x) => x.auth.kind === kind);
      assert.ok(c, `the prod stack has no ${kind} class`);
      return c;
    });
    const at = new Date().toISOString().replace(/\.\d+Z$/, "Z");
    const without = (gw: GatewayModel): GatewayModel => ({
      ...gw,
      ipsec: {
        ...gw.ipsec,
        roadWarriors: gw.ipsec.roadWarriors.map((rw) => {
          const c = targets.find((x) => x.gateway === gw.name && x.conn === rw.name);
          if (!c) return rw;
          const id = c.auth.id;
          switch (rw.clients.kind) {
            case "psk":
              return { ...rw, clients: { ...rw.clients, ids: rw.clients.ids.filter((x) => x !== id) } };
            case "eap-mschapv2":
              return { ...rw, clients: { ...rw.clients, users: rw.clients.users.filter((u) => u.id !== id) } };
            case "pubkey": {
              // The model's half of `stage2 users revoke`: every identity of the certificate (the CRL's half is
              // test/pki/lab-revoke.test.ts). The client's profile leaves its identity to the certificate: the subject.
              const ids = userIdentities(id);
              return { ...rw, clients: { ...rw.clients, revoked: [...rw.clients.revoked, ...[ids.subject, ...ids.sans].map((x) => ({ id: x, at }))] } };
            }
          }
        }),
      },
    });
    const gateways = [...new Set(targets.map((c) => c.gateway))];
    const key = (c: { gateway: string; conn: string }) => `${c.gateway}/${c.conn}`;
    const closed = new Set(targets.map(key));
    const spis = await childSpis(lab);
    const window = await pingWhile(lab, async () => {
      const out: string[] = [];
      for (const g of gateways) out.push(...(await lab.converge(lab.model(without, g))).results.map((r) => r.output));
      return out.join("\n");
    });
    for (const c of targets) {
      const who = (c.auth.kind === "pubkey" ? userIdentities(c.auth.id).subject : c.auth.id).replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      assert.match(
        window.result,
        new RegExp(`^closed ${c.conn} IKE_SA #\\d+ \\(${who}\\): `, "m"),
        `${key(c)}:\n${window.result
          .split("\n")
          .filter((l) => /clos/.test(l))
          .join("\n")}`,
      );
    }
    const others = Object.entries(window.tunnels).filter(([tunnel]) => !closed.has(tunnel));
    assert.ok(
      others.some(([tunnel]) => t.clients.some((c) => key(c) === tunnel)),
      `no other client's tunnel was watched: ${others.map(([k]) => k).join(", ")}`,
    );
    for (const [tunnel, w] of others) {
      assert.ok(w.sent >= 20, `${tunnel}: only ${w.sent} pings`);
      assert.deepEqual(w.lost, [], `${tunnel} lost ${w.lost.join(",")} of ${w.sent}`);
    }
    const after = await childSpis(lab);
    for (const [tunnel] of others) assert.equal(after[tunnel], spis[tunnel], `${tunnel}'s CHILD_SA was replaced`);
    console.log(`      closed: ${[...closed].join(", ")}; ${others.length} other tunnels: ${others.map(([k, w]) => `${k} 0/${w.sent} lost`).join(", ")}`);

    // A new connection of a removed user is refused, with charon's reason as the client hears it. (The certificate's
    // refusal needs the CRL: test/pki/lab-revoke.test.ts.)
    const refusal: Partial<Record<string, RegExp>> = {
      psk: /received AUTHENTICATION_FAILED notify error/,
      "eap-mschapv2": /EAP-MS-CHAPv2 failed with error ERROR_AUTHENTICATION_FAILURE/,
    };
    for (const c of targets) {
      const why = refusal[c.auth.kind];
      if (!why) continue;
      const again = await lab.host(c.role).exec(`swanctl --initiate --child ${c.conn} --timeout 20 --loglevel 1`, { timeoutMs: 30_000 });
      assert.notEqual(again.code, 0, `${key(c)} reconnected after its user was removed`);
      assert.match(again.stdout + again.stderr, why, key(c));
    }

    // Put back: the users belong to their classes again and dial again.
    for (const g of gateways) await lab.converge(lab.model(undefined, g));
    for (const c of targets) await dial(lab.host(c.role), c.conn, 30);
    const back = await childSpis(lab);
    for (const c of targets) assert.notEqual(back[key(c)], "none", `${key(c)} did not come back`);
  });

  it("fault: a customer's pool removed from BIRD's export fails its BGP facts on every node; the converge restores it", async () => {
    // BIRD's configuration as stage2 renders it for gw-nbg1, but without initech-rw's pool.
    const m = lab.model(undefined, "gw-nbg1");
    const broken = renderBird(
      { ...m, ipsec: { ...m.ipsec, roadWarriors: m.ipsec.roadWarriors.filter((r) => r.name !== "initech-rw") } },
      { floatingIp: m.floatingIp.address as string },
    );
    const gw = lab.host("gw-nbg1");
    await putFile(gw, BIRD_CONF, broken, "0640");
    await sh(gw, "birdc configure");
    await waitUntil(async () => !(await lab.host("node-1").exec("ip -4 route show proto bgp")).stdout.includes("10.3.17."), 15_000);
    const facts = await lab.check("gw-nbg1");
    const bad = facts.filter((f) => f.ok === false);
    assert.deepEqual(
      bad.filter((f) => f.id === "bgp-rib").map((f) => f.connection),
      ["bgp node-1", "bgp node-2", "bgp node-3"],
    );
    for (const f of bad.filter((x) => x.id === "bgp-rib")) assert.match(f.evidence, /; MISSING 10\.3\.17\.0\/24$/);
    assert.deepEqual(
      bad.filter((f) => f.id === "doctor-bird").map((f) => `${f.connection}: ${f.what}`),
      ["node-1", "node-2", "node-3"].map((n) => `bgp ${n}: ${n} is not sent exactly the pools and sites' networks: missing 10.3.17.0/24`),
    );
    assert.ok(
      bad.every((f) => f.id === "bgp-rib" || f.id === "doctor-bird" || f.connection === "initech-rw"),
      failed(bad).join(", "),
    );
    const res = await lab.converge(lab.model(undefined, "gw-nbg1"));
    assert.deepEqual(
      res.results.filter((r) => r.status === "activated").map((r) => r.concern),
      ["bird"],
    );
    await lab.waitForBgp();
    allGreen(await lab.check("gw-nbg1"));
  });

  it("fault: a site's PSK changed on the peer's side fails that site's facts; the right PSK brings it back", async () => {
    const s = lab.topology.sites.find((x) => x.conn === "initech-office")!;
    const peer = lab.host(s.role);
    const write = (psk: string) => putFile(peer, "/etc/swanctl/swanctl.conf", renderSitePeerSwanctl(sitePeerSpec(s), psk), "0600");
    await write("not-the-gateway's-psk");
    await sh(peer, `swanctl --load-all --noprompt >/dev/null && swanctl --terminate --ike ${s.conn} --timeout 10 >/dev/null`);
    const r = await peer.exec(`swanctl --initiate --child ${s.conn} --timeout 10`);
    assert.notEqual(r.code, 0, "the peer got in with a wrong PSK");
    assert.match(r.stdout, /received AUTHENTICATION_FAILED notify error/);
    const facts = (await lab.check("gw-nbg1")).filter((f) => f.ok === false);
    assert.deepEqual(
      facts.map((f) => `${f.connection} ${f.id}`),
      ["initech-office site-up", "initech-office site-reach", "initech-office doctor-connections"],
    );
    await write(lab.secret(s.auth.secretKey));
    await sh(peer, "swanctl --load-all --noprompt >/dev/null");
    await initiate(peer, s.conn);
    allGreen(await lab.check("gw-nbg1"));
  });

  it("fault: an nftables rule forwarding a customer's pool from outside its tunnel fails that customer's isolation fact", async () => {
    const gw = lab.host("gw-fsn1");
    await sh(
      gw,
      "sed -i '/type filter hook forward/a\\\t\\tip saddr 10.3.1.0/24 accept' /etc/nftables.conf && nft -f /etc/nftables.conf && nft list chain inet stage2 forward | grep -q 'ip saddr 10.3.1.0/24 accept'",
    );
    const bad = (await lab.check("gw-fsn1")).filter((f) => f.ok === false);
    assert.deepEqual(
      bad.map((f) => `${f.connection} ${f.id}`),
      ["globex-rw pool-spoof"],
    );
    assert.match(bad[0].evidence, /node-1 counted 3$/);
    const res = await lab.converge(lab.model(undefined, "gw-fsn1"));
    assert.deepEqual(
      res.results.filter((r) => r.status === "activated").map((r) => r.concern),
      ["nftables"],
    );
    allGreen(await lab.check("gw-fsn1"));
  });
});

async function waitUntil(cond: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`not within ${timeoutMs} ms`);
}
