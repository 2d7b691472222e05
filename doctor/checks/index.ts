import { Check } from "../types";

/** Every check doctor runs, in the order findings are printed: the one list (the CLI, the labs' check, tests). */
export const CHECKS: readonly Check[] = [];
