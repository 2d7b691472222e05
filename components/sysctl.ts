import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { childOptions } from "./host/child-options";
import { concernCommand } from "./host/concern-command";
import { concernOutput } from "./host/concern-output";
import { HostComponentArgs } from "./host/host-component-args";
import { sysctlConcern } from "./sysctl/concern";

export type SysctlArgs = HostComponentArgs;

/** Kernel settings for a forwarding VPN gateway: IPv4 (and IPv6 when used) forwarding, redirects off, rp_filter loose. */
export class Sysctl extends pulumi.ComponentResource {
  readonly command: command.remote.Command;

  constructor(name: string, args: SysctlArgs, opts?: pulumi.ComponentResourceOptions) {
    super("stage2:sysctl:Sysctl", name, {}, opts);
    this.command = concernCommand(name, concernOutput(args.gateway, args.floatingIp, sysctlConcern), args.connection, childOptions(this, opts));
    this.registerOutputs({});
  }
}
