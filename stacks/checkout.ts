import * as path from "path";

/**
 * The checkout's root. Data files (the stacks' YAML, ../shared) are read from the checkout, never copied into
 * dist/: compiled, this file is dist/stacks/checkout.js, one folder deeper than its source.
 */
export const CHECKOUT_ROOT = ((parent: string) => (path.basename(parent) === "dist" ? path.dirname(parent) : parent))(path.resolve(__dirname, ".."));

/** ../shared beside the checkout: test and corpus data read at run time, never copied into the repository. */
export const SHARED_DIR = path.resolve(CHECKOUT_ROOT, "..", "shared");
