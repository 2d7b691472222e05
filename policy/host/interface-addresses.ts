/**
 * Addresses a host configures persistently on its interfaces, read from the network configuration files
 * the usual tools own: ifupdown (/etc/network/interfaces[.d]), netplan and systemd-networkd.
 */
export interface ConfiguredAddress {
  readonly address: string;
  /** Prefix length when written ("/32" or `netmask 255.255.255.255`). */
  readonly prefix?: number;
  readonly path: string;
}

export function isNetworkConfigPath(path: string): boolean {
  return (
    path === "/etc/network/interfaces" ||
    path.startsWith("/etc/network/interfaces.d/") ||
    (path.startsWith("/etc/netplan/") && /\.ya?ml$/.test(path)) ||
    (path.startsWith("/etc/systemd/network/") && path.endsWith(".network"))
  );
}

const V4 = String.raw`(\d{1,3}(?:\.\d{1,3}){3})(?:/(\d{1,2}))?`;
const LINE_RES = [
  new RegExp(String.raw`^\s*address\s+${V4}\s*$`),
  new RegExp(String.raw`^\s*Address\s*=\s*${V4}\s*$`),
  new RegExp(String.raw`^\s*-\s*"?${V4}"?\s*$`),
  new RegExp(String.raw`\bip\s+(?:-4\s+)?a(?:ddr(?:ess)?)?\s+(?:add|replace)\s+${V4}\b`),
];
const NETMASK_RE = /^\s*netmask\s+(\d{1,2}|255\.255\.255\.255)\s*$/;

export function configuredAddresses(path: string, text: string): ConfiguredAddress[] {
  const out: { address: string; prefix?: number; path: string }[] = [];
  for (const line of text.split("\n")) {
    if (/^\s*#/.test(line)) continue;
    const mask = NETMASK_RE.exec(line);
    if (mask && out.length > 0 && out[out.length - 1].prefix === undefined) {
      out[out.length - 1].prefix = mask[1] === "255.255.255.255" ? 32 : Number(mask[1]);
      continue;
    }
    for (const re of LINE_RES) {
      const m = re.exec(line);
      if (m) {
        out.push({ address: m[1], prefix: m[2] === undefined ? undefined : Number(m[2]), path });
        break;
      }
    }
  }
  return out;
}
