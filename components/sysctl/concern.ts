import { Concern } from "../host/types";
import { RenderContext } from "../model/context";
import { GatewayModel } from "../model/gateway";
import { renderSysctl } from "./render";

export const SYSCTL_CONF = "/etc/sysctl.d/60-stage2.conf";

/**
 * Rejects a file with a malformed line or a key the running kernel does not have (`sysctl -p` would apply the
 * good lines and only then fail on the bad one).
 */
export const SYSCTL_VALIDATE =
  'while read -r key eq value rest; do case "$key" in ""|"#"*) continue;; esac; ' +
  '[ "$eq" = "=" ] && [ -n "$value" ] && [ -z "$rest" ] || { echo "malformed line: $key $eq $value $rest"; exit 1; }; ' +
  '[ -e "/proc/sys/${key//.//}" ] || { echo "no such sysctl: $key"; exit 1; }; done < "$STAGED"';

/** Kernel settings: no daemon, `sysctl -p` makes them live at once and systemd-sysctl reapplies them at boot. */
export function sysctlConcern(gw: GatewayModel, ctx: RenderContext): Concern {
  return {
    name: "sysctl",
    packages: ["procps"],
    files: [{ path: SYSCTL_CONF, content: renderSysctl(gw, ctx), mode: "0644", validate: SYSCTL_VALIDATE }],
    services: [],
    activate: [`sysctl -q -p ${SYSCTL_CONF}`],
  };
}
