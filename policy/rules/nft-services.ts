import { HookView, valuesOf } from "../nft/paths";
import { Match } from "../nft/rule";

/** Whether a rule's matches admit a UDP port or an IP protocol, read from nft's many spellings. */

const SERVICE_PORTS: Record<string, number> = { isakmp: 500, "ipsec-nat-t": 4500 };
const PROTOCOLS: Record<string, number> = { esp: 50, ah: 51, udp: 17, tcp: 6 };

function portCovers(value: string, port: number): boolean {
  const named = SERVICE_PORTS[value];
  if (named !== undefined) return named === port;
  const range = /^(\d+)-(\d+)$/.exec(value);
  if (range) return Number(range[1]) <= port && port <= Number(range[2]);
  return /^\d+$/.test(value) && Number(value) === port;
}

const protoIs = (value: string, proto: number): boolean => (PROTOCOLS[value] ?? (/^\d+$/.test(value) ? Number(value) : -1)) === proto;

export function admitsUdpPort(matches: readonly Match[], port: number): boolean {
  const udp = valuesOf(matches, "udp dport");
  if (udp) return udp.some((v) => portCovers(v, port));
  const th = valuesOf(matches, "th dport");
  const l4 = valuesOf(matches, "meta l4proto") ?? valuesOf(matches, "ip protocol");
  if (th) return th.some((v) => portCovers(v, port)) && (!l4 || l4.some((v) => protoIs(v, 17)));
  return false;
}

export function admitsProtocol(matches: readonly Match[], proto: number): boolean {
  const l4 = valuesOf(matches, "meta l4proto") ?? valuesOf(matches, "ip protocol");
  return !!l4 && l4.some((v) => protoIs(v, proto));
}

/** The input interfaces a path is limited to, or undefined when it matches every interface. */
export const inputInterfaces = (matches: readonly Match[]): string[] | undefined => valuesOf(matches, "iifname") ?? valuesOf(matches, "iif");

/** Accept paths in the chains that decide (policy drop), or all paths when nothing drops by default. */
export function decidingAccepts(view: HookView): HookView["accepts"] {
  if (view.defaultAccept) return view.accepts;
  return view.accepts.filter((p) => p.chain.policy === "drop" || !view.baseChains.some((b) => b.chain === p.chain));
}
