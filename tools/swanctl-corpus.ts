// Moved to lab/swanctl-corpus.ts (runtime code: the scenario lab and `stage2 swanctl` use it).
export * from "../lab/swanctl-corpus";
