import { GatewayModel } from "../model/gateway";
import { renderSettings, section, SettingsSection } from "./settings";

export const STRONGSWAN_DROP_IN = "/etc/strongswan.d/stage2.conf";

/** The libipsec TUN device: decrypted packets from the userspace dataplane arrive here (they carry no secpath). */
export const LIBIPSEC_DEVICE = "ipsec0";

/** strongSwan's routing table (charon.routing_table); kernel-libipsec puts its routes there too, BIRD learns it. */
export const IPSEC_ROUTING_TABLE = 220;

function levels(gw: GatewayModel): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [subsystem, level] of Object.entries(gw.ipsec.log)) if (level !== undefined) out[subsystem] = level;
  return out;
}

/**
 * A strongswan.d drop-in: log levels ("turn up the volume") and the IPsec dataplane.
 * /etc/strongswan.conf includes strongswan.d/*.conf after Debian's plugin files, so these values win.
 */
export function renderStrongswanDropIn(gw: GatewayModel): string {
  const libipsec = gw.ipsec.dataplane === "libipsec";
  const logLevels = section(levels(gw));
  const charon: Record<string, SettingsSection | string | number | boolean | undefined> = {
    // Routes for negotiated tunnels go to table 220, which BIRD learns and exports over BGP.
    routing_table: IPSEC_ROUTING_TABLE,
    routing_table_prio: IPSEC_ROUTING_TABLE,
    // IKE never uses the WireGuard interface: its address is not even offered to MOBIKE clients as another way
    // in. Read when charon starts.
    interfaces_ignore: gw.wireguard.interface,
    plugins: section({
      // kernel-libipsec: ESP in userspace on a TUN device, for kernels without ESP (the namespace lab).
      "kernel-libipsec": section({ load: libipsec }),
    }),
    // flush_line: a refusal's last line is in the file when someone reads it, not in charon's buffer until more is logged.
    filelog: gw.ipsec.logFile
      ? section({
          stage2: section({ path: gw.ipsec.logFile, time_format: "%b %e %T", ike_name: true, append: true, flush_line: true, ...levels(gw) }),
        })
      : undefined,
  };
  return renderSettings(
    section({
      charon: section(charon),
      "charon-systemd": section({ journal: logLevels }),
    }),
  );
}
