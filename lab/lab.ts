import * as fs from "fs";
import * as path from "path";
import { HostPlan, ServiceManager } from "../components/host/types";
import { RenderContext } from "../components/model/context";
import { GatewayModel } from "../components/model/gateway";
import { DoctorContext } from "../doctor/types";
import { labShell } from "../doctor/lab-shell";
import { clientVip, Fact, runChecks } from "./checks";
import { converge, ConvergeResult } from "./converge";
import { NamespaceHost } from "./host";
import { applyLabOverrides, LabOverrides } from "./model";
import { createLab, destroyLab, namespaceHosts } from "./netns";
import { dial, wgpeerKey } from "./peer-hosts";
import { issueLabPki, LabPki, readLabPki } from "./pki";
import { labSecrets, pkiRequest } from "./secrets";
import { openMaster, operatorKey, SshClient, sshRun, SshTarget, startSshd, writeKnownHosts } from "./ssh";
import { loadStackGateways } from "./stack";
import { connectStackPeers, gatewayRole, pingThroughSite, siteTrigger, sitePeerSpec, StackLabContext, startStackPeers, waitForBgp } from "./stack-peers";
import { ClientLab, labTopology, SiteLab, Topology } from "./topology";

/** Renders what a gateway receives; planGateway in production, injectable for other labs. */
export type PlanFn = (gw: GatewayModel, ctx: RenderContext, secrets: Record<string, string>) => HostPlan;

export interface LabOptions {
  readonly stackFile: string;
  /** Only this gateway of the stack; default all of them. */
  readonly gateway?: string;
  /** Namespace prefix: several labs (the CLI's, the tests') can coexist. */
  readonly prefix?: string;
  readonly stateDir?: string;
  readonly progress?: (line: string) => void;
}

/** What `check` and `down` need from an earlier `up` (also after the process that ran `up` has ended). */
export interface LabState {
  readonly version: 2;
  readonly prefix: string;
  readonly stateDir: string;
  readonly stackFile: string;
  /** The gateways brought up (all of the stack's unless --gateway). */
  readonly gateways: readonly string[];
  readonly overrides: Readonly<Record<string, LabOverrides>>;
  readonly topology: Topology;
  readonly operatorKeyFile: string;
  readonly knownHostsFile: string;
}

export const DEFAULT_PREFIX = "s2lab";
export const defaultStateDir = (prefix: string): string => path.join("/run/stage2-lab", prefix);
const stateFile = (stateDir: string): string => path.join(stateDir, "state.json");
const secretsFile = (stateDir: string): string => path.join(stateDir, "secrets.json");
const pkiDir = (stateDir: string): string => path.join(stateDir, "pki");

export interface UpTimings {
  readonly [step: string]: number;
}

export class Lab implements StackLabContext {
  readonly topology: Topology;
  private readonly hosts: Map<string, NamespaceHost<string>>;
  private readonly mastered = new Set<string>();

  constructor(
    readonly state: LabState,
    private readonly plan: PlanFn,
    private readonly progress: (line: string) => void = () => undefined,
  ) {
    this.topology = state.topology;
    this.hosts = namespaceHosts(state.topology, state.stateDir);
  }

  /** A host by role, or by the short name of the first of its kind ("gw", "rw", "node", "site", "sitehost", "wgpeer"). */
  host(role: string): NamespaceHost<string> {
    const h = this.hosts.get(this.topology.aliases[role] ?? role);
    if (!h) throw new Error(`the lab has no ${role} host`);
    return h;
  }

  /** Re-attaches to a running lab (`stage2 lab check|down` in a later process). */
  static attach(prefix: string, plan: PlanFn, progress?: (line: string) => void, stateDir = defaultStateDir(prefix)): Lab {
    const file = stateFile(stateDir);
    if (!fs.existsSync(file)) throw new Error(`no lab is up with prefix ${prefix} (${file} not found); run \`stage2 lab up\``);
    const state = JSON.parse(fs.readFileSync(file, "utf8")) as LabState;
    if (state.version !== 2) throw new Error(`${file} is from another stage2 version; run \`stage2 lab down\` and up again`);
    return new Lab(state, plan, progress);
  }

