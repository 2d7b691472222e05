import { randomBytes } from "crypto";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { HostPlan } from "../../components/host/types";
import { GatewayModel } from "../../components/model/gateway";
import { planGateway } from "../../components/plan";
import { labShell } from "../../doctor/lab-shell";
import { concurrencyLimit } from "../../doctor/shell-limit";
import { DoctorContext } from "../../doctor/types";
import { Fact, runChecks } from "../checks";
import { converge, ConvergeResult } from "../converge";
import { LabHost, putFile, sh } from "../host";
import { applyLabOverrides, LabOverrides } from "../model";
import { wgpeerKey } from "../peer-hosts";
import { issueLabPki, LabPki } from "../pki";
import { labSecrets, pkiRequest } from "../secrets";
import { proxyVia, SshSession, thisMachine, writeKnownHosts } from "../ssh";
import { loadStackGateways } from "../stack";
import { connectStackPeers, gatewayRole, pingThroughSite, StackLabContext, startStackPeers } from "../stack-peers";
import { labTopology, Topology } from "../topology";
import { EMULATION_SLOWDOWN } from "./checks";
import type { KernelLabOptions } from "./kernel-lab";
import { containerRoot, renderContainerRoot, renderContainerStart } from "./containers";
import { GATEWAY_UNITS } from "./layer";
import { mountFileOf, renderVmTopology } from "./topology";
import { VmContainerHost, VmNamespaceHost, VmRootHost } from "./vm-hosts";
import { KernelVm } from "./vm";

/** The single-gateway run's options (the run name defaults to "stack"), every gateway of `stackFile`. */
export interface KernelStackLabOptions extends Omit<KernelLabOptions, "stackFile" | "gateway"> {
  readonly stackFile: string;
}

/** A converge over SSH to a systemd gateway under TCG: every apply script runs emulated. */
const CONVERGE_TIMEOUT_MS = 300_000;

/**
 * Every command on the VM's hosts gets this many times its timeout: the whole stack's daemons start at once on
 * emulated CPUs (a peer's charon took over 60 s to answer while two gateways converged).
 */
const HOST_SLOWDOWN = 4;

/** The gateway's units, masked in the VM's layer and unmasked in each container's root. */
export const VM_ONLY_MASKS = GATEWAY_UNITS.filter((u) => u !== "ssh.service");

/** A container's systemd brings sshd up; under CI's load its boot took over 2 minutes. */
const SSHD_WAIT_MS = 600_000;

/** Commands at once over the management connection (the layer's sshd allows 100 sessions on it). */
const SESSIONS = 24;

const secondsSince = (t0: number): number => Math.round((Date.now() - t0) / 100) / 10;

/**
 * A whole stack in the kernel lab: one VM, every gateway of the stack a systemd container in its own network
 * namespace (lab/kernel/containers.ts), every peer of the namespace lab's topology a namespace beside them. The
 * gateways are converged over SSH with the production (`systemd`) apply scripts and the kernel's XFRM dataplane; the
 * peers, tunnels and checks are the namespace lab's own (lab/stack-peers.ts, lab/checks.ts).
 */
export class KernelStackLab implements StackLabContext {
  /** A reply may come seconds late while the whole stack runs on emulated CPUs. */
  readonly replyDeadlineS = 10;

  private constructor(
    readonly vm: KernelVm,
    readonly topology: Topology,
    private readonly hosts: ReadonlyMap<string, LabHost<string>>,
    private readonly stack: readonly GatewayModel[],
    private readonly overrides: Readonly<Record<string, LabOverrides>>,
    private readonly labPki: LabPki,
    private readonly secretValues: Readonly<Record<string, string>>,
    private readonly sessions: ReadonlyMap<string, SshSession>,
    readonly timings: Record<string, number>,
    private readonly log: (line: string) => void,
  ) {}

  host(role: string): LabHost<string> {
    const h = this.hosts.get(this.topology.aliases[role] ?? role);
    if (!h) throw new Error(`the kernel lab has no ${role} host`);
    return h;
  }

  model(change?: (gw: GatewayModel) => GatewayModel, gateway = this.stack[0].name): GatewayModel {
    const gw = this.stack.find((g) => g.name === gateway);
    if (!gw) throw new Error(`the stack has no gateway ${gateway}`);
    const model = applyLabOverrides(gw, this.overrides[gateway], this.labPki, "xfrm");
    return change ? change(model) : model;
  }

  models(): GatewayModel[] {
    return this.stack.map((g) => this.model(undefined, g.name));
  }

  pki(): LabPki {
    return this.labPki;
  }

  secret(key: string): string {
    const v = this.secretValues[key];
    if (v === undefined) throw new Error(`the lab made no value for stage2:${key}`);
    return v;
  }

  plan(gw: GatewayModel): HostPlan {
    return planGateway(gw, { floatingIp: gw.floatingIp.address as string }, { ...this.secretValues });
  }

