import * as pulumi from "@pulumi/pulumi";
import { Bird } from "./bird";
import { FloatingIp } from "./floating-ip";
import { pinnedConnection } from "./host/concern-command";
import { HostComponentArgs } from "./host/host-component-args";
import { GatewayModel, formatProblem, parseGateway, GatewayInput } from "./model/gateway";
import { Nftables } from "./nftables";
import { StrongswanInstall } from "./strongswan-install";
import { Swanctl } from "./swanctl";
import { Sysctl } from "./sysctl";
import { WireGuard } from "./wireguard";

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
 * WireGuard, converged in that order. Each part is its own remote command that re-runs only when its inputs change.
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

    const fip = new FloatingIp(`${name}-floating-ip`, { gateway: gw, connection }, { parent: this });
    const host: HostComponentArgs = { gateway: gw, floatingIp: fip.address, connection };
    const sysctl = new Sysctl(`${name}-sysctl`, host, { parent: this, dependsOn: [fip] });
    const nftables = new Nftables(`${name}-nftables`, host, { parent: this, dependsOn: [sysctl] });
    const install = new StrongswanInstall(`${name}-strongswan-install`, host, { parent: this, dependsOn: [nftables] });
    const swanctl = new Swanctl(`${name}-swanctl`, { ...host, secrets: args.secrets ?? {} }, { parent: this, dependsOn: [install] });
    new Bird(`${name}-bird`, host, { parent: this, dependsOn: [swanctl] });
    const wireguard = new WireGuard(`${name}-wireguard`, host, { parent: this, dependsOn: [nftables] });

    this.floatingIp = fip.address;
    this.wireguardPublicKey = wireguard.publicKey;
    this.registerOutputs({ floatingIp: this.floatingIp, wireguardPublicKey: this.wireguardPublicKey });
  }
}
