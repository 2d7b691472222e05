import { Concern } from "../host/types";
import { RenderContext } from "../model/context";
import { GatewayModel } from "../model/gateway";
import { floatingIpAddress, floatingIpLabel, renderFloatingIpHost } from "./render";

export const FLOATING_IP_FILE = "/etc/network/interfaces.d/60-stage2-floating-ip";

/**
 * The floating IP's address on the host. No service: restarting networking would drop every connection, so
 * activation adds the /32 directly (idempotent) and removes a previous floating IP left on the same label.
 */
export function floatingIpHostConcern(gw: GatewayModel, ctx: RenderContext): Concern {
  const label = floatingIpLabel(gw);
  const dev = gw.publicInterface;
  const cidr = `${floatingIpAddress(ctx)}/32`;
  return {
    name: "floating-ip",
    packages: ["iproute2"],
    files: [
      {
        path: FLOATING_IP_FILE,
        content: renderFloatingIpHost(gw, ctx),
        mode: "0644",
        // ifupdown reads this file at boot; where it is not installed (the namespace lab) nothing reads it.
        validate: `if command -v ifquery >/dev/null; then ifquery -i "$STAGED" ${label} >/dev/null; fi`,
      },
    ],
    services: [],
    activate: [
      `ip -4 address replace ${cidr} dev ${dev} label ${label}`,
      `ip -4 -o address show dev ${dev} label ${label} | awk '$4 != "${cidr}" { print $4 }' | while read -r old; do ip address del "$old" dev ${dev}; done`,
    ],
  };
}
