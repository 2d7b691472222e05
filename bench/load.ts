import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { GatewayModel } from "../components/model/gateway";
import { previewStackFile, RecordedResource } from "../preview/runtime";
import { pingWhile } from "../lab/hitless";
import { Lab } from "../lab/lab";
import { LoadLab, SaKeep } from "../lab/load";
import { loadSites } from "../lab/load-stack";
import { ensureAnsible, runPlaybook } from "./ansible/playbook";

/**
 * `npm run bench -- --only load`: one gateway of the namespace lab under load (a full /23 pool of road warriors
 * behind NAT, 100 sites), and the same gateway converged by stage2 and by an Ansible playbook side by side.
 */

const SIZE = { pool: "10.3.0.0/23", sites: 100 };

const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** The one-file change of the side-by-side: the lab's site's DPD interval, which only swanctl.conf holds. */
const dpd =
  (delay: string) =>
  (gw: GatewayModel): GatewayModel => ({
    ...gw,
    ipsec: { ...gw.ipsec, sites: gw.ipsec.sites.map((x, i) => (i === 0 ? { ...x, dpdDelay: delay } : x)) },
  });

const commandInputs = (resources: RecordedResource[]): Map<string, string> =>
  new Map(resources.filter((r) => r.type === "command:remote:Command").map((r) => [r.name, JSON.stringify(r.inputs)]));

/** What `pulumi up` would run: the remote commands whose inputs differ between two previews (a command runs only then). */
async function pulumiCommands(before: string, after: string): Promise<{ changed: string[]; of: number; previewMs: number }> {
  const a = commandInputs((await previewStackFile(before)).resources);
  const t0 = Date.now();
  const b = commandInputs((await previewStackFile(after)).resources);
  const previewMs = Date.now() - t0;
  return { changed: [...new Set([...a.keys(), ...b.keys()])].filter((k) => a.get(k) !== b.get(k)), of: a.size, previewMs };
}

/** The stack file with the lab site's DPD interval changed, as a user would edit it. */
function changedStackFile(file: string, delay: string): string {
  const doc = YAML.parse(fs.readFileSync(file, "utf8")) as { config: Record<string, { ipsec: { sites: { dpdDelay?: string }[] } }[]> };
  doc.config["stage2:gateways"][0].ipsec.sites[0].dpdDelay = delay;
  const out = path.join(path.dirname(file), `Pulumi.load-dpd-${delay}.yaml`);
  fs.writeFileSync(out, YAML.stringify(doc));
  return out;
}

