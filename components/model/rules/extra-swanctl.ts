import type { GatewayModel, Problem } from "../gateway";
import { spansOverlap } from "../net";
import { gatewaySwanctlTree } from "../../strongswan/gateway-swanctl";
import { isDocSection, readDocument, type DocValue, type SwanctlDocument } from "../../strongswan/swanctl/document";

const items = (v: DocValue | undefined): string[] =>
  v === undefined || isDocSection(v)
    ? []
    : Array.isArray(v)
      ? v.map(String)
      : String(v)
          .split(",")
          .map((s) => s.trim());
const sections = (v: DocValue | undefined): [string, SwanctlDocument][] =>
  isDocSection(v) ? Object.entries(v).filter((e): e is [string, SwanctlDocument] => isDocSection(e[1])) : [];

/**
 * `ipsec.extraSwanctl` laid over what stage2 renders, checked with the model's rules: every connection binds the
 * floating IP only, and no pool, peer address or traffic selector lands in WireGuard's ranges, the private network
 * or another connection's pool. Only what extraSwanctl sets is reported (the rendered part answers to the model).
 */
export function checkMergedSwanctl(gw: GatewayModel): Problem[] {
  const extra = gw.ipsec.extraSwanctl as SwanctlDocument | undefined;
  if (!extra || Object.keys(extra).length === 0) return [];
  const problems: Problem[] = [];
  const fip = gw.floatingIp.address;
  const merged = readDocument(gatewaySwanctlTree(gw, { floatingIp: fip ?? "0.0.0.0" })).document;
  const inExtra = (path: string[]): boolean =>
    path.reduce<DocValue | undefined>((v, k) => (v !== undefined && isDocSection(v) ? v[k] : undefined), extra) !== undefined;
  const at = (path: string[]) => `ipsec.extraSwanctl.${path.join(".")}`;
  const wgRanges = [gw.wireguard.address, ...gw.wireguard.peers.flatMap((p) => p.allowedIps)];
  const inWireguard = (addr: string) => wgRanges.some((r) => spansOverlap(r, addr));
  const pools = sections(merged.pools).map(([name, pool]) => ({ name, addrs: items(pool.addrs) }));
  const bindFip = `must be exactly the floating IP${fip ? ` [${fip}]` : " (set floatingIp.address)"}: IKE binds the floating IP only`;

  for (const [name, conn] of sections(merged.connections)) {
    const path = ["connections", name];
    const local = items(conn.local_addrs);
    if (local.length === 0) {
      problems.push({ path: at(path), message: `adds a connection without local_addrs: it ${bindFip}; set local_addrs` });
    } else if (inExtra([...path, "local_addrs"]) && (fip === undefined || local.length !== 1 || local[0] !== fip)) {
      problems.push({ path: at([...path, "local_addrs"]), message: `${bindFip}; leave it out`, value: conn.local_addrs });
    }
    if (inExtra([...path, "remote_addrs"])) {
      for (const addr of items(conn.remote_addrs).filter(inWireguard)) {
        problems.push({ path: at([...path, "remote_addrs"]), message: "is inside the WireGuard subnet: IPsec must not run over WireGuard", value: addr });
      }
    }
    const own = items(conn.pools);
    for (const [child, body] of sections(conn.children)) {
      for (const key of ["local_ts", "remote_ts"]) {
        const tsPath = [...path, "children", child, key];
        if (!inExtra(tsPath)) continue;
        for (const ts of items(body[key])) {
          if (inWireguard(ts)) problems.push({ path: at(tsPath), message: "overlaps the WireGuard subnet or a WireGuard peer's allowedIps", value: ts });
          if (key !== "remote_ts") continue;
          for (const pool of pools.filter((p) => !own.includes(p.name) && p.addrs.some((a) => spansOverlap(a, ts)))) {
            problems.push({ path: at(tsPath), message: `overlaps the road-warrior pool ${pool.name} (${pool.addrs.join(",")})`, value: ts });
          }
        }
      }
    }
  }
  pools.forEach((pool, i) => {
    const path = ["pools", pool.name, "addrs"];
    if (!inExtra(path)) return;
    for (const addr of pool.addrs) {
      if (inWireguard(addr))
        problems.push({ path: at(path), message: `overlaps the WireGuard subnet ${gw.wireguard.address} or a peer's allowedIps`, value: addr });
      for (const n of gw.private.networks.filter((n) => spansOverlap(n, addr))) {
        problems.push({ path: at(path), message: `overlaps the private network ${n}`, value: addr });
      }
      for (const other of pools.filter((o, j) => j !== i && o.addrs.some((a) => spansOverlap(a, addr)))) {
        problems.push({ path: at(path), message: `overlaps the pool ${other.name} (${other.addrs.join(",")})`, value: addr });
      }
    }
  });
  return problems;
}

/** The pools extraSwanctl sets (new or changed), with their paths, for the rules across gateways. */
export function extraPools(gw: GatewayModel): { cidr: string; path: string }[] {
  const extra = gw.ipsec.extraSwanctl as SwanctlDocument | undefined;
  return sections(extra?.pools).flatMap(([name, pool]) => items(pool.addrs).map((cidr) => ({ cidr, path: `ipsec.extraSwanctl.pools.${name}.addrs` })));
}
