import { Check } from "./check";

export const gatewayCommandsReadable: Check = {
  name: "gateway-commands-readable",
  description:
    "Every command that touches a gateway's IPsec, firewall, routing or secrets does so in a way the pack can read: files written whole, loaded by commands it knows; anything else is reported, never passed.",
  enforcementLevel: "mandatory",
  why:
    "A gate that cannot read something must not pass it. An in-place edit, a file built at run time, an include of a file the stack does not write, " +
    "a live `nft`/`ip route` change or an nft construct the reader cannot evaluate would each let a violation through unseen.",
  check: (view) => view.unreadable,
};
