import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { childOptions } from "./host/child-options";
import { concernCommand } from "./host/concern-command";
import { concernOutput } from "./host/concern-output";
import { HostComponentArgs } from "./host/host-component-args";
import { metricsConcern } from "./metrics/concern";

export type MetricsArgs = HostComponentArgs;

/**
 * Prometheus metrics on the private address: node-exporter (with strongSwan's SAs, pools, certificates and errors as
 * textfile metrics from a collector on a systemd timer) and bird-exporter. The firewall admits the private networks only.
 */
export class Metrics extends pulumi.ComponentResource {
  readonly command: command.remote.Command;

  constructor(name: string, args: MetricsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("stage2:metrics:Metrics", name, {}, opts);
    this.command = concernCommand(name, concernOutput(args.gateway, args.floatingIp, metricsConcern), args.connection, childOptions(this, opts));
    this.registerOutputs({});
  }
}
