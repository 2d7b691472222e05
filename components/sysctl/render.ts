import { RenderContext } from "../model/context";
import { GatewayModel } from "../model/gateway";
import { usesIPv6 } from "../nftables/networks";

/** One sysctl setting and why the gateway needs it. */
export interface SysctlSetting {
  readonly key: string;
  readonly value: number;
  readonly why: string;
}

const KEY_RE = /^[a-z0-9_]+(\.[a-z0-9_]+)+$/;

/**
 * The kernel settings a forwarding IPsec/WireGuard gateway needs, in file order. Only `net.*` keys that exist
 * per network namespace, so the lab can apply the very same file inside its namespaces.
 */
export function sysctlSettings(gw: GatewayModel): SysctlSetting[] {
  const v6 = usesIPv6(gw);
  return [
    { key: "net.ipv4.ip_forward", value: 1, why: "Route between the tunnels (IPsec, WireGuard) and the private network." },
    ...(v6 ? [{ key: "net.ipv6.conf.all.forwarding", value: 1, why: "IPv6 too: a pool, tunnel or private network uses it." }] : []),
    { key: "net.ipv4.conf.all.send_redirects", value: 0, why: "Never send ICMP redirects: a tunnelled client cannot take the shorter path they advertise." },
    { key: "net.ipv4.conf.default.send_redirects", value: 0, why: "The same for interfaces created later (wg0, ipsec0)." },
    { key: "net.ipv4.conf.all.accept_redirects", value: 0, why: "Never obey redirects: a forged one could steer tunnel traffic around the firewall." },
    { key: "net.ipv4.conf.default.accept_redirects", value: 0, why: "The same for interfaces created later." },
    ...(v6
      ? [
          { key: "net.ipv6.conf.all.accept_redirects", value: 0, why: "The same for IPv6." },
          { key: "net.ipv6.conf.default.accept_redirects", value: 0, why: "The same for IPv6 interfaces created later." },
        ]
      : []),
    {
      key: "net.ipv4.conf.all.rp_filter",
      value: 2,
      why: "Loose reverse-path filter: replies to tunnel clients follow strongSwan's table 220 and decrypted packets arrive where no main-table route points back, which the strict filter (1) drops; the kernel uses max(all, interface).",
    },
    { key: "net.ipv4.conf.default.rp_filter", value: 2, why: "The same for interfaces created later." },
    { key: "net.ipv4.ip_no_pmtu_disc", value: 0, why: "Keep path MTU discovery on: ESP and WireGuard shrink the path MTU and senders must learn it." },
  ];
}

/** /etc/sysctl.d/60-stage2.conf, one `# why` line above each key. */
export function renderSysctl(gw: GatewayModel, _ctx: RenderContext): string {
  const lines = ["# managed by stage2: do not edit, every apply overwrites it"];
  for (const s of sysctlSettings(gw)) {
    if (!KEY_RE.test(s.key) || !Number.isInteger(s.value) || /[\r\n]/.test(s.why)) throw new Error(`sysctl: bad setting ${JSON.stringify(s)}`);
    lines.push(`# ${s.why}`, `${s.key} = ${s.value}`);
  }
  return lines.join("\n") + "\n";
}
