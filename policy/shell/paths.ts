/** What part of a gateway a path on the host belongs to: the policies' domains. */
export type Domain = "IPsec" | "firewall" | "routing" | "WireGuard" | "secrets" | "code run later" | "the host's configuration";

// First match wins: secrets and code run later before the directories that hold them.
const DOMAINS: readonly [RegExp, Domain][] = [
  [
    /^\/etc\/swanctl\/(private|rsa|ecdsa|pkcs8|pkcs12|bliss)(\/|$)|^\/etc\/ipsec\.secrets$|^\/etc\/ipsec\.d\/private(\/|$)|^\/etc\/wireguard\/[^/]*\.key(\.|$)|^\/root\/\.ssh(\/|$)|^\/etc\/ssh(\/|$)/,
    "secrets",
  ],
  [
    /^\/etc\/(systemd\/system|cron\.[a-z]+|crontab|rc\.local|network\/if-[a-z-]+\.d|networkd-dispatcher|NetworkManager\/dispatcher\.d|profile\.d)(\/|$)|^\/(usr\/)?lib\/systemd\/system(\/|$)|^\/var\/spool\/cron(\/|$)/,
    "code run later",
  ],
  [/^\/etc\/(swanctl|strongswan\.d|ipsec\.d|strongswan\.conf|ipsec\.conf)(\/|$)/, "IPsec"],
  [/^\/etc\/(nftables\.conf|nftables\.d|nftables|iptables|ufw|firewalld)(\/|$)/, "firewall"],
  [/^\/etc\/wireguard(\/|$)/, "WireGuard"],
  [/^\/etc\/(network|netplan|systemd\/network|bird|bird\.conf|iproute2|sysctl\.conf|sysctl\.d)(\/|$)/, "routing"],
];

/** Directories that hold some of the above: writing into them wholesale (`cp -r x /etc`) reaches every domain. */
const ANCESTORS = new Set(["/", "/etc", "/etc/systemd", "/usr", "/usr/lib", "/lib", "/root", "/var", "/var/spool"]);

/** The domain of a path (a glob counts by the part before its first wildcard), or undefined when it holds none. */
export function domainOf(path: string): Domain | undefined {
  const fixed = path.replace(/[*?[].*$/, "");
  const trimmed = fixed.length > 1 ? fixed.replace(/\/+$/, "") : fixed;
  if (ANCESTORS.has(trimmed)) return "the host's configuration";
  return DOMAINS.find(([re]) => re.test(trimmed) || re.test(`${trimmed}/`))?.[1];
}

export function globMatch(pattern: string, path: string): boolean {
  const re = pattern
    .replace(/[.+^${}()|\\]/g, "\\$&")
    .replace(/\*/g, "[^/]*")
    .replace(/\?/g, "[^/]");
  return new RegExp(`^${re}$`).test(path);
}

export const isGlob = (path: string): boolean => /[*?[]/.test(path);

/** An include's pattern made absolute against the including file's directory (or `base`). */
export const absoluteFrom = (base: string, pattern: string): string => (pattern.startsWith("/") ? pattern : `${base.replace(/\/+$/, "")}/${pattern}`);
