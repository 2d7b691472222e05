import { GatewayModel } from "../components/model/gateway";
import { LabPki } from "./pki";

/**
 * The lab's only changes to a stack's gateway, made per run (listed in docs/lab.md): the SSH host key is the one
 * generated for the gateway namespace's sshd; WireGuard peers' public keys are those of the lab's peers; gateway
 * certificates are issued by the run's CA (same identities) and certificate clients' CA and CRL are that CA's; the dataplane
 * is strongSwan's userspace ESP (this machine's kernel has no ESP; the kernel lab's VM keeps the kernel's). Nothing else
 * differs from what production renders.
 */
export interface LabOverrides {
  readonly hostKey: string;
  /** By WireGuard peer name. */
  readonly wgKeys: Readonly<Record<string, string>>;
}

export function applyLabOverrides(gw: GatewayModel, o: LabOverrides, pki?: LabPki, dataplane: GatewayModel["ipsec"]["dataplane"] = "libipsec"): GatewayModel {
  return {
    ...gw,
    server: { ...gw.server, hostKey: o.hostKey },
    ipsec: {
      ...gw.ipsec,
      dataplane,
      roadWarriors: gw.ipsec.roadWarriors.map((rw) => {
        const local = rw.local.kind === "pubkey" && pki?.gateways[rw.local.keySecret] ? { ...rw.local, cert: pki.gateways[rw.local.keySecret].cert } : rw.local;
        const clients = rw.clients.kind === "pubkey" && pki ? { ...rw.clients, ca: pki.caCert, crl: pki.crl } : rw.clients;
        return { ...rw, local, clients };
      }),
    },
    wireguard: { ...gw.wireguard, peers: gw.wireguard.peers.map((p) => (o.wgKeys[p.name] ? { ...p, publicKey: o.wgKeys[p.name] } : p)) },
  };
}

/** The gateway with one more road-warrior class: a copy of its first class with `rw`'s fields (a customer added). */
export function withRoadWarrior(gw: GatewayModel, rw: Partial<GatewayModel["ipsec"]["roadWarriors"][number]>): GatewayModel {
  return { ...gw, ipsec: { ...gw.ipsec, roadWarriors: [...gw.ipsec.roadWarriors, { ...gw.ipsec.roadWarriors[0], ...rw }] } };
}
