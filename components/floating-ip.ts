import * as pulumi from "@pulumi/pulumi";
import * as hcloud from "@pulumi/hcloud";
import * as command from "@pulumi/command";
import { floatingIpResourceName } from "./concern-registry";
import { childOptions } from "./host/child-options";
import { concernCommand } from "./host/concern-command";
import { Connection } from "./host/concern-command";
import { floatingIpHostConcern } from "./floating-ip-host/concern";
import { GatewayModel } from "./model/gateway";

export interface FloatingIpArgs {
  readonly gateway: GatewayModel;
  readonly connection: Connection;
}

/**
 * A Hetzner floating IP, assigned to the gateway's server AND configured on its public interface (/32,
 * persistently): an assigned address the host does not own is routed to it and then dropped by its kernel.
 * With `floatingIp.id` an existing IP is adopted (imported) instead of created, so customers' peers keep the address.
 */
export class FloatingIp extends pulumi.ComponentResource {
  readonly address: pulumi.Output<string>;
  readonly ip: hcloud.FloatingIp;
  readonly assignment: hcloud.FloatingIpAssignment;
  readonly hostConfig: command.remote.Command;

  constructor(name: string, args: FloatingIpArgs, opts?: pulumi.ComponentResourceOptions) {
    super("stage2:hcloud:FloatingIp", name, {}, opts);
    const gw = args.gateway;
    const fip = gw.floatingIp;
    this.ip = new hcloud.FloatingIp(
      floatingIpResourceName(gw.name),
      {
        type: "ipv4",
        homeLocation: fip.location,
        // An adopted IP is imported as it is (an import whose inputs differ from the real resource fails).
        ...(fip.id === undefined ? { description: `stage2 gateway ${gw.name}: IKE/IPsec endpoint`, labels: { "managed-by": "stage2", gateway: gw.name } } : {}),
      },
      // Deleting the IP would change every customer's peer configuration.
      { ...childOptions(this, opts), import: fip.id !== undefined ? String(fip.id) : undefined, protect: true },
    );
    this.assignment = new hcloud.FloatingIpAssignment(
      `${floatingIpResourceName(gw.name)}-assignment`,
      { floatingIpId: this.ip.id.apply(Number), serverId: gw.server.id },
      childOptions(this, opts),
    );
    this.address = this.ip.ipAddress.apply((address) => {
      if (fip.address !== undefined && address !== fip.address) {
        throw new Error(`${gw.name}: floatingIp.address is ${fip.address} but Hetzner reports ${address} for floatingIp.id ${fip.id}`);
      }
      return address;
    });
    this.hostConfig = concernCommand(
      name,
      this.address.apply((address) => floatingIpHostConcern(gw, { floatingIp: address })),
      args.connection,
      childOptions(this, opts, this.assignment),
    );
    this.registerOutputs({ address: this.address });
  }
}
