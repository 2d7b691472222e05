import * as fs from "fs";
import * as path from "path";
import { HostPlan, ServiceManager } from "../components/host/types";
import { RenderContext } from "../components/model/context";
import { GatewayModel } from "../components/model/gateway";
import { CheckContext, Fact, runChecks, rwVip } from "./checks";
import { converge, ConvergeResult } from "./converge";
import { NamespaceHost, sh } from "./host";
import { labLayout, LabLayout, Role } from "./layout";
import { applyLabOverrides, LabOverrides } from "./model";
import { createLab, destroyLab, namespaceHosts } from "./netns";
import { initiate, startNode, startPeerCharon, startWgpeer, wgpeerKey } from "./peer-hosts";
import { PEER_CA_FILE, renderRoadWarriorSwanctl, renderSiteSwanctl } from "./peers";
import { issueLabCertificates, readLabCertificates } from "./pki";
import { openMaster, operatorKey, SshClient, sshRun, SshTarget, startSshd, writeKnownHosts } from "./ssh";
import { loadLabStack } from "./stack";

/** Renders what a gateway receives; planGateway in production, injectable for other labs. */
export type PlanFn = (gw: GatewayModel, ctx: RenderContext, secrets: Record<string, string>) => HostPlan;

export interface LabOptions {
  readonly stackFile: string;
  /** Gateway name in the stack; default the first. */
  readonly gateway?: string;
  /** Namespace prefix: several labs (the CLI's, the tests') can coexist. */
  readonly prefix?: string;
  readonly stateDir?: string;
  readonly progress?: (line: string) => void;
}

/** What `check` and `down` need from an earlier `up` (also after the process that ran `up` has ended). */
export interface LabState {
  readonly version: 1;
  readonly prefix: string;
  readonly stateDir: string;
  readonly stackFile: string;
  readonly gateway: string;
  readonly overrides: LabOverrides;
  readonly layout: LabLayout;
  readonly operatorKeyFile: string;
  readonly knownHostsFile: string;
}

export const DEFAULT_PREFIX = "s2lab";
export const defaultStateDir = (prefix: string): string => path.join("/run/stage2-lab", prefix);
const stateFile = (stateDir: string): string => path.join(stateDir, "state.json");
const pkiDir = (stateDir: string): string => path.join(stateDir, "pki");

export interface UpTimings {
  readonly [step: string]: number;
}

export class Lab implements CheckContext {
  readonly layout: LabLayout;
  private readonly hosts: Map<Role, NamespaceHost>;
  private mastered = false;

  constructor(
    readonly state: LabState,
    private readonly plan: PlanFn,
    private readonly progress: (line: string) => void = () => undefined,
  ) {
    this.layout = state.layout;
    this.hosts = namespaceHosts(state.layout, state.stateDir);
  }

  host(role: Role): NamespaceHost {
    const h = this.hosts.get(role);
    if (!h) throw new Error(`the lab has no ${role} host`);
    return h;
  }

  /** Re-attaches to a running lab (`stage2 lab check|down` in a later process). */
  static attach(prefix: string, plan: PlanFn, progress?: (line: string) => void, stateDir = defaultStateDir(prefix)): Lab {
    const file = stateFile(stateDir);
    if (!fs.existsSync(file)) throw new Error(`no lab is up with prefix ${prefix} (${file} not found); run \`stage2 lab up\``);
    return new Lab(JSON.parse(fs.readFileSync(file, "utf8")) as LabState, plan, progress);
  }

  /** Builds the lab from nothing (cleaning what a crashed run left), converges gw, brings up the peers. */
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

    const stack = loadLabStack(opts.stackFile);
    const gw = opts.gateway ? stack.gateways.find((g) => g.name === opts.gateway) : stack.gateways[0];
    if (!gw) throw new Error(`${opts.stackFile}: no gateway named ${opts.gateway}`);
    const layout = labLayout(gw, prefix);

    const leftovers = await destroyLab(prefix, stateDir);
    step("clean", leftovers.length ? `removed a previous run's ${leftovers.join(", ")}` : "nothing left from a previous run");

    await createLab(layout, stateDir);
    step("namespaces", `${layout.hosts.length} hosts: ${layout.hosts.map((h) => h.role).join(" ")}`);

    const key = await operatorKey(stateDir);
    const hosts = namespaceHosts(layout, stateDir);
    const get = (r: Role) => hosts.get(r)!;
    const [hostKey, wgpeerPublicKey, certs] = await Promise.all([
      startSshd(get("gw"), key.publicKey),
      layout.wg ? wgpeerKey(get("wgpeer")) : undefined,
      layout.rw.auth.kind === "eap-mschapv2" ? issueLabCertificates(pkiDir(stateDir), layout.rw.gatewayId) : undefined,
    ]);
    const knownHostsFile = path.join(stateDir, "ssh", "known_hosts");
    const state: LabState = {
      version: 1,
      prefix,
      stateDir,
      stackFile: path.resolve(opts.stackFile),
      gateway: gw.name,
      overrides: { hostKey, wgpeerPublicKey, gatewayCert: certs?.gatewayCert },
      layout,
      operatorKeyFile: key.keyFile,
      knownHostsFile,
    };
    const lab = new Lab(state, plan, say);
    const model = lab.model();
    writeKnownHosts(knownHostsFile, [lab.target(model)]);
    fs.writeFileSync(stateFile(stateDir), JSON.stringify(state, null, 2) + "\n", { mode: 0o600 });
    step("sshd", `gw's host key pinned: ${hostKey.slice(0, 40)}...`);

