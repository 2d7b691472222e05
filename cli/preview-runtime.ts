// Moved to preview/runtime.ts (the preview runtime is shared by the CLI, the policy pack, tests and bench).
export * from "../preview/runtime";
