import * as fs from "fs";
import * as path from "path";
import { HostPlan } from "../../components/host/types";
import { GatewayModel } from "../../components/model/gateway";
import { planGateway } from "../../components/plan";
import { converge, ConvergeResult } from "../converge";
import { LabHost, sh } from "../host";
import { hostOf, labLayout, LabLayout, Role } from "../layout";
import { dial, startNode, startPeerCharon, startWgpeer, wgpeerKey } from "../peer-hosts";
import { renderRoadWarriorSwanctl, renderSiteSwanctl } from "../peers";
import { proxyVia, SshSession, writeKnownHosts } from "../ssh";
import { LAB_STACK_FILE, loadLabStack, LabStack } from "../stack";
import { kernelLabGateway } from "./differences";
import { mountFileOf, renderVmTopology } from "./topology";
import { VmNamespaceHost, VmRootHost } from "./vm-hosts";
import { KernelVm } from "./vm";

export interface KernelLabOptions {
  readonly stackFile?: string;
  /** The stack's gateway to converge (default: the first). */
  readonly gateway?: string;
  /** Run name: one VM per name, RUN_BASE/<name> (default "lab"; tests and the bench use their own). */
  readonly name?: string;
  /** Namespace name prefix inside the VM. */
  readonly prefix?: string;
  readonly cpus?: number;
  readonly memoryMiB?: number;
  readonly log?: (line: string) => void;
  /** Every console line of the VM (boot messages), for --verbose. */
  readonly console?: (line: string) => void;
  /** Leave the VM running when `up` fails (to look around; `stage2 lab down --kernel` or Ctrl-C ends it). */
  readonly keepOnFailure?: boolean;
}

/** A running kernel lab: the VM, its hosts, and how to converge the gateway again. */
export interface KernelLab {
  readonly vm: KernelVm;
  readonly layout: LabLayout;
  readonly stack: LabStack;
  /** The lab stack's gateway as converged here (xfrm, the VM's host key, wgpeer's key). */
  gateway: GatewayModel;
  readonly hosts: ReadonlyMap<Role, LabHost>;
  /** The converge's SSH: from the ops namespace to the gateway's public address, host key pinned. */
  readonly gwSsh: SshSession;
  readonly timings: Record<string, number>;
  plan(gw?: GatewayModel): HostPlan;
  converge(plan?: HostPlan): Promise<ConvergeResult>;
  stop(): Promise<void>;
}

const secondsSince = (t0: number): number => Math.round((Date.now() - t0) / 100) / 10;

