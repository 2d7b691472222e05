import { GatewayModel } from "../components/model/gateway";

/**
 * The lab's only changes to a stack's gateway, made per run (listed in docs/lab.md): the SSH host key is
 * the one generated for the gw namespace's sshd, and the first WireGuard peer's public key is the one of
 * the wgpeer the lab creates. Nothing else differs from what production renders.
 */
export interface LabOverrides {
  readonly hostKey: string;
  readonly wgpeerPublicKey?: string;
}

export function applyLabOverrides(gw: GatewayModel, o: LabOverrides): GatewayModel {
  return {
    ...gw,
    server: { ...gw.server, hostKey: o.hostKey },
    wireguard: {
      ...gw.wireguard,
      peers: gw.wireguard.peers.map((p, i) => (i === 0 && o.wgpeerPublicKey ? { ...p, publicKey: o.wgpeerPublicKey } : p)),
    },
  };
}