  /** Converges one gateway over its SSH connection with the production (`systemd`) apply scripts. */
  converge(gw: GatewayModel): Promise<ConvergeResult> {
    const ssh = this.sessions.get(gw.name);
    if (!ssh) throw new Error(`no SSH connection to ${gw.name}`);
    return converge(
      this.plan(gw),
      (command, input) => ssh.run(command, { input, timeoutMs: CONVERGE_TIMEOUT_MS }),
      "systemd",
      (l) => this.log(`${gw.name}: ${l}`),
    );
  }

  doctor(gateway: string): DoctorContext {
    const gw = this.model(undefined, gateway);
    return {
      gateway: gw,
      render: { floatingIp: gw.floatingIp.address as string },
      plan: this.plan(gw),
      shell: labShell(this.host(gatewayRole(this.topology, gateway)), EMULATION_SLOWDOWN),
      secrets: Object.values(this.secretValues),
      now: new Date(),
    };
  }

  check(gateway?: string): Promise<Fact[]> {
    return runChecks(this, gateway);
  }

  async stop(): Promise<void> {
    await Promise.all([...this.sessions.values()].map((s) => s.close()));
    this.log("kernel lab: powering the VM off");
    await this.vm.stop();
  }

  /** Boots the VM, builds the stack's topology in it, boots a container per gateway, converges them, connects every peer. */
  static async up(opts: KernelStackLabOptions): Promise<KernelStackLab> {
    const log = opts.log ?? (() => undefined);
    const t0 = Date.now();
    const timings: Record<string, number> = {};
    const stack = loadStackGateways(opts.stackFile);
    const topology = labTopology(stack, opts.prefix ?? "ks", "xfrm");
    const avoidNets = [
      ...stack.flatMap((g) => [
        ...g.private.networks,
        g.wireguard.address,
        ...g.ipsec.roadWarriors.map((r) => r.pool),
        ...g.ipsec.sites.flatMap((s) => s.remoteTs),
      ]),
      ...topology.hosts.flatMap((h) => h.ifaces.flatMap((i) => i.addrs)),
    ];
    const vm = await KernelVm.start({
      mode: "systemd",
      name: opts.name ?? "stack",
      cpus: opts.cpus,
      memoryMiB: opts.memoryMiB ?? 4096,
      avoidNets,
      // The VM's own systemd runs no gateway: each gateway's units run in its container.
      rootMasks: VM_ONLY_MASKS,
      log,
      console: opts.console,
    });
    const hosts = new Map<string, LabHost<string>>();
    try {
      const stateDir = path.join(vm.runDir, "stack");
      fs.mkdirSync(stateDir, { recursive: true, mode: 0o700 });
      const pkiMade = issueLabPki(path.join(stateDir, "pki"), pkiRequest(stack, topology));
      pkiMade.catch(() => undefined);
      const hostKeys = new Map(topology.gateways.map((g) => [g.role, gatewayHostKey(stateDir, g.role)]));
      const mgmt = await vm.waitSsh();
      timings.boot = secondsSince(t0);
      log(`kernel lab: VM up, sshd reachable (${timings.boot} s)`);

      // At most SESSIONS commands at once over the management connection: sshd refuses sessions beyond its MaxSessions.
      const limit = concurrencyLimit(SESSIONS);
      const root = new VmRootHost<string>("vm", mgmt);
      // Some 400 short processes for a stack of 23 hosts: 20 s on a quiet machine, 2 minutes beside CI's other tests.
      await sh(root, renderVmTopology(topology, "container"), { timeoutMs: 900_000 });
      for (const h of topology.hosts.filter((x) => !x.managed))
        hosts.set(h.role, new VmNamespaceHost<string>(h.role, h.ns, mountFileOf(h.role), mgmt, HOST_SLOWDOWN, limit));
      timings.topology = secondsSince(t0);
      log(`kernel lab: topology inside the VM: ${topology.hosts.length} hosts (${timings.topology} s)`);

      await Promise.all(
        topology.gateways.map(async (g) => {
          const ns = topology.hosts.find((h) => h.role === g.role)!.ns;
          const key = hostKeys.get(g.role)!;
          await sh(root, renderContainerRoot(g.role, VM_ONLY_MASKS));
          const rootDir = containerRoot(g.role);
          await putFile(root, `${rootDir}/etc/ssh/ssh_host_ed25519_key`, key.priv, "0600");
          await putFile(root, `${rootDir}/etc/ssh/ssh_host_ed25519_key.pub`, key.pub);
          await putFile(root, `${rootDir}/etc/machine-id`, randomBytes(16).toString("hex") + "\n", "0444");
          await putFile(root, `${rootDir}/etc/hostname`, `${g.name}\n`);
          const leader = Number((await sh(root, renderContainerStart(g.role, ns, g.name), { timeoutMs: 600_000 })).trim());
          hosts.set(g.role, new VmContainerHost(g.role, leader, mgmt, HOST_SLOWDOWN, limit));
        }),
      );
      timings.containers = secondsSince(t0);
      log(`kernel lab: ${topology.gateways.length} gateway container(s) booting systemd (${timings.containers} s)`);

      const wgKeys = await Promise.all(topology.wgPeers.map((p) => wgpeerKey(hosts.get(p.role)!)));
      const overrides: Record<string, LabOverrides> = {};
      for (const g of topology.gateways) {
        const mine = topology.wgPeers.map((p, i) => [p, wgKeys[i]] as const).filter(([p]) => p.gateway === g.name);
        overrides[g.name] = { hostKey: hostKeys.get(g.role)!.pub, wgKeys: Object.fromEntries(mine.map(([p, k]) => [p.name, k])) };
      }
      const pki = await pkiMade;
      const secrets = labSecrets(stack, pki);
      const client = { keyFile: mgmt.client.keyFile, knownHostsFile: path.join(stateDir, "known_hosts"), from: thisMachine };
      const ops = topology.hosts.find((h) => h.role === "ops")!;
      const proxyCommand = proxyVia(mgmt.client, mgmt.target, `ip netns exec ${ops.ns} busybox nc %h %p`);
      const targets = stack.map((g) => ({
        name: g.name,
        target: { host: g.server.ipv4, port: g.server.port, user: "root", hostKey: overrides[g.name].hostKey, proxyCommand },
      }));
      writeKnownHosts(
        client.knownHostsFile,
        targets.map((t) => t.target),
      );
      const sessions = new Map(targets.map((t) => [t.name, new SshSession(client, t.target)]));
      const lab = new KernelStackLab(vm, topology, hosts, stack, overrides, pki, secrets, sessions, timings, log);
      // The peers need nothing of the gateways but their models: they start while the containers boot.
      const peers = startStackPeers(lab);
      peers.catch(() => undefined);
      // The containers' sshd comes up with their systemd: waited on inside each container first (a boot under
      // load outlasts any fixed SSH retry), then the connection has a short wait of its own.
      await Promise.all(topology.gateways.map((g) => waitForUnit(hosts.get(g.role)!, "ssh.service", SSHD_WAIT_MS)));
      await Promise.all([...sessions.values()].map((s) => s.open(120_000)));
      timings.ssh = secondsSince(t0);
      log(`kernel lab: SSH to ${stack.map((g) => `${g.name} (${g.server.ipv4})`).join(", ")} from ops, host keys pinned (${timings.ssh} s)`);

      const [results] = await Promise.all([Promise.all(lab.models().map((m) => lab.converge(m))), peers]);
      timings.converge = secondsSince(t0);
      log(
        `kernel lab: converged ${results.length} gateway(s), ${results.reduce((n, r) => n + r.activated, 0)} concern(s) activated; peers started (${timings.converge} s)`,
      );

      // XFRM sends the kernel's acquire for a trapped packet: traffic from the gateway's side brings a trap site up.
      await connectStackPeers(lab, (s) => pingThroughSite(lab, s, 60_000), log);
      timings.tunnels = secondsSince(t0);
      log(
        `kernel lab: ${topology.clients.length} road warrior(s), ${topology.sites.length} site(s), ${topology.wgPeers.length} WireGuard peer(s) connected (${timings.tunnels} s)`,
      );
      return lab;
    } catch (e) {
      const evidence = await diagnose(hosts, topology).catch((d: Error) => `(no diagnostics: ${d.message})`);
      if (!opts.keepOnFailure) await vm.stop(10_000).catch(() => vm.kill());
      (e as Error).message += `\n--- kernel lab diagnostics ---\n${evidence}`;
      throw e;
    }
  }
}

