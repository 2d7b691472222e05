import { strict as assert } from "assert";
import { GatewayModel } from "../../components/model/gateway";
import { LoadLab } from "../../lab/load";
import { loadSites } from "../../lab/load-stack";
import { LAB_TOOLS, requireRoot, requireTools } from "../helpers/env";

/**
 * Load on a live gateway, small: 30 road warriors (a /27 pool, full) and 5 sites on one gateway of the namespace
 * lab, dialled by one charon each. Behaviour only; the figures (510 clients, 100 sites) come from
 * `npm run bench -- --only load`.
 */

const SIZE = { pool: "10.3.0.0/27", sites: 5 };
/** A site the re-converge adds and removes again: nobody dials it. */
const added = loadSites(SIZE.sites + 1)[SIZE.sites];
const addSite = (gw: GatewayModel): GatewayModel => {
  const base = gw.ipsec.sites[gw.ipsec.sites.length - 1];
  return { ...gw, ipsec: { ...gw.ipsec, sites: [...gw.ipsec.sites, { ...base, name: added.name, remoteAddrs: [added.addr], remoteTs: [added.net] }] } };
};

describe("load on a live gateway (namespace lab)", function () {
  this.timeout(600_000);
  let load: LoadLab;

  before(async function () {
    requireRoot(this);
    requireTools(this, ...LAB_TOOLS);
    load = await LoadLab.up({ size: SIZE, prefix: "s2loadt" });
    const sites = await load.startSites();
    assert.deepEqual(sites.failed, [], "every site's peer got its tunnel");
    const clients = await load.startClients();
    assert.deepEqual(clients.failed, [], "every client got its tunnel");
  });

  after(async () => {
    await load?.down();
  });

  it("holds a full pool of clients (each its own virtual IP) and every site, all passing traffic", async () => {
    const all = await load.census();
    assert.equal(all.clients, load.clients.length);
    assert.equal(all.sites, SIZE.sites + 1, "the load's sites and the lab's own");
    const vips = [...all.spis.keys()].filter((k) => /^\d/.test(k));
    assert.equal(new Set(vips).size, load.clients.length, "a virtual IP per client");
    const traffic = await load.traffic();
    assert.equal(traffic.clients, load.clients.length);
    assert.deepEqual(traffic.lost, []);
  });

  it("a re-converge that adds, changes or removes one connection loses no other SA: every SPI kept", async () => {
    const changed = load.sites[2].name;
    const changeOne = (gw: GatewayModel): GatewayModel => ({
      ...gw,
      ipsec: { ...gw.ipsec, sites: gw.ipsec.sites.map((s) => (s.name === changed ? { ...s, dpdDelay: "20s" } : s)) },
    });
    for (const [what, change, except] of [
      ["add", addSite, []],
      ["change", (gw: GatewayModel) => changeOne(addSite(gw)), [changed]],
      ["remove", changeOne, []],
    ] as const) {
      const r = await load.reconverge(change, except);
      assert.ok(r.activated >= 1, `${what}: the change was applied`);
      assert.deepEqual(r.keep.lost, [], `${what}: no SA lost or re-keyed`);
      assert.equal(r.keep.kept, r.keep.before - except.length, `${what}: every other SA kept`);
    }
  });

  it("one client more than the pool holds is refused, with charon's reason", async () => {
    const r = await load.oneMore();
    assert.ok(r.refused, "the client's initiate failed");
    assert.match(r.reason, /INTERNAL_ADDRESS_FAILURE/);
    assert.match(r.pools, /laptops-pool\s+10\.3\.0\.0\s+30 \/ 0 \/ 30/);
    assert.equal((await load.census()).clients, load.clients.length, "the clients already in keep their addresses");
  });
});
