import { RenderContext } from "../model/context";
import { GatewayModel } from "../model/gateway";
import { isPrefix } from "../model/net";
import { NAME_RE } from "../model/names";

const IFNAME_RE = /^[A-Za-z0-9_=+.-]{1,15}$/;
const KEY_RE = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;
const ENDPOINT_RE = /^[A-Za-z0-9.:[\]-]+:\d{1,5}$/;

/** The WireGuard interface name, checked the way wg-quick checks it (it names the config file too). */
export function wgInterface(gw: GatewayModel): string {
  const name = gw.wireguard.interface;
  if (!IFNAME_RE.test(name)) throw new Error(`wireguard: interface name ${JSON.stringify(name)} is not one wg-quick accepts`);
  return name;
}

/** /etc/wireguard/<if>.conf */
export function wgConfigPath(gw: GatewayModel): string {
  return `/etc/wireguard/${wgInterface(gw)}.conf`;
}

/** /etc/wireguard/<if>.key: generated on the host, never leaves it. */
export function wgKeyPath(gw: GatewayModel): string {
  return `/etc/wireguard/${wgInterface(gw)}.key`;
}

/** A shell command printing the gateway's WireGuard public key (for client profiles). */
export function wireguardPublicKeyCommand(gw: GatewayModel): string {
  return `wg pubkey < ${wgKeyPath(gw)}`;
}

/** The gateway's address on the WireGuard subnet (10.8.0.1/24), checked to be a prefix. */
export function wgAddress(gw: GatewayModel): string {
  return prefixes([gw.wireguard.address]);
}

function checked(re: RegExp, what: string, value: string): string {
  if (!re.test(value)) throw new Error(`wireguard: ${what} ${JSON.stringify(value)} is malformed`);
  return value;
}

function prefixes(values: readonly string[]): string {
  for (const v of values) if (!isPrefix(v)) throw new Error(`wireguard: ${JSON.stringify(v)} is not an address prefix`);
  return values.join(", ");
}

function intIn(value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) throw new Error(`wireguard: ${value} is not an integer in ${min}..${max}`);
  return value;
}

/**
 * /etc/wireguard/<if>.conf for wg-quick. It holds no secret: PostUp loads the key that `prepare` generated on the
 * host, so the private key never reaches Pulumi state, a log or a command line.
 */
export function renderWireguard(gw: GatewayModel, _ctx: RenderContext): string {
  const wg = gw.wireguard;
  const lines = [
    "# managed by stage2: do not edit, every apply overwrites it",
    `# The private key stays on this host in ${wgKeyPath(gw)}; PostUp loads it.`,
    "[Interface]",
    `Address = ${wgAddress(gw)}`,
    `ListenPort = ${intIn(wg.listenPort, 1, 65535)}`,
    `MTU = ${intIn(wg.mtu, 1280, 9000)}`,
    `PostUp = wg set %i private-key ${wgKeyPath(gw)}`,
  ];
  for (const peer of wg.peers) {
    lines.push(
      "",
      "[Peer]",
      `# ${checked(NAME_RE, "peer name", peer.name)}`,
      `PublicKey = ${checked(KEY_RE, "public key", peer.publicKey)}`,
      `AllowedIPs = ${prefixes(peer.allowedIps)}`,
      ...(peer.endpoint !== undefined ? [`Endpoint = ${checked(ENDPOINT_RE, "endpoint", peer.endpoint)}`] : []),
      ...(peer.persistentKeepalive !== undefined ? [`PersistentKeepalive = ${intIn(peer.persistentKeepalive, 0, 65535)}`] : []),
    );
  }
  return lines.join("\n") + "\n";
}
