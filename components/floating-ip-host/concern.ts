import { Concern } from "../host/types";
import { RenderContext } from "../model/context";
import { GatewayModel } from "../model/gateway";
import { floatingIpLabel, renderFloatingIpHost } from "./render";

export const FLOATING_IP_FILE = "/etc/network/interfaces.d/60-stage2-floating-ip";

/**
 * Makes the label carry exactly the address the file on disk names, or nothing when there is no file. Derived
 * from the file, not from this render: re-activating after a rollback put the previous file back restores the
 * previous address (and removes the one this change added).
 */
export function floatingIpActivate(dev: string, label: string, file: string): string[] {
  return [
    `fip=$(awk '$1 == "address" { print $2 }' ${file} 2>/dev/null) || fip=""`,
    `if [ -n "$fip" ]; then ip -4 address replace "$fip" dev ${dev} label ${label}; fi`,
    `ip -4 -o address show dev ${dev} label ${label} | awk -v keep="$fip" '$4 != keep { print $4 }' | while read -r old; do ip address del "$old" dev ${dev}; done`,
  ];
}

/**
 * The floating IP's address on the host. No service: restarting networking would drop every connection, so
 * activation adds the /32 directly (idempotent) and removes a previous floating IP left on the same label.
 */
export function floatingIpHostConcern(gw: GatewayModel, ctx: RenderContext): Concern {
  const label = floatingIpLabel(gw);
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
    activate: floatingIpActivate(gw.publicInterface, label, FLOATING_IP_FILE),
  };
}
