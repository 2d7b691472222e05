import { decodePayload } from "../../components/host/payload";
import { Finding, note } from "./finding";
import { heredocFiles } from "./heredoc";
import { Subject, TYPES } from "./subject";
import { readString } from "./values";

/** A file that a resource puts on a host, with where it travelled. */
export interface HostFileView {
  readonly path: string;
  readonly content: string;
  /** Octal mode; undefined when a script writes it without chmod (umask decides). */
  readonly mode?: string;
  /** The stage2 payload's own "holds a secret" flag. */
  readonly secretFlag: boolean;
  /** "payload": stage2's stdin payload; "script": a here-document inside the command text. */
  readonly via: "payload" | "script";
  readonly subject: Subject;
}

export const SCRIPT_FIELDS = ["create", "update", "delete"] as const;

export const isRemoteCommand = (s: Subject): boolean => s.type === TYPES.command || s.type === TYPES.copyToRemote;

/** The files a remote command writes, read from its stdin payload and from here-documents in its scripts. */
export function filesOf(subject: Subject): { files: HostFileView[]; notes: Finding[] } {
  const files: HostFileView[] = [];
  const notes: Finding[] = [];
  if (subject.type !== TYPES.command) return { files, notes };
  const stdin = readString(subject.props, "stdin");
  if (stdin.kind === "unknown") {
    notes.push(note(subject, `stdin is unknown at preview, so the files it carries cannot be checked until it is known`));
  } else if (stdin.kind === "known") {
    for (const file of decodePayload(stdin.value) ?? []) {
      files.push({ path: file.path, content: file.content, mode: file.mode, secretFlag: file.secret === true, via: "payload", subject });
    }
  }
  const seen = new Set<string>();
  for (const field of SCRIPT_FIELDS) {
    const script = readString(subject.props, field);
    if (script.kind === "unknown") {
      notes.push(note(subject, `\`${field}\` is unknown at preview, so the files it writes cannot be checked until it is known`));
      continue;
    }
    if (script.kind !== "known") continue;
    for (const file of heredocFiles(script.value)) {
      const key = `${file.path}\n${file.content}`;
      if (seen.has(key)) continue;
      seen.add(key);
      files.push({ path: file.path, content: file.content, mode: file.mode, secretFlag: false, via: "script", subject });
    }
  }
  return { files, notes };
}

/** The command texts of a resource (create/update/delete), the ones that are known. */
export function scriptsOf(subject: Subject): { field: string; text: string }[] {
  const out: { field: string; text: string }[] = [];
  for (const field of SCRIPT_FIELDS) {
    const read = readString(subject.props, field);
    if (read.kind === "known") out.push({ field, text: read.value });
  }
  return out;
}
