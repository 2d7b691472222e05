import { Concern } from "../host/types";
import { RenderContext } from "../model/context";
import { GatewayModel } from "../model/gateway";
import { renderNftables } from "./render";

export const NFTABLES_CONF = "/etc/nftables.conf";

/**
 * The firewall. Debian's nftables.service reloads with `nft -f /etc/nftables.conf`, which swaps table inet stage2
 * in one transaction: hitless, established flows keep their conntrack entries.
 */
export function nftablesConcern(gw: GatewayModel, ctx: RenderContext): Concern {
  return {
    name: "nftables",
    packages: ["nftables"],
    files: [{ path: NFTABLES_CONF, content: renderNftables(gw, ctx), mode: "0755", validate: 'nft -c -f "$STAGED"' }],
    services: [
      {
        unit: "nftables",
        onChange: "reload",
        direct: {
          running: "nft list table inet stage2",
          start: `nft -f ${NFTABLES_CONF}`,
          reload: `nft -f ${NFTABLES_CONF}`,
        },
      },
    ],
  };
}
