// Moved to doctor/parse-sas.ts (doctor and the labs read SAs the same way); kept for importers not yet updated.
export { ChildSa, IkeSa, parseSas } from "../doctor/parse-sas";
