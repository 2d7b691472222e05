import { HostPlan } from "./host/types";
import { GatewayModel } from "./model/gateway";
import { RenderContext } from "./model/context";
import { floatingIpHostConcern } from "./floating-ip-host/concern";
import { sysctlConcern } from "./sysctl/concern";
import { strongswanInstallConcern, swanctlConcern, swanctlSecretsConcern } from "./strongswan/concerns";
import { SecretValues } from "./strongswan/gateway-swanctl";
import { nftablesConcern } from "./nftables/concern";
import { birdConcern } from "./bird/concern";
import { wireguardConcern } from "./wireguard/concern";

/**
 * Everything one gateway receives, in converge order: the address IKE binds must exist before charon loads
 * connections; forwarding and the firewall before tunnels carry traffic; BIRD after strongSwan fills table 220.
 * Pure: the Pulumi components, the lab and `stage2 render` all start from this.
 */
export function planGateway(gw: GatewayModel, ctx: RenderContext, secrets: SecretValues): HostPlan {
  return {
    host: gw.name,
    concerns: [
      floatingIpHostConcern(gw, ctx),
      sysctlConcern(gw, ctx),
      nftablesConcern(gw, ctx),
      strongswanInstallConcern(gw),
      swanctlSecretsConcern(gw, ctx, secrets),
      swanctlConcern(gw, ctx),
      birdConcern(gw, ctx),
      wireguardConcern(gw, ctx),
    ],
  };
}
