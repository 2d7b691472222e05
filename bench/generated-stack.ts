import { loadStackFile, stackFilePath } from "../stacks/load";

/**
 * A stack of `count` gateways derived from the dev stack: distinct names, servers, floating IPs, pools and
 * WireGuard subnets, so every cross-gateway rule holds and each gateway renders its own files.
 */
export function generatedStack(count: number): { config: Record<string, unknown>; secureKeys: string[] } {
  if (count < 1 || count > 250) throw new Error("1..250 gateways");
  const dev = loadStackFile(stackFilePath("dev"));
  const template = (dev.config.gateways as Record<string, any>[])[0];
  const gateways = Array.from({ length: count }, (_, i) => {
    const gw = JSON.parse(JSON.stringify(template));
    gw.name = `gw-${String(i + 1).padStart(3, "0")}`;
    gw.server.id = 50_000_000 + i;
    gw.server.ipv4 = `203.0.113.${i + 1}`;
    gw.floatingIp = { location: gw.floatingIp.location, address: `198.51.100.${i + 1}`, id: 2_000_000 + i };
    gw.private.address = `10.0.${2 + Math.floor(i / 200)}.${(i % 200) + 10}/16`;
    gw.ipsec.roadWarriors[0].pool = `10.3.${i}.0/24`;
    gw.wireguard.address = `10.8.${i}.1/24`;
    gw.wireguard.peers = gw.wireguard.peers.map((p: Record<string, unknown>) => ({ ...p, allowedIps: [`10.8.${i}.10/32`] }));
    return gw;
  });
  return { config: { ...dev.config, gateways }, secureKeys: dev.secureKeys };
}
