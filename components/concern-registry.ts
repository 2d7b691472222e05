import { Concern } from "./host/types";
import { GatewayModel } from "./model/gateway";
import { RenderContext } from "./model/context";
import { floatingIpHostConcern } from "./floating-ip-host/concern";
import { sysctlConcern } from "./sysctl/concern";
import { strongswanInstallConcern, swanctlConcern, swanctlSecretsConcern } from "./strongswan/concerns";
import { SecretValues } from "./strongswan/gateway-swanctl";
import { nftablesConcern } from "./nftables/concern";
import { birdConcern } from "./bird/concern";
import { wireguardConcern } from "./wireguard/concern";
import { metricsConcern } from "./metrics/concern";

export type ConcernName = "floating-ip" | "sysctl" | "nftables" | "strongswan-install" | "swanctl-secrets" | "swanctl" | "bird" | "wireguard" | "metrics";

export interface ConcernEntry {
  /** The concern's name: its apply script's, and (see concernResourceName) its remote command's. */
  readonly name: ConcernName;
  /** The concerns that must have converged first; each is listed earlier in CONCERNS. */
  readonly after: readonly ConcernName[];
  readonly build: (gw: GatewayModel, ctx: RenderContext, secrets: SecretValues) => Concern;
}

/**
 * Everything one gateway receives, in converge order: the address IKE binds must exist before charon loads
 * connections; forwarding and the firewall before tunnels carry traffic; BIRD after strongSwan fills table 220.
 * The one list: planGateway (labs, `stage2 render`) builds it in this order, Stage2Gateway makes one remote command
 * per entry waiting for its `after`, and the render manifest names the commands from it.
 */
export const CONCERNS: readonly ConcernEntry[] = [
  { name: "floating-ip", after: [], build: floatingIpHostConcern },
  { name: "sysctl", after: ["floating-ip"], build: sysctlConcern },
  { name: "nftables", after: ["sysctl"], build: nftablesConcern },
  { name: "strongswan-install", after: ["nftables"], build: strongswanInstallConcern },
  { name: "swanctl-secrets", after: ["strongswan-install"], build: swanctlSecretsConcern },
  { name: "swanctl", after: ["swanctl-secrets"], build: swanctlConcern },
  { name: "bird", after: ["swanctl"], build: birdConcern },
  { name: "wireguard", after: ["nftables"], build: wireguardConcern },
  { name: "metrics", after: ["bird"], build: metricsConcern },
];

/** The Pulumi name of a concern's remote command in the Stage2Gateway named `gateway`. */
export function concernResourceName(gateway: string, concern: ConcernName): string {
  return `${gateway}-${concern}`;
}

/** The Pulumi name of a gateway's Hetzner floating IP (the preview's mocks report its address by this name). */
export function floatingIpResourceName(gateway: string): string {
  return `${gateway}-fip`;
}

/** The registry's entry for a concern name. */
export function concernEntry(name: string): ConcernEntry {
  const entry = CONCERNS.find((c) => c.name === name);
  if (!entry) throw new Error(`no concern named ${JSON.stringify(name)}`);
  return entry;
}
