import * as pulumi from "@pulumi/pulumi";
import { GatewayModel } from "../model/gateway";
import { RenderContext } from "../model/context";
import { Concern } from "./types";

/** Renders a concern once the floating IP is known; no resources are created inside the apply. */
export function concernOutput(
  gateway: GatewayModel,
  floatingIp: pulumi.Input<string>,
  build: (gw: GatewayModel, ctx: RenderContext) => Concern,
): pulumi.Output<Concern> {
  return pulumi.output(floatingIp).apply((address) => build(gateway, { floatingIp: address }));
}