  /** Builds the lab from nothing (cleaning what a crashed run left), converges every gateway, brings up every peer. */
  static async up(opts: LabOptions, plan: PlanFn): Promise<{ lab: Lab; timings: UpTimings; converge: ConvergeResult }> {
    const say = opts.progress ?? (() => undefined);
    const prefix = opts.prefix ?? DEFAULT_PREFIX;
    const stateDir = opts.stateDir ?? defaultStateDir(prefix);
    const timings: Record<string, number> = {};
    let t = Date.now();
    const step = (name: string, detail = "") => {
      const now = Date.now();
      timings[name] = now - t;
      say(`lab: ${name.padEnd(12)} ${String(now - t).padStart(5)} ms${detail ? `  ${detail}` : ""}`);
      t = now;
    };

    const all = loadStackGateways(opts.stackFile);
    const gateways = opts.gateway ? all.filter((g) => g.name === opts.gateway) : all;
    if (gateways.length === 0) throw new Error(`${opts.stackFile}: no gateway named ${opts.gateway}`);
    const topology = labTopology(gateways, prefix);

    const leftovers = await destroyLab(prefix, stateDir);
    step("clean", leftovers.length ? `removed a previous run's ${leftovers.join(", ")}` : "nothing left from a previous run");

    // The run's CA and operator key do not need the namespaces: they are made while those are built.
    fs.mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    const pkiMade = issueLabPki(pkiDir(stateDir), pkiRequest(gateways, topology));
    const keyMade = operatorKey(stateDir);
    pkiMade.catch(() => undefined);
    keyMade.catch(() => undefined);
    await createLab(topology, stateDir);
    step("namespaces", `${topology.hosts.length} hosts`);

    const key = await keyMade;
    const hosts = namespaceHosts(topology, stateDir);
    const get = (r: string) => hosts.get(r)!;
    const [hostKeys, wgKeys, pki] = await Promise.all([
      Promise.all(topology.gateways.map((g) => startSshd(get(g.role), key.publicKey))),
      Promise.all(topology.wgPeers.map((p) => wgpeerKey(get(p.role)))),
      pkiMade,
    ]);
    fs.writeFileSync(secretsFile(stateDir), JSON.stringify(labSecrets(gateways, pki)), { mode: 0o600 });
    const overrides: Record<string, LabOverrides> = {};
    topology.gateways.forEach((g, i) => {
      const peers = topology.wgPeers.map((p, j) => [p, wgKeys[j]] as const).filter(([p]) => p.gateway === g.name);
      overrides[g.name] = { hostKey: hostKeys[i], wgKeys: Object.fromEntries(peers.map(([p, k]) => [p.name, k])) };
    });
    const knownHostsFile = path.join(stateDir, "ssh", "known_hosts");
    const state: LabState = {
      version: 2,
      prefix,
      stateDir,
      stackFile: path.resolve(opts.stackFile),
      gateways: gateways.map((g) => g.name),
      overrides,
      topology,
      operatorKeyFile: key.keyFile,
      knownHostsFile,
    };
    const lab = new Lab(state, plan, say);
    const models = lab.models();
    writeKnownHosts(
      knownHostsFile,
      models.map((m) => lab.target(m)),
    );
    fs.writeFileSync(stateFile(stateDir), JSON.stringify(state, null, 2) + "\n", { mode: 0o600 });
    step(
      "sshd+pki",
      `${topology.gateways.length} gateway(s), host keys pinned; lab CA issued ${Object.keys(pki.gateways).length + Object.keys(pki.clients).length} certificate(s)`,
    );

    // The peers start while the gateways converge: neither waits for the other until tunnels are initiated.
    const [results] = await Promise.all([Promise.all(models.map((m) => lab.converge(m))), lab.startPeers()]);
    const result: ConvergeResult = {
      host: results.map((r) => r.host).join(","),
      results: results.flatMap((r) => r.results),
      activated: results.reduce((n, r) => n + r.activated, 0),
      ms: Math.max(...results.map((r) => r.ms)),
    };
    step("converge", `${results.length} gateway(s), ${result.results.length} concerns, ${result.activated} activated`);

    await lab.connectPeers();
    step(
      "tunnels",
      `${topology.clients.length} road warrior(s), ${topology.sites.length} site(s), ${topology.wgPeers.length} WireGuard peer(s) up; nodes learned the routes`,
    );
    return { lab, timings, converge: result };
  }

  /** Every gateway of the run with the lab's per-run overrides. */
  models(): GatewayModel[] {
    return this.state.gateways.map((name) => this.model(undefined, name));
  }

  /** One gateway (default the first) with the lab's overrides, optionally changed further (tests re-converge variants). */
  model(change?: (gw: GatewayModel) => GatewayModel, gateway = this.state.gateways[0]): GatewayModel {
    const gw = loadStackGateways(this.state.stackFile).find((g) => g.name === gateway);
    if (!gw) throw new Error(`${this.state.stackFile}: gateway ${gateway} is gone`);
    const model = applyLabOverrides(gw, this.state.overrides[gateway], this.pki());
    return change ? change(model) : model;
  }

  pki(): LabPki | undefined {
    return readLabPki(pkiDir(this.state.stateDir));
  }

