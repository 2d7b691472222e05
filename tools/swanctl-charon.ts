// Moved to lab/charon-sandbox.ts (runtime code: `stage2 swanctl check --charon` and the tests use it).
export * from "../lab/charon-sandbox";
