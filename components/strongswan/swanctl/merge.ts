import { isDocSection, readDocument, documentToSettings, type SwanctlDocument } from "./document";
import type { SettingsSection } from "../settings";

/**
 * Raw swanctl laid over a rendered one (the gateway model's `ipsec.extraSwanctl`): values replace values,
 * sections merge into sections of the same name, new values and sections are added. Nothing is removed.
 */
export function mergeDocuments(base: SwanctlDocument, overlay: SwanctlDocument): SwanctlDocument {
  const out: SwanctlDocument = { ...base };
  for (const [key, value] of Object.entries(overlay)) {
    if (value === undefined || value === null) continue;
    const current = out[key];
    out[key] = isDocSection(value) && isDocSection(current) ? mergeDocuments(current, value) : value;
  }
  return out;
}

/** Applies `extra` (a SwanctlConfig) to a rendered settings tree and gives the tree in canonical order. */
export function applyExtraSwanctl(tree: SettingsSection, extra: SwanctlDocument | undefined): SettingsSection {
  if (!extra || Object.keys(extra).length === 0) return tree;
  return documentToSettings(mergeDocuments(readDocument(tree).document, extra));
}
