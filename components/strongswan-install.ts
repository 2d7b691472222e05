import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { childOptions } from "./host/child-options";
import { concernCommand } from "./host/concern-command";
import { concernOutput } from "./host/concern-output";
import { HostComponentArgs } from "./host/host-component-args";
import { strongswanInstallConcern } from "./strongswan/concerns";

export type StrongswanInstallArgs = HostComponentArgs;

/**
 * strongSwan's swanctl stack: charon-systemd + swanctl (strongswan.service), the legacy ipsec.conf starter masked
 * (it would fight over UDP 500/4500), log levels and the dataplane in /etc/strongswan.d/stage2.conf.
 */
export class StrongswanInstall extends pulumi.ComponentResource {
  readonly command: command.remote.Command;

  constructor(name: string, args: StrongswanInstallArgs, opts?: pulumi.ComponentResourceOptions) {
    super("stage2:strongswan:StrongswanInstall", name, {}, opts);
    const concern = concernOutput(args.gateway, args.floatingIp, (gw) => strongswanInstallConcern(gw));
    this.command = concernCommand(name, concern, args.connection, childOptions(this, opts));
    this.registerOutputs({});
  }
}
