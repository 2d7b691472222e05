import { decodePayload } from "../../components/host/payload";
import { Load, ScriptEffects, scriptEffects } from "../shell/effects";
import { payloadMechanicsLines } from "../shell/stage2-apply";
import { Finding, note } from "./finding";
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
  /** "payload": stage2's stdin payload; "script": written whole by the command's script. */
  readonly via: "payload" | "script";
  readonly subject: Subject;
}

/** Something a command does that the pack cannot read (see policy/shell/effects.ts). */
export interface CommandIssue {
  readonly subject: Subject;
  /** Where: "create, line 4", "validate of /etc/x". */
  readonly where: string;
  readonly what: string;
  readonly domain: string;
}

/** A file a command hands to a loader, resolved against the host's files by the gateway view. */
export interface CommandLoad {
  readonly subject: Subject;
  readonly where: string;
  readonly load: Load;
}

export interface CommandReading {
  readonly files: HostFileView[];
  readonly notes: Finding[];
  readonly issues: CommandIssue[];
  readonly loads: CommandLoad[];
}

export const SCRIPT_FIELDS = ["create", "update", "delete"] as const;

export const isRemoteCommand = (s: Subject): boolean => s.type === TYPES.command || s.type === TYPES.copyToRemote;

const readings = new WeakMap<Subject, CommandReading>();

/** Adds one script's effects to a reading, each placed by field and line. */
export function addEffects(reading: CommandReading, subject: Subject, field: string, effects: ScriptEffects, lines: boolean): void {
  const at = (line: number) => (lines ? `${field}, line ${line}` : field);
  for (const u of effects.unreadable) reading.issues.push({ subject, where: at(u.line), what: u.what, domain: u.domain });
  for (const load of effects.loads) reading.loads.push({ subject, where: at(load.line), load });
}

/**
 * What a remote command puts on its host: the files of its stdin payload and those its scripts write whole, what
 * its scripts hand to loaders, and what in them cannot be read. Read once per resource.
 */
export function filesOf(subject: Subject): CommandReading {
  const cached = readings.get(subject);
  if (cached) return cached;
  const reading: CommandReading = { files: [], notes: [], issues: [], loads: [] };
  readings.set(subject, reading);
  if (subject.type !== TYPES.command) return reading;
  const stdin = readString(subject.props, "stdin");
  let payload = false;
  if (stdin.kind === "unknown") {
    reading.notes.push(note(subject, `stdin is unknown at preview, so the files it carries cannot be checked until it is known`));
  } else if (stdin.kind === "known") {
    const files = decodePayload(stdin.value);
    payload = files !== undefined;
    for (const file of files ?? []) {
      reading.files.push({ path: file.path, content: file.content, mode: file.mode, secretFlag: file.secret === true, via: "payload", subject });
      if (file.validate) addEffects(reading, subject, `the validate command of ${file.path}`, scriptEffects(file.validate, { validate: true }), false);
    }
    if (!payload && stdin.value.trim() !== "") {
      reading.issues.push({
        subject,
        where: "stdin",
        what: "stdin carries text that is not a stage2 payload, and what the script does with it cannot be read",
        domain: "unknown",
      });
    }
  }
  const seen = new Set<string>();
  const texts = new Set<string>();
  for (const field of SCRIPT_FIELDS) {
    const script = readString(subject.props, field);
    if (script.kind === "unknown") {
      reading.notes.push(note(subject, `\`${field}\` is unknown at preview, so the files it writes cannot be checked until it is known`));
      continue;
    }
    if (script.kind !== "known" || texts.has(script.value)) continue;
    texts.add(script.value);
    const effects = scriptEffects(script.value, { skipLines: payload ? payloadMechanicsLines(script.value) : undefined });
    for (const file of effects.files) {
      const key = `${file.path}\n${file.content}`;
      if (seen.has(key)) continue;
      seen.add(key);
      reading.files.push({ path: file.path, content: file.content, mode: file.mode, secretFlag: false, via: "script", subject });
    }
    addEffects(reading, subject, field, effects, true);
  }
  return reading;
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
