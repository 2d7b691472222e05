import * as pulumi from "@pulumi/pulumi";
import { GatewayModel } from "../model/gateway";
import { Connection } from "./concern-command";

/** What every host-level component takes. */
export interface HostComponentArgs {
  /** The gateway, as `parseGateway` returned it (validated and with defaults applied). */
  readonly gateway: GatewayModel;
  /** The floating IP's address (FloatingIp.address); IKE binds it and the firewall admits IKE only to it. */
  readonly floatingIp: pulumi.Input<string>;
  /** SSH to the gateway; build it with `pinnedConnection` so the host key is checked. */
  readonly connection: Connection;
}