    // The peers start while gw converges: neither waits for the other until tunnels are initiated.
    const [result] = await Promise.all([lab.converge(model), lab.startPeers(stack.secrets)]);
    step("converge", `${result.results.length} concerns, ${result.activated} activated`);

    await lab.connectPeers();
    step("tunnels", `${["rw", layout.site ? "site" : "", layout.wg ? "wgpeer" : ""].filter(Boolean).join(", ")} connected; node learned the routes`);
    return { lab, timings, converge: result };
  }

  /** The stack's gateway with the lab's per-run overrides, optionally changed further (tests re-converge variants). */
  model(change?: (gw: GatewayModel) => GatewayModel): GatewayModel {
    const stack = loadLabStack(this.state.stackFile);
    const gw = stack.gateways.find((g) => g.name === this.state.gateway);
    if (!gw) throw new Error(`${this.state.stackFile}: gateway ${this.state.gateway} is gone`);
    const model = applyLabOverrides(gw, this.state.overrides);
    return change ? change(model) : model;
  }

  /** The stack's secrets, plus the key of the certificate the lab issued (labSuppliedSecrets). */
  secrets(): Record<string, string> {
    const secrets = { ...loadLabStack(this.state.stackFile).secrets };
    const certs = readLabCertificates(pkiDir(this.state.stateDir));
    if (certs && this.layout.rw.auth.kind === "eap-mschapv2") secrets[this.layout.rw.auth.gatewayCertKey] = certs.gatewayKey;
    return secrets;
  }

  target(gw: GatewayModel): SshTarget {
    return { host: gw.server.ipv4, port: gw.server.port, user: gw.server.user, hostKey: gw.server.hostKey };
  }

  client(): SshClient {
    return { keyFile: this.state.operatorKeyFile, knownHostsFile: this.state.knownHostsFile, from: this.host("ops") };
  }

  /** Converges gw over SSH with the "direct" service manager, exactly the remote commands production runs. */
  async converge(gw: GatewayModel = this.model(), manager: ServiceManager = "direct", secrets = this.secrets()): Promise<ConvergeResult> {
    const plan = this.plan(gw, { floatingIp: this.layout.addrs.floatingIp }, secrets);
    const target = this.target(gw);
    const client = this.client();
    if (!this.mastered) {
      await openMaster(client, target);
      this.mastered = true;
    }
    return converge(plan, (command, stdin) => sshRun(client, target, command, { input: stdin, timeoutMs: 120_000 }), manager, this.progress);
  }

  private async startPeers(secrets: Record<string, string>): Promise<void> {
    const { layout } = this;
    const secret = (key: string) => {
      const v = secrets[key];
      if (v === undefined) throw new Error(`the stack has no value for stage2:${key}`);
      return v;
    };
    await Promise.all([
      startPeerCharon(this.host("rw"), renderRoadWarriorSwanctl(layout, secret(layout.rw.auth.secretKey)), this.trustAnchors()),
      layout.site ? startPeerCharon(this.host("site"), renderSiteSwanctl(layout, secret(layout.site.auth.secretKey))) : undefined,
      startNode(this.host("node"), layout),
    ]);
  }

  /** The lab CA for a road warrior that checks the gateway's certificate. */
  private trustAnchors(): { path: string; content: string }[] {
    const certs = readLabCertificates(pkiDir(this.state.stateDir));
    return certs && this.layout.rw.auth.kind === "eap-mschapv2" ? [{ path: PEER_CA_FILE, content: certs.caCert }] : [];
  }

  /** Initiates rw's and site's tunnels, points wgpeer at gw, and waits until node has learned rw's route. */
  async connectPeers(): Promise<void> {
    const { layout } = this;
    const gwWgKey = layout.wg ? (await sh(this.host("gw"), `wg show ${layout.wg.interface} public-key`)).trim() : "";
    const t0 = Date.now();
    await Promise.all([
      initiate(this.host("rw"), layout.rw.conn),
      layout.site ? initiate(this.host("site"), layout.site.conn) : undefined,
      layout.wg ? startWgpeer(this.host("wgpeer"), layout, gwWgKey) : undefined,
    ]);
    const t1 = Date.now();
    await this.waitForBgp();
    this.progress(`  tunnels: initiated in ${t1 - t0} ms, node had the BGP route ${Date.now() - t1} ms later`);
  }

  /** Waits until node's kernel has a BGP route (via gw) to rw's virtual IP. */
  async waitForBgp(timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const vip = await rwVip(this);
    if (!vip) throw new Error("rw has no virtual IP after initiating");
    while (Date.now() < deadline) {
      const r = await this.host("node").exec(`ip -4 route get ${vip}`);
      if (r.code === 0 && r.stdout.includes(`via ${this.layout.bgp.gatewayAddr}`)) return;
      await new Promise((res) => setTimeout(res, 200));
    }
    const rib = await this.host("node").exec("gobgp neighbor; gobgp global rib -a ipv4");
    throw new Error(`node has no BGP route to rw's ${vip} after ${timeoutMs} ms:\n${rib.stdout}${rib.stderr}`);
  }

  check(): Promise<Fact[]> {
    return runChecks(this);
  }

  down(): Promise<string[]> {
    return destroyLab(this.state.prefix, this.state.stateDir);
  }
}
