import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { childOptions } from "./host/child-options";
import { concernCommand } from "./host/concern-command";
import { concernOutput } from "./host/concern-output";
import { HostComponentArgs } from "./host/host-component-args";
import { wireguardConcern } from "./wireguard/concern";
import { wireguardPublicKeyCommand } from "./wireguard/render";

export type WireGuardArgs = HostComponentArgs;

/**
 * WireGuard, the default VPN, on its own subnet. The private key is generated on the host and never leaves it;
 * peers are synced with `wg syncconf`, so adding one does not touch the others' sessions.
 */
export class WireGuard extends pulumi.ComponentResource {
  readonly command: command.remote.Command;
  /** The gateway's WireGuard public key, for the peers' configs. */
  readonly publicKey: pulumi.Output<string>;

  constructor(name: string, args: WireGuardArgs, opts?: pulumi.ComponentResourceOptions) {
    super("stage2:wireguard:WireGuard", name, {}, opts);
    this.command = concernCommand(name, concernOutput(args.gateway, args.floatingIp, wireguardConcern), args.connection, childOptions(this, opts));
    const pubkey = new command.remote.Command(
      `${name}-pubkey`,
      { connection: args.connection, create: wireguardPublicKeyCommand(args.gateway) },
      childOptions(this, opts, this.command),
    );
    this.publicKey = pubkey.stdout.apply((s) => s.trim());
    this.registerOutputs({ publicKey: this.publicKey });
  }
}