/** Polls until `unit` is active inside the container; fails with its state and the container's failed units. */
async function waitForUnit(host: LabHost<string>, unit: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await host.exec(`systemctl is-active ${unit}`, { timeoutMs: 30_000 });
    if (r.code === 0) return;
    if (Date.now() >= deadline) {
      const failed = (await host.exec("systemctl --failed --no-legend --plain; systemctl list-jobs --no-legend | head", { timeoutMs: 30_000 })).stdout;
      throw new Error(
        `${host.role}: ${unit} not active after ${timeoutMs / 1000} s (${r.stdout.trim() || r.stderr.trim()}); failed units and jobs:\n${failed}`,
      );
    }
    await new Promise((res) => setTimeout(res, 1000));
  }
}

/** A gateway's SSH host key, generated per run on this machine (its private half goes to the container on stdin). */
function gatewayHostKey(stateDir: string, role: string): { priv: string; pub: string } {
  const file = path.join(stateDir, `host_key_${role}`);
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", `stage2-kernel-lab-${role}`, "-f", file], { stdio: "ignore" });
  return { priv: fs.readFileSync(file, "utf8"), pub: fs.readFileSync(`${file}.pub`, "utf8").split(" ").slice(0, 2).join(" ") };
}

/** What each gateway's daemons said, for an error message. */
async function diagnose(hosts: ReadonlyMap<string, LabHost<string>>, t: Topology): Promise<string> {
  const parts = await Promise.all(
    t.gateways.map(async (g) => {
      const h = hosts.get(g.role);
      if (!h) return `${g.name}: no container`;
      const r = await h.exec("systemctl --failed --no-pager; journalctl -b --no-pager -o cat -u strongswan -u bird -u nftables -n 40", { timeoutMs: 30_000 });
      return `${g.name}:\n${r.stdout}${r.stderr}`;
    }),
  );
  return parts.join("\n");
}
