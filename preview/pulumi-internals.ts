// The SDK's wire format helpers, needed to see which inputs are secret; not re-exported from @pulumi/pulumi's index.
export const rpc = require("@pulumi/pulumi/runtime/rpc") as {
  specialSigKey: string;
  specialSecretSig: string;
  deserializeProperties(struct: unknown, keepUnknowns?: boolean): Record<string, unknown>;
};
