import * as pulumi from "@pulumi/pulumi";
import { Bird } from "./bird";
import { FloatingIp } from "./floating-ip";
import { CONCERNS, ConcernName, concernEntry, concernResourceName } from "./concern-registry";
import { childOptions } from "./host/child-options";
import { pinnedConnection } from "./host/concern-command";
import { HostComponentArgs } from "./host/host-component-args";
import { GatewayModel, formatProblem, parseGateway, GatewayInput } from "./model/gateway";
import { Nftables } from "./nftables";
import { StrongswanInstall } from "./strongswan-install";
import { Swanctl } from "./swanctl";
import { Sysctl } from "./sysctl";
import { WireGuard } from "./wireguard";
import { Metrics } from "./metrics";

/** A component that converges one or more concerns of the registry; named after `named` or its only concern. */
interface Part {
  readonly concerns: readonly ConcernName[];
  readonly named?: ConcernName;
  readonly make: (name: string, opts: pulumi.ComponentResourceOptions) => pulumi.Resource;
}

export interface Stage2GatewayArgs {
  /** The gateway (see components/model/gateway.ts); validated here, every problem named by its field path. */
  readonly gateway: GatewayInput | GatewayModel;
  /** The private key stage2 logs in with (secret). The host key is pinned from `gateway.server.hostKey`. */
  readonly sshPrivateKey: pulumi.Input<string>;
  /** Secret values referenced by the gateway's IPsec auth (PSKs, EAP passwords, private keys), by name. */
  readonly secrets?: Readonly<Record<string, pulumi.Input<string>>>;
}

/**
 * The stage2 role for one gateway server: floating IP, kernel settings, firewall, strongSwan, swanctl, BIRD and
 * WireGuard, converged in the order of components/concern-registry.ts. Each part is its own remote command that re-runs
 * only when its inputs change; all of them wait for what this component was told to wait for (`dependsOn`).
 */
export class Stage2Gateway extends pulumi.ComponentResource {
  readonly floatingIp: pulumi.Output<string>;
  readonly wireguardPublicKey: pulumi.Output<string>;
  readonly model: GatewayModel;

  constructor(name: string, args: Stage2GatewayArgs, opts?: pulumi.ComponentResourceOptions) {
    super("stage2:gateway:Stage2Gateway", name, {}, opts);
    const parsed = parseGateway(args.gateway);
    if (!parsed.ok) {
      throw new Error(`${name}: invalid gateway:\n  ${parsed.problems.map(formatProblem).join("\n  ")}`);
    }
    const gw = (this.model = parsed.gateway);
    const connection = pinnedConnection({
      host: gw.server.ipv4,
      user: gw.server.user,
      port: gw.server.port,
      hostKey: gw.server.hostKey,
      privateKey: args.sshPrivateKey,
    });

    // One component per concern of the registry (Swanctl converges two), each waiting for the components of the
    // concerns its concerns come after, and for everything this gateway was told to wait for (opts.dependsOn).
    let fip: FloatingIp | undefined;
    let wireguard: WireGuard | undefined;
    const host = (): HostComponentArgs => ({ gateway: gw, floatingIp: fip!.address, connection });
    const parts: readonly Part[] = [
      { concerns: ["floating-ip"], make: (n, o) => (fip = new FloatingIp(n, { gateway: gw, connection }, o)) },
      { concerns: ["sysctl"], make: (n, o) => new Sysctl(n, host(), o) },
      { concerns: ["nftables"], make: (n, o) => new Nftables(n, host(), o) },
      { concerns: ["strongswan-install"], make: (n, o) => new StrongswanInstall(n, host(), o) },
      { concerns: ["swanctl-secrets", "swanctl"], named: "swanctl", make: (n, o) => new Swanctl(n, { ...host(), secrets: args.secrets ?? {} }, o) },
      { concerns: ["bird"], make: (n, o) => new Bird(n, host(), o) },
      { concerns: ["wireguard"], make: (n, o) => (wireguard = new WireGuard(n, host(), o)) },
      { concerns: ["metrics"], make: (n, o) => new Metrics(n, host(), o) },
    ];
    const made = new Map<ConcernName, pulumi.Resource>();
    for (const entry of CONCERNS) {
      if (made.has(entry.name)) continue;
      const part = parts.find((p) => p.concerns.includes(entry.name));
      if (!part) throw new Error(`${name}: no component converges the concern ${entry.name}`);
      const after = part.concerns.flatMap((c) => concernEntry(c).after).filter((a) => !part.concerns.includes(a));
      const waitFor = [...new Set(after)].map((a) => {
        const resource = made.get(a);
        if (!resource) throw new Error(`${name}: the concern ${entry.name} comes after ${a}, which is not listed before it`);
        return resource;
      });
      const resource = part.make(concernResourceName(name, part.named ?? entry.name), childOptions(this, opts, ...new Set(waitFor)));
      for (const c of part.concerns) made.set(c, resource);
    }
    if (!fip || !wireguard) throw new Error(`${name}: the concern registry lacks the floating IP or WireGuard`);

    this.floatingIp = fip.address;
    this.wireguardPublicKey = wireguard.publicKey;
    this.registerOutputs({ floatingIp: this.floatingIp, wireguardPublicKey: this.wireguardPublicKey });
  }
}
