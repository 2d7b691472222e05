import { Check } from "../types";
import { certificatesCheck } from "./certificates";
import { driftCheck } from "./drift";
import { errorsCheck } from "./errors";
import { firewallCheck } from "./firewall";
import { ikeBindingCheck } from "./ike-binding";
import { mtuCheck } from "./mtu";
import { unitsCheck } from "./units";
import { wireguardCheck } from "./wireguard";

/** Every check doctor runs, in the order findings are printed: the one list (the CLI, the labs' check, tests). */
export const CHECKS: readonly Check[] = [unitsCheck, driftCheck, ikeBindingCheck, firewallCheck, wireguardCheck, errorsCheck, certificatesCheck, mtuCheck];
