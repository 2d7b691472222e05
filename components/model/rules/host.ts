import type { GatewayModel, Problem } from "../gateway";

/** Kernel names of physical NICs (eth0, enp7s0, ens3, eno1, wlp2s0, wwan0) and the loopback. */
const NIC_RE = /^(lo|eth\d+|en[opsx].*|wl[opsx].*|ww[ap].*|ib\d+)$/;
/** IKE's ports: charon owns them on the public interface. */
const IKE_PORTS = [500, 4500];
export const LOG_DIR = "/var/log/";

/** Interfaces, ports and paths on the gateway host that would hand one service's traffic or files to another. */
export function checkHost(gw: GatewayModel): Problem[] {
  const problems: Problem[] = [];
  const pub = gw.publicInterface;
  if (gw.private.interface === pub) {
    problems.push({
      path: "private.interface",
      message: `must differ from publicInterface (${pub}): the firewall tells the private network from the internet by interface`,
      value: gw.private.interface,
    });
  }
  const wg = gw.wireguard.interface;
  if (wg === pub || wg === gw.private.interface) {
    const which = wg === pub ? `publicInterface (${pub})` : `private.interface (${gw.private.interface})`;
    problems.push({ path: "wireguard.interface", message: `must differ from ${which}: it names the WireGuard device stage2 creates`, value: wg });
  } else if (NIC_RE.test(wg)) {
    problems.push({ path: "wireguard.interface", message: "names a network card or the loopback, not a WireGuard device (use e.g. wg0)", value: wg });
  }
  if (IKE_PORTS.includes(gw.wireguard.listenPort)) {
    problems.push({ path: "wireguard.listenPort", message: "is one of IKE's ports (500, 4500), which charon owns", value: gw.wireguard.listenPort });
  }
  gw.wireguard.peers.forEach((peer, i) => {
    if (peer.endpoint === undefined) return;
    const port = Number(peer.endpoint.slice(peer.endpoint.lastIndexOf(":") + 1));
    if (port < 1 || port > 65535) {
      problems.push({ path: `wireguard.peers[${i}].endpoint`, message: "port must be 1-65535", value: peer.endpoint });
    }
  });
  const log = gw.ipsec.logFile;
  if (log !== undefined && (!log.startsWith(LOG_DIR) || log.split("/").some((part, i) => i > 0 && (part === "" || part === "." || part === "..")))) {
    problems.push({ path: "ipsec.logFile", message: `must be a file under ${LOG_DIR} (no '.', '..' or empty path segments)`, value: log });
  }
  return problems;
}