/** Boots the VM, builds the topology inside it, converges the gateway over SSH and starts the peers. */
export async function kernelLabUp(opts: KernelLabOptions = {}): Promise<KernelLab> {
  const log = opts.log ?? (() => undefined);
  const t0 = Date.now();
  const timings: Record<string, number> = {};
  const stack = loadLabStack(opts.stackFile ?? LAB_STACK_FILE);
  const base = opts.gateway ? stack.gateways.find((g) => g.name === opts.gateway) : stack.gateways[0];
  if (!base) throw new Error(`${stack.file}: no gateway${opts.gateway ? ` named ${opts.gateway}` : ""}`);
  const layout = labLayout(base, opts.prefix ?? "kl");

  const hostsOf = new Map<Role, LabHost>();
  const avoidNets = [
    ...base.private.networks,
    ...base.ipsec.roadWarriors.map((r) => r.pool),
    ...base.ipsec.sites.flatMap((s) => s.remoteTs),
    base.wireguard.address,
    layout.addrs.homeLan,
  ];
  const vm = await KernelVm.start({
    mode: "systemd",
    name: opts.name ?? "lab",
    cpus: opts.cpus,
    memoryMiB: opts.memoryMiB,
    avoidNets,
    log,
    console: opts.console,
  });
  try {
    const mgmt = await vm.waitSsh(120_000);
    timings.boot = secondsSince(t0);
    log(`kernel lab: VM up, sshd reachable (${timings.boot} s)`);

    const hosts = hostsOf;
    for (const h of layout.hosts) {
      hosts.set(h.role, h.managed ? new VmRootHost(h.role, mgmt) : new VmNamespaceHost(h.role, h.ns, mountFileOf(h.role), mgmt));
    }
    const gwHost = hosts.get("gw") as LabHost;
    await sh(gwHost, renderVmTopology(layout), { timeoutMs: 180_000 });
    timings.topology = secondsSince(t0);
    log(`kernel lab: topology inside the VM: ${layout.hosts.map((h) => h.role).join(", ")} (${timings.topology} s)`);

    const hostKey = fs.readFileSync(path.join(vm.runDir, "host_key.pub"), "utf8").split(" ").slice(0, 2).join(" ");
    const gwClient = { ...mgmt.client, knownHostsFile: path.join(vm.runDir, "known_hosts_gw") };
    const proxyCommand = proxyVia(mgmt.client, mgmt.target, `ip netns exec ${hostOf(layout, "ops").ns} busybox nc %h %p`);
    const gwTarget = { host: layout.addrs.gwPublic, port: 22, user: "root", hostKey, proxyCommand };
    writeKnownHosts(gwClient.knownHostsFile, [gwTarget]);
    const gwSsh = new SshSession(gwClient, gwTarget);
    await gwSsh.open(30_000);

    const wgpeer = hosts.get("wgpeer");
    const wgKey = wgpeer ? await wgpeerKey(wgpeer) : undefined;
    const secrets = stack.secrets;
    const lab: KernelLab = {
      vm,
      layout,
      stack,
      gateway: kernelLabGateway(base, hostKey, wgKey),
      hosts,
      gwSsh,
      timings,
      plan(gw = lab.gateway) {
        return planGateway(gw, { floatingIp: layout.addrs.floatingIp }, secrets);
      },
      converge(plan = lab.plan()) {
        return converge(plan, (command, input) => gwSsh.run(command, { input, timeoutMs: 180_000 }), "systemd", log);
      },
      async stop() {
        await gwSsh.close();
        log("kernel lab: powering the VM off");
        await vm.stop();
      },
    };
    log(`kernel lab: converging ${base.name} over SSH (${layout.addrs.gwPublic} from ops, systemd)`);
    const first = await lab.converge();
    timings.converge = secondsSince(t0);
    log(`kernel lab: converged, ${first.activated} concern(s) activated (${timings.converge} s)`);

    const psk = (key: string): string => {
      const v = secrets[key];
      if (v === undefined) throw new Error(`${stack.file}: secret stage2:${key} missing`);
      return v;
    };
    await startNode(hosts.get("node") as LabHost, layout);
    await startPeerCharon(hosts.get("rw") as LabHost, renderRoadWarriorSwanctl(layout, psk(layout.rw.auth.secretKey)));
    const site = layout.site ? hosts.get("site") : undefined;
    if (site && layout.site) await startPeerCharon(site, renderSiteSwanctl(layout, psk(layout.site.auth.secretKey)));
    if (wgpeer) {
      const gwKey = (await sh(gwHost, `wg show ${layout.wg?.interface ?? "wg0"} public-key`)).trim();
      await startWgpeer(wgpeer, layout, gwKey);
    }
    await dial(hosts.get("rw") as LabHost, layout.rw.conn, 30);
    if (site && layout.site) await dial(site, layout.site.conn, 30);
    timings.peers = secondsSince(t0);
    log(`kernel lab: peers up, road warrior${site ? " and site" : ""} tunnels initiated (${timings.peers} s)`);
    return lab;
  } catch (e) {
    const evidence = await diagnose(hostsOf).catch((d: Error) => `(no diagnostics: ${d.message})`);
    if (!opts.keepOnFailure) await vm.stop(10_000).catch(() => vm.kill());
    (e as Error).message += `\n--- kernel lab diagnostics ---\n${evidence}`;
    throw e;
  }
}

/** What the daemons said, for an error message: the gateway's journal and the road warrior's charon log. */
async function diagnose(hosts: ReadonlyMap<Role, LabHost>): Promise<string> {
  const parts: string[] = [];
  const gw = hosts.get("gw");
  const rw = hosts.get("rw");
  if (gw) parts.push((await gw.exec("journalctl -b --no-pager -o cat -u strongswan -u bird -u nftables -n 60", { timeoutMs: 20_000 })).stdout);
  if (rw) parts.push((await rw.exec("tail -n 40 /var/log/charon.log", { timeoutMs: 20_000 })).stdout);
  return parts.join("\n");
}
