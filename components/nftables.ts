import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { childOptions } from "./host/child-options";
import { concernCommand } from "./host/concern-command";
import { concernOutput } from "./host/concern-output";
import { HostComponentArgs } from "./host/host-component-args";
import { nftablesConcern } from "./nftables/concern";

export type NftablesArgs = HostComponentArgs;

/**
 * The gateway's firewall: one `inet stage2` table replaced atomically by `nft -f`. Input admits IKE/ESP only to the
 * floating IP; forward admits pool traffic only when it was decrypted by IPsec.
 */
export class Nftables extends pulumi.ComponentResource {
  readonly command: command.remote.Command;

  constructor(name: string, args: NftablesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("stage2:nftables:Nftables", name, {}, opts);
    this.command = concernCommand(name, concernOutput(args.gateway, args.floatingIp, nftablesConcern), args.connection, childOptions(this, opts));
    this.registerOutputs({});
  }
}
