// Moved to preview/pulumi-internals.ts.
export * from "../preview/pulumi-internals";