  /** The run's secrets for these gateways; a secret a changed model adds gets a value of its own, kept for the run. */
  secrets(gateways: readonly GatewayModel[] = this.models()): Record<string, string> {
    const file = secretsFile(this.state.stateDir);
    const known = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, string>) : {};
    const all = labSecrets(gateways, this.pki(), known);
    if (Object.keys(all).length !== Object.keys(known).length) fs.writeFileSync(file, JSON.stringify(all), { mode: 0o600 });
    return all;
  }

  secret(key: string): string {
    const v = this.secrets()[key];
    if (v === undefined) throw new Error(`the lab made no value for stage2:${key}`);
    return v;
  }

  target(gw: GatewayModel): SshTarget {
    return { host: gw.server.ipv4, port: gw.server.port, user: gw.server.user, hostKey: gw.server.hostKey };
  }

  client(): SshClient {
    return { keyFile: this.state.operatorKeyFile, knownHostsFile: this.state.knownHostsFile, from: this.host("ops") };
  }

  /** Converges one gateway over SSH with the "direct" service manager, exactly the remote commands production runs. */
  async converge(gw: GatewayModel = this.model(), manager: ServiceManager = "direct", secrets = this.secrets([gw])): Promise<ConvergeResult> {
    const fip = gw.floatingIp.address as string;
    const plan = this.plan(gw, { floatingIp: fip }, secrets);
    const target = this.target(gw);
    const client = this.client();
    if (!this.mastered.has(target.host)) {
      await openMaster(client, target);
      this.mastered.add(target.host);
    }
    return converge(plan, (command, stdin) => sshRun(client, target, command, { input: stdin, timeoutMs: 120_000 }), manager, this.progress);
  }

  /** Converges every gateway at once (each over its own SSH connection). */
  convergeAll(models: readonly GatewayModel[] = this.models()): Promise<ConvergeResult[]> {
    return Promise.all(models.map((m) => this.converge(m)));
  }

  private startPeers(): Promise<void> {
    return startStackPeers(this);
  }

  /**
   * Connects every peer (connectStackPeers); trap sites are brought up from the gateway's side by trapSite.
   */
  connectPeers(): Promise<void> {
    return connectStackPeers(this, (s) => this.trapSite(s), this.progress);
  }

  siteTrigger(s: SiteLab): { role: string; addr: string } | undefined {
    return siteTrigger(this.topology, s);
  }

  /**
   * Brings a trap site up from the gateway's side. strongSwan's userspace ESP sends no acquire for a trapped packet
   * (libipsec drops it: "could not find an outbound IPsec SA"), so the lab does what the acquire would: the gateway
   * initiates the CHILD_SA; then traffic from a node must cross it. The kernel lab proves the acquire itself.
   */
  async trapSite(s: SiteLab, timeoutMs = 20_000): Promise<void> {
    if (!this.siteTrigger(s)) throw new Error(`${s.conn}: no node lies in the site's localTs; nothing on the gateway's side can reach it`);
    await dial(this.host(this.gatewayRole(s.gateway)), s.conn);
    await pingThroughSite(this, s, timeoutMs);
  }

  gatewayRole(name: string): string {
    return gatewayRole(this.topology, name);
  }

  /** A client's virtual IP, from its ESTABLISHED IKE SA. */
  vip(c: ClientLab): Promise<string | undefined> {
    return clientVip(this, c);
  }

  /** Waits until every node that peers with a client's gateway routes the client's virtual IP via that gateway. */
  waitForBgp(timeoutMs = 20_000): Promise<void> {
    return waitForBgp(this, timeoutMs);
  }

  /** What doctor needs to judge one gateway of the lab: its model, what stage2 renders for it, a shell inside it. */
  doctor(gateway: string = this.state.gateways[0]): DoctorContext {
    const gw = this.model(undefined, gateway);
    const render = { floatingIp: gw.floatingIp.address as string };
    const secrets = this.secrets([gw]);
    return {
      gateway: gw,
      render,
      plan: this.plan(gw, render, secrets),
      shell: labShell(this.host(this.gatewayRole(gateway))),
      secrets: Object.values(secrets),
      now: new Date(),
    };
  }

  /** Every fact, or only one gateway's. */
  check(gateway?: string): Promise<Fact[]> {
    return runChecks(this, gateway);
  }

  down(): Promise<string[]> {
    return destroyLab(this.state.prefix, this.state.stateDir);
  }
}

/** What a client asks for: everything; the gateway must narrow it to what the class offers. */
export const clientPeerSpec = (c: ClientLab) => ({ ...c, requestTs: ["0.0.0.0/0"] });

export { sitePeerSpec };
