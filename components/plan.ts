import { HostPlan } from "./host/types";
import { GatewayModel } from "./model/gateway";
import { RenderContext } from "./model/context";
import { CONCERNS } from "./concern-registry";
import { SecretValues } from "./strongswan/gateway-swanctl";

/**
 * Everything one gateway receives, in converge order (components/concern-registry.ts). Pure: the labs and
 * `stage2 render` start from this; the Pulumi components build the same concerns from the same list.
 */
export function planGateway(gw: GatewayModel, ctx: RenderContext, secrets: SecretValues): HostPlan {
  return {
    host: gw.name,
    concerns: CONCERNS.map((entry) => {
      const concern = entry.build(gw, ctx, secrets);
      if (concern.name !== entry.name) throw new Error(`concern ${entry.name} built one named ${concern.name}`);
      return concern;
    }),
  };
}
