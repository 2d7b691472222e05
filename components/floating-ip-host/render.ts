import { RenderContext } from "../model/context";
import { GatewayModel } from "../model/gateway";
import { isIPv4 } from "../model/net";

const IFNAME_RE = /^[A-Za-z0-9_.-]{1,15}$/;

/**
 * The ifupdown alias that carries the floating IP ("eth0:1", Hetzner's documented form). Labels share the
 * 15-character limit of interface names.
 */
export function floatingIpLabel(gw: GatewayModel): string {
  const label = `${gw.publicInterface}:1`;
  if (!IFNAME_RE.test(gw.publicInterface) || label.length > 15) {
    throw new Error(`floating IP: interface ${JSON.stringify(gw.publicInterface)} leaves no room for the label ${JSON.stringify(label)}`);
  }
  return label;
}

export function floatingIpAddress(ctx: RenderContext): string {
  if (!isIPv4(ctx.floatingIp)) throw new Error(`floating IP: ${JSON.stringify(ctx.floatingIp)} is not an IPv4 address`);
  return ctx.floatingIp;
}

/**
 * /etc/network/interfaces.d/60-stage2-floating-ip: the floating IP as a /32 on the public interface, so it
 * survives reboots. Without it the kernel drops the IKE packets sent to the floating IP.
 */
export function renderFloatingIpHost(gw: GatewayModel, ctx: RenderContext): string {
  const label = floatingIpLabel(gw);
  return (
    [
      "# managed by stage2: do not edit, every apply overwrites it",
      "# The floating IP must sit on the public interface, or the kernel drops the IKE packets sent to it.",
      `auto ${label}`,
      `iface ${label} inet static`,
      `\taddress ${floatingIpAddress(ctx)}/32`,
    ].join("\n") + "\n"
  );
}
