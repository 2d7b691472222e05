import { GatewayModel } from "../components/model/gateway";

/**
 * The lab's only changes to a stack's gateway, made per run (listed in docs/lab.md): the SSH host key is
 * the one generated for the gw namespace's sshd, the first WireGuard peer's public key is the one of the
 * wgpeer the lab creates, and a gateway certificate (EAP road warriors) is the one the lab issued. Nothing
 * else differs from what production renders.
 */
export interface LabOverrides {
  readonly hostKey: string;
  readonly wgpeerPublicKey?: string;
  /** The certificate the lab issued for the first road warrior's gateway identity (when it is pubkey). */
  readonly gatewayCert?: string;
}

export function applyLabOverrides(gw: GatewayModel, o: LabOverrides): GatewayModel {
  const cert = o.gatewayCert;
  return {
    ...gw,
    server: { ...gw.server, hostKey: o.hostKey },
    ipsec: {
      ...gw.ipsec,
      roadWarriors: gw.ipsec.roadWarriors.map((rw, i) => (i === 0 && cert && rw.local.kind === "pubkey" ? { ...rw, local: { ...rw.local, cert } } : rw)),
    },
    wireguard: {
      ...gw.wireguard,
      peers: gw.wireguard.peers.map((p, i) => (i === 0 && o.wgpeerPublicKey ? { ...p, publicKey: o.wgpeerPublicKey } : p)),
    },
  };
}
