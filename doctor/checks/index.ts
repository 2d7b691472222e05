import { Check } from "../types";
import { birdCheck } from "./bird";
import { capacityCheck } from "./capacity";
import { certificatesCheck } from "./certificates";
import { connectionsCheck } from "./connections";
import { driftCheck } from "./drift";
import { errorsCheck } from "./errors";
import { firewallCheck } from "./firewall";
import { ikeBindingCheck } from "./ike-binding";
import { mtuCheck } from "./mtu";
import { unitsCheck } from "./units";
import { wireguardCheck } from "./wireguard";

/** Every check doctor runs, in the order findings are printed: the one list (the CLI, the labs' check, tests). */
export const CHECKS: readonly Check[] = [
  unitsCheck,
  driftCheck,
  ikeBindingCheck,
  connectionsCheck,
  birdCheck,
  firewallCheck,
  wireguardCheck,
  errorsCheck,
  capacityCheck,
  certificatesCheck,
  mtuCheck,
];
