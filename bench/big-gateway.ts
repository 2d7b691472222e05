import * as YAML from "yaml";
import { loadStackFile, stackFilePath } from "../stacks/load";

/** The size of one generated gateway: site-to-site peers, road-warrior classes and EAP users spread over them. */
export interface GatewaySize {
  readonly sites: number;
  readonly classes: number;
  readonly users: number;
}

/** The big gateway: 1,000 sites, 50 road-warrior classes, 10,000 EAP-MSCHAPv2 users. */
export const BIG: GatewaySize = { sites: 1000, classes: 50, users: 10_000 };

/** The same shape at `sites` sites: one class per 20 sites and 10 users per site, as in BIG. */
export const scaledSize = (sites: number): GatewaySize => ({ sites, classes: Math.max(1, Math.floor(sites / 20)), users: sites * 10 });

const pad = (n: number, width: number) => String(n).padStart(width, "0");
export const siteName = (i: number): string => `site-${pad(i + 1, 4)}`;
export const className = (c: number): string => `rw-${pad(c + 1, 2)}`;

/**
 * One gateway of the given size, derived from the dev stack's gateway: its server, keys and certificate, with
 * `classes` road-warrior classes (pool 10.64.<c>.0/24 each, EAP-MSCHAPv2 users dealt round-robin) and `sites`
 * PSK site peers (172.16.0.0/14 split into /24s). Every user and site has its own secret config key.
 */
export function bigGatewayStack(size: GatewaySize): { config: Record<string, unknown>; secureKeys: string[] } {
  if (size.classes < 1 || size.classes > 256 || size.sites > 1024 || size.users < size.classes) throw new Error(`unsupported size ${JSON.stringify(size)}`);
  const dev = loadStackFile(stackFilePath("dev"));
  const template = (dev.config.gateways as Record<string, any>[])[0];
  const devRw = template.ipsec.roadWarriors[0];
  const devSite = template.ipsec.sites[0];
  const secureKeys = ["sshPrivateKey", devRw.local.keySecret];
  const users: { id: string; passwordSecret: string }[][] = Array.from({ length: size.classes }, () => []);
  for (let u = 0; u < size.users; u++) {
    const c = u % size.classes;
    const ref = `eap-${className(c)}-${pad(u + 1, 5)}`;
    users[c].push({ id: `user-${pad(u + 1, 5)}@${className(c)}.example`, passwordSecret: ref });
    secureKeys.push(ref);
  }
  const roadWarriors = users.map((clients, c) => ({
    name: className(c),
    pool: `10.64.${c}.0/24`,
    local: devRw.local,
    clients: { kind: "eap-mschapv2", users: clients },
    dns: devRw.dns,
  }));
  const sites = Array.from({ length: size.sites }, (_, i) => {
    const name = siteName(i);
    secureKeys.push(`psk-${name}`);
    return {
      name,
      remoteAddrs: [`100.64.${Math.floor(i / 250)}.${(i % 250) + 1}`],
      remoteTs: [`172.${16 + Math.floor(i / 256)}.${i % 256}.0/24`],
      localTs: devSite.localTs,
      auth: { kind: "psk", secret: `psk-${name}`, remoteId: `${name}.example` },
    };
  });
  const gateway = { ...template, name: "gw-big", ipsec: { ...template.ipsec, roadWarriors, sites } };
  return { config: { gateways: [gateway] }, secureKeys };
}

/** The stack as a Pulumi.<env>.yaml would hold it: plain config under `stage2:`, every secret as `secure:`. */
export function stackYaml(stack: { config: Record<string, unknown>; secureKeys: string[] }): string {
  const doc: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(stack.config)) doc[`stage2:${k}`] = v;
  for (const k of stack.secureKeys) doc[`stage2:${k}`] = { secure: "v1:REPLACE-ME:generated-by-bench" };
  return YAML.stringify({ config: doc }, { lineWidth: 0, aliasDuplicateObjects: false });
}