/** The side by side on the lab's gateway, before the load starts: a no-op, then a one-file change, by each tool. */
async function sideBySide(lab: Lab, say: (line: string) => void): Promise<void> {
  const missing = ensureAnsible(say);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "stage2-bench-ansible-"));
  try {
    say(
      "side by side on the same gateway (lab stack's, over SSH from the lab's operator host); a no-op, then a one-file change (swanctl.conf: a site's DPD interval)",
    );
    const noop = await lab.converge();
    say(`  no-op     stage2 lab converge      ${s(noop.ms).padStart(7)}  ${noop.results.length} remote commands, ${noop.activated} activated`);
    if (missing) say(`  no-op     Ansible                  skipped: ${missing}`);
    else {
      const first = await runPlaybook(lab, lab.model(), work); // the lab's converge wrote the same files: nothing to change
      say(`  no-op     Ansible playbook         ${s(first.ms).padStart(7)}  ${first.sshCommands} SSH commands, ${first.ok} tasks ok, ${first.changed} changed`);
    }
    const stackFile = lab.state.stackFile;
    const same = await pulumiCommands(stackFile, stackFile);
    say(
      `  no-op     stage2 under Pulumi      ${s(same.previewMs).padStart(7)}  ${same.changed.length} of ${same.of} remote commands run (unchanged inputs; the time is the preview's)`,
    );

    const byStage2 = await pingWhile(lab, () => lab.converge(lab.model(dpd("15s"))));
    const c = byStage2.result;
    say(
      `  one file  stage2 lab converge      ${s(c.ms).padStart(7)}  ${c.results.length} remote commands, ${c.activated} activated (${c.results.filter((r) => r.status === "activated").map((r) => r.concern)}); ` +
        `road warrior and site lost ${byStage2.lost.length} of ${byStage2.sent} pings`,
    );
    if (!missing) {
      const byAnsible = await pingWhile(lab, () => runPlaybook(lab, lab.model(dpd("20s")), work));
      const a = byAnsible.result;
      say(
        `  one file  Ansible playbook         ${s(a.ms).padStart(7)}  ${a.sshCommands} SSH commands, ${a.changed} changed, handlers: ${a.handlers.join(", ") || "none"}; ` +
          `road warrior and site lost ${byAnsible.lost.length} of ${byAnsible.sent} pings`,
      );
    }
    const changed = await pulumiCommands(stackFile, changedStackFile(stackFile, "15s"));
    const swanctlMs = c.results.find((r) => r.concern === "swanctl")?.ms;
    say(
      `  one file  stage2 under Pulumi      ${s(changed.previewMs).padStart(7)}  ${changed.changed.length} of ${changed.of} remote commands run: ${changed.changed.join(", ")}` +
        (swanctlMs === undefined ? "" : ` (that command took ${s(swanctlMs)} in the lab converge above; the time is the preview's)`),
    );
    await lab.converge(); // back to the stack as written
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

const keepLine = (what: string, ms: number, k: SaKeep, extra = "") =>
  `  ${what.padEnd(38)} ${s(ms).padStart(7)}  ${String(k.lost.length).padStart(4)} of ${k.before} SAs lost or re-keyed, ${k.kept} kept with their SPIs${extra}`;

async function underLoad(load: LoadLab, say: (line: string) => void): Promise<void> {
  const rss0 = await load.charonRssKb();
  const sites = await load.startSites();
  const rss1 = await load.charonRssKb();
  const clients = await load.startClients();
  const rss2 = await load.charonRssKb();
  const all = await load.census();
  say(
    `load: one gateway, ${os.cpus().length} cores, load average ${os.loadavg()[0].toFixed(1)}; peers are one charon for the clients (behind NAT) and one for the sites`,
  );
  say(
    `  sites: ${load.sites.length + 1} dialled in ${s(sites.ms)} (${((load.sites.length + 1) / (sites.ms / 1000)).toFixed(1)} SAs/s)${sites.failed.length ? `, FAILED: ${sites.failed.join(", ")}` : ""}`,
  );
  say(
    `  road warriors: ${load.clients.length} (a full ${load.size.pool}), each its own identity, dialled 16 at a time in ${s(clients.ms)} ` +
      `(${(load.clients.length / (clients.ms / 1000)).toFixed(1)} SAs/s)${clients.failed.length ? `, FAILED: ${clients.failed.length}` : ""}`,
  );
  say(
    `  the gateway holds ${all.clients} road-warrior SAs (${new Set([...all.spis.keys()].filter((k) => /^\d/.test(k))).size} distinct virtual IPs) and ${all.sites} site SAs`,
  );
  const traffic = await load.traffic();
  say(
    `  traffic: ${traffic.clients} clients and ${traffic.sites} load sites each ping a node: ${traffic.lost.length ? `${traffic.lost.length} got no reply` : "all replied"}`,
  );
  say(
    `  charon's memory (RSS) on the gateway: ${(rss0 / 1024).toFixed(1)} MB before, +${((rss1 - rss0) / load.sites.length).toFixed(0)} KB per site SA, ` +
      `+${((rss2 - rss1) / load.clients.length).toFixed(0)} KB per road-warrior SA (IKE_SA, CHILD_SA, libipsec's SAs and policies), ${(rss2 / 1024).toFixed(1)} MB with all`,
  );

  const added = loadSites(load.sites.length + 1)[load.sites.length];
  const addSite = (gw: GatewayModel): GatewayModel => {
    const base = gw.ipsec.sites[gw.ipsec.sites.length - 1];
    return { ...gw, ipsec: { ...gw.ipsec, sites: [...gw.ipsec.sites, { ...base, name: added.name, remoteAddrs: [added.addr], remoteTs: [added.net] }] } };
  };
  const changed = load.sites[7].name;
  const changeOne = (gw: GatewayModel): GatewayModel => ({
    ...gw,
    ipsec: { ...gw.ipsec, sites: gw.ipsec.sites.map((x) => (x.name === changed ? { ...x, dpdDelay: "20s" } : x)) },
  });
  say("  re-converge under load vs a restart (SAs seen on the gateway; a client's SA by its virtual IP, a site's by its name):");
  const add = await load.reconverge(addSite);
  say(keepLine("stage2 converge: one site added", add.ms, add.keep));
  const change = await load.reconverge((gw) => changeOne(addSite(gw)));
  say(
    keepLine(
      `stage2 converge: one site changed`,
      change.ms,
      change.keep,
      ` (the changed site's own SA ${change.keep.lost.includes(changed) ? "replaced" : "kept"})`,
    ),
  );
  const remove = await load.reconverge((gw) => changeOne(gw));
  say(keepLine("stage2 converge: one site removed", remove.ms, remove.keep));
  await load.converge();
  const more = await load.oneMore();
  say(`  pool exhaustion: client ${load.clients.length + 1} ${more.refused ? "refused" : "NOT refused"}; charon: ${more.reason || "(no reason logged)"}`);
  say(`    the gateway's pool: ${more.pools.split("\n").find((l) => l.includes(load.size.pool.split("/")[0])) ?? more.pools}`);
  try {
    const restart = await load.restartCharon();
    const lostByRestart = [...restart.before.spis].filter(([k, v]) => restart.after.spis.get(k) !== v).length;
    say(
      `  ${"charon restarted (stopped, started)".padEnd(38)} ${s(restart.ms).padStart(7)}  ${String(lostByRestart).padStart(4)} of ${restart.before.spis.size} SAs lost or re-keyed; ` +
        `all ${load.clients.length} clients and ${load.sites.length + 1} sites back after ${s(restart.ms)} (the peers dial again by themselves)`,
    );
  } catch (err) {
    say(`  ${"charon restarted (stopped, started)".padEnd(38)} NOT all back: ${(err as Error).message}`);
  }
}

/** Called by bench/index.ts. */
export async function benchLoad(): Promise<void> {
  const load = await LoadLab.up({ size: SIZE });
  try {
    await sideBySide(load.lab, console.log);
    await underLoad(load, console.log);
  } finally {
    await load.down();
  }
}
