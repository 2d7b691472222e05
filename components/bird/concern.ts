import { Concern } from "../host/types";
import { RenderContext } from "../model/context";
import { GatewayModel } from "../model/gateway";
import { renderBird } from "./render";

export const BIRD_CONF = "/etc/bird/bird.conf";

/**
 * BIRD 2. Reload is `birdc configure` (bird.service's ExecReload): unchanged sessions stay up, a changed
 * neighbour alone is restarted. BIRD runs as user bird, so the file is root:bird 0640 like Debian ships it.
 * Without gw.bgp the concern still learns table 220, ready for the first neighbour.
 */
export function birdConcern(gw: GatewayModel, ctx: RenderContext): Concern {
  return {
    name: "bird",
    packages: ["bird2"],
    files: [{ path: BIRD_CONF, content: renderBird(gw, ctx), mode: "0640", owner: "root:bird", validate: 'bird -p -c "$STAGED"' }],
    services: [
      {
        unit: "bird",
        onChange: "reload",
        direct: {
          running: "birdc show status",
          // systemd creates /run/bird (RuntimeDirectory); a lab host's private /run starts empty.
          start: `mkdir -p /run/bird && bird -c ${BIRD_CONF}`,
          reload: "birdc configure",
        },
      },
    ],
  };
}
