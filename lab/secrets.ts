import { randomBytes } from "crypto";
import { GatewayModel } from "../components/model/gateway";
import { swanctlSecretRefs } from "../components/strongswan/gateway-swanctl";
import { LabPki, PkiRequest } from "./pki";
import { certSans, certSubject, Topology } from "./topology";

/**
 * Every secret a lab run needs is made for the run, whatever the stack holds (`secure:` or plain): PSKs and EAP
 * passwords are random, certificate keys are those of the run's CA. The stack's own values are never read.
 */
export function labSecrets(
  gateways: readonly GatewayModel[],
  pki: LabPki | undefined,
  previous: Readonly<Record<string, string>> = {},
): Record<string, string> {
  const out: Record<string, string> = { ...previous };
  for (const gw of gateways) {
    for (const { ref } of swanctlSecretRefs(gw)) {
      const cert = pki?.gateways[ref];
      if (cert) out[ref] = cert.key;
      else if (out[ref] === undefined) out[ref] = randomBytes(24).toString("base64url");
    }
  }
  return out;
}

/** The certificates a stack's lab run needs: each gateway key's certificate (identities kept), each certificate client's. */
export function pkiRequest(gateways: readonly GatewayModel[], topo: Topology): PkiRequest {
  const seen = new Map<string, PkiRequest["gateways"][number]>();
  for (const gw of gateways) {
    for (const rw of gw.ipsec.roadWarriors) {
      if (rw.local.kind !== "pubkey" || seen.has(rw.local.keySecret)) continue;
      const sans = certSans(rw.local.cert);
      if (rw.local.id && !rw.local.id.includes("=") && !sans.includes(rw.local.id)) sans.push(rw.local.id);
      seen.set(rw.local.keySecret, { keySecret: rw.local.keySecret, subject: certSubject(rw.local.cert), sans });
    }
  }
  const clients = topo.clients.flatMap((c) => (c.auth.kind === "pubkey" ? [{ role: c.role, id: c.auth.id }] : []));
  return { gateways: [...seen.values()], clients };
}
