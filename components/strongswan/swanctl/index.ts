import { formatPos, parseSettings, parseSettingsFile, pathKey, type IncludeReader, type ParsedSettings, type SourcePos } from "../settings-parser";
import { readDocument, type SwanctlDocument } from "./document";
import { formatSwanctlProblem, validateDocument, type SwanctlProblem } from "./schema";

/**
 * swanctl.conf for strongSwan 5.9.8, complete: parse a file (settings-parser), read it into a document,
 * validate every key against the typed table generated from swanctl.opt, render it back in canonical order.
 */

export { SWANCTL_CONTAINERS, SWANCTL_SECTIONS } from "./options.generated";
export { readDocument, documentToSettings, renderDocument, settingsDifference, isDocSection, type SwanctlDocument, type DocValue } from "./document";
export {
  SwanctlConfig,
  SwanctlExtraConfig,
  validateDocument,
  formatSwanctlProblem,
  type SwanctlProblem,
  type SwanctlConfigInput,
  type SwanctlConfigOutput,
  type SwanctlConnection,
  type SwanctlChild,
  type SwanctlLocalAuth,
  type SwanctlRemoteAuth,
  type SwanctlCert,
  type SwanctlPool,
  type SwanctlAuthority,
  type SwanctlSecret,
} from "./schema";
export { keysOf, keySpec, placeOf, placeName, type SectionKind, type KeySpec } from "./layout";
export { mergeDocuments, applyExtraSwanctl } from "./merge";
export { describeType, splitList, toText, type TypeSpec, type ModelValue } from "./types";

const KNOWN_TOP = { connections: 1, secrets: 1, pools: 1, authorities: 1 };

/** A problem located in its file. */
export interface LocatedProblem extends SwanctlProblem {
  readonly pos?: SourcePos;
}

export interface SwanctlFile {
  readonly parsed: ParsedSettings;
  /** Everything the file says, typed where valid (invalid values stay as written). */
  readonly document: SwanctlDocument;
  /** The canonical document when there are no errors. */
  readonly config: SwanctlDocument;
  /** Errors and warnings (`severity: "warning"`), in file order. */
  readonly problems: readonly LocatedProblem[];
}

export const errorsOf = (f: SwanctlFile): LocatedProblem[] => f.problems.filter((p) => p.severity !== "warning");

function locate(parsed: ParsedSettings, problem: SwanctlProblem): LocatedProblem {
  const names = problem.path.filter((k): k is string => typeof k === "string");
  for (let n = names.length; n > 0; n--) {
    const pos = parsed.positions.get(pathKey(names.slice(0, n)));
    if (pos) return { ...problem, pos };
  }
  return problem;
}

/** Reads parsed settings as a swanctl.conf: every problem, each with the file:line:column it comes from. */
export function readSwanctl(parsed: ParsedSettings): SwanctlFile {
  const read = readDocument(parsed.tree);
  const checked = validateDocument(read.document);
  // A top-level section swanctl does not know is a typo, unless other sections inherit from it (a template).
  const templates = new Set(parsed.references.map((r) => r.to.split(".")[0]));
  const problems = [...read.problems, ...checked.problems]
    .map((p): SwanctlProblem =>
      p.path.length === 1 && typeof p.path[0] === "string" && templates.has(p.path[0]) && !(p.path[0] in KNOWN_TOP)
        ? { path: p.path, message: "is not a swanctl.conf section; swanctl ignores it (other sections inherit from it)", severity: "warning" }
        : p,
    )
    .map((p) => locate(parsed, p));
  problems.sort(
    (a, b) => (a.pos?.file ?? "").localeCompare(b.pos?.file ?? "") || (a.pos?.line ?? 0) - (b.pos?.line ?? 0) || (a.pos?.column ?? 0) - (b.pos?.column ?? 0),
  );
  return { parsed, document: read.document, config: checked.document, problems };
}

export interface SwanctlReadOptions {
  /** Where `include`d files come from (default: this machine's disk, as swanctl reads them). */
  readonly readInclude?: IncludeReader;
}

export const readSwanctlFile = (file: string, options: SwanctlReadOptions = {}): SwanctlFile => readSwanctl(parseSettingsFile(file, options));
export const readSwanctlText = (text: string, file = "swanctl.conf", options: SwanctlReadOptions = {}): SwanctlFile =>
  readSwanctl(parseSettings(text, { ...options, file }));

/** The file that first defines a section (e.g. ["connections", "a"]): where an `include`d section comes from. */
export const definedIn = (f: SwanctlFile, path: readonly string[]): string => f.parsed.positions.get(pathKey(path))?.file ?? f.parsed.files[0];

/** `file:line:column: path: message (got value)`. */
export function formatLocatedProblem(p: LocatedProblem): string {
  return `${p.pos ? `${formatPos(p.pos)}: ` : ""}${formatSwanctlProblem(p)}`;
}
