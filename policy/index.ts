import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies";

// `pulumi preview --policy-pack policy` runs this file; `stage2 policy` runs the same array offline.
new PolicyPack("stage2-gateway", {
  description: "stage2 VPN gateway invariants: IKE on the floating IP, IPsec apart from WireGuard, decrypted-only forwarding, secrets, pinned SSH host keys.",
  policies,
});
