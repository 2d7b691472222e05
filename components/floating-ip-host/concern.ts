import { STATE_ROOT } from "../host/apply-script";
import { Concern } from "../host/types";
import { RenderContext } from "../model/context";
import { GatewayModel } from "../model/gateway";
import { floatingIpLabel, renderFloatingIpHost } from "./render";

export const FLOATING_IP_FILE = "/etc/network/interfaces.d/60-stage2-floating-ip";

/** Every label a file of this concern has named on this host, one a line: where an address of ours may be left. */
export const FLOATING_IP_LABELS = `${STATE_ROOT}/floating-ip/labels`;

const fileField = (field: string, file: string): string => `awk '$1 == "${field}" { print $2; exit }' ${file} 2>/dev/null`;

/**
 * Before the swap: records the label the file on disk names (a host converged before the record existed), so
 * activation can clear it once the interface changes.
 */
export function floatingIpPrepare(file: string): string[] {
  return [
    `l=$(${fileField("iface", file)}) || l=""; [ -z "$l" ] || grep -qxF "$l" ${FLOATING_IP_LABELS} 2>/dev/null || printf '%s\\n' "$l" >> ${FLOATING_IP_LABELS}`,
  ];
}

/**
 * Makes the file's label (on the interface it names) carry exactly the file's address, and every other label in
 * the record carry none, or nothing when there is no file. Derived from the file on disk, not from this render:
 * re-activating after a rollback put the previous file back restores the previous address on the previous
 * interface (and removes what this change added). The label is recorded before its address is added, so a run
 * killed in between leaves nothing the next activation does not know of.
 */
export function floatingIpActivate(file: string): string[] {
  const rec = FLOATING_IP_LABELS;
  return [
    `fip=$(${fileField("address", file)}) || fip=""; label=$(${fileField("iface", file)}) || label=""`,
    `if [ -n "$fip" ] && [ -n "$label" ]; then grep -qxF "$label" ${rec} 2>/dev/null || printf '%s\\n' "$label" >> ${rec}; ip -4 address replace "$fip" dev "\${label%%:*}" label "$label"; fi`,
    `{ cat ${rec} 2>/dev/null || true; [ -z "$label" ] || printf '%s\\n' "$label"; } | sort -u | while read -r l; do ip -4 -o address show label "$l" | awk -v l="$l" -v keep="$label $fip" 'l " " $4 != keep { print $4, $2 }' | while read -r a d; do ip address del "$a" dev "$d"; done; done`,
    `if [ -n "$label" ]; then printf '%s\\n' "$label" > ${rec}.tmp && mv -f ${rec}.tmp ${rec}; else rm -f ${rec}; fi`,
  ];
}

/**
 * The floating IP's address on the host. No service: restarting networking would drop every connection, so
 * activation adds the /32 directly (idempotent) and removes a previous floating IP left on any label it used.
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
    prepare: floatingIpPrepare(FLOATING_IP_FILE),
    activate: floatingIpActivate(FLOATING_IP_FILE),
  };
}
