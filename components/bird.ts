import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { childOptions } from "./host/child-options";
import { concernCommand } from "./host/concern-command";
import { concernOutput } from "./host/concern-output";
import { HostComponentArgs } from "./host/host-component-args";
import { birdConcern } from "./bird/concern";

export type BirdArgs = HostComponentArgs;

/**
 * BIRD 2: learns strongSwan's routes from table 220 and exports the road warriors' and sites' prefixes over BGP to
 * kube-router, so nodes and pods can answer (and reach) VPN clients. Reloaded with `birdc configure`.
 */
export class Bird extends pulumi.ComponentResource {
  readonly command: command.remote.Command;

  constructor(name: string, args: BirdArgs, opts?: pulumi.ComponentResourceOptions) {
    super("stage2:bird:Bird", name, {}, opts);
    this.command = concernCommand(name, concernOutput(args.gateway, args.floatingIp, birdConcern), args.connection, childOptions(this, opts));
    this.registerOutputs({});
  }
}
