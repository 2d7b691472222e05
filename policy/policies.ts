import type { Policies } from "@pulumi/policy";
import { Check, notesPolicy, toPolicy } from "./rules/check";
import { legacyStarterEnabled, missingMssClamp, roadWarriorWithoutDpd, startActionStart, weakCrypto } from "./rules/advisories";
import { clientCompatibility } from "./rules/client-compatibility";
import { floatingIpOnHost } from "./rules/floating-ip-on-host";
import { gatewayCommandsReadable } from "./rules/gateway-commands-readable";
import { wireguardClosedToInternet } from "./rules/wireguard-closed-to-internet";
import { ipsecBindsFloatingIp } from "./rules/ipsec-binds-floating-ip";
import { ipsecForwardDecryptedOnly } from "./rules/ipsec-forward-decrypted-only";
import { ipsecNotOverWireguard } from "./rules/ipsec-not-over-wireguard";
import { secretsStaySecret } from "./rules/secrets-stay-secret";
import { sshHostKeyPinned } from "./rules/ssh-host-key-pinned";

/** The gateway's invariants, in report order: mandatory first, then advisory. */
export const checks: readonly Check[] = [
  ipsecBindsFloatingIp,
  ipsecNotOverWireguard,
  ipsecForwardDecryptedOnly,
  secretsStaySecret,
  sshHostKeyPinned,
  floatingIpOnHost,
  wireguardClosedToInternet,
  gatewayCommandsReadable,
  weakCrypto,
  startActionStart,
  roadWarriorWithoutDpd,
  missingMssClamp,
  legacyStarterEnabled,
  clientCompatibility,
];

/**
 * The policies as a plain array: `policy/index.ts` hands it to `new PolicyPack` (which starts a gRPC server, so
 * it is never built in tests), and the offline runner calls the very same functions.
 */
export const policies: Policies = [...checks.map(toPolicy), notesPolicy(checks)];
