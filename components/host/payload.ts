import { createHash } from "crypto";
import { HostFile } from "./types";

/**
 * The files of one concern as they travel on the remote command's stdin: never on a command line.
 * One header line and, per file, one head line and one base64 line, so no content can be mistaken for framing.
 * The header counts the files and carries the body's length and SHA-256: the apply script refuses a payload
 * that arrived cut short or altered, whole, and journals the digest as what it activated.
 *   stage2-payload 2 <files> <body bytes> <body sha256>
 *   F <path> <mode> <owner> <secret 0|1> <base64 validate or ->
 *   <base64 content or ->
 */
export const PAYLOAD_VERSION = 2;
const MAGIC = `stage2-payload ${PAYLOAD_VERSION}`;
const HEADER_RE = new RegExp(`^${MAGIC} (\\d+) (\\d+) ([0-9a-f]{64})$`);

const PATH_RE = /^\/[A-Za-z0-9._@+\-/]+$/;
const MODE_RE = /^0[0-7]{3}$/;
const OWNER_RE = /^[a-z_][a-z0-9_-]*:[a-z_][a-z0-9_-]*$/;

export function checkHostFile(file: HostFile): void {
  if (!PATH_RE.test(file.path) || file.path.split("/").includes("..")) {
    throw new Error(`file path ${JSON.stringify(file.path)} must be absolute and hold only letters, digits and ._@+-/`);
  }
  if (!MODE_RE.test(file.mode)) throw new Error(`${file.path}: mode ${JSON.stringify(file.mode)} is not octal like 0644`);
  if (file.owner !== undefined && !OWNER_RE.test(file.owner)) {
    throw new Error(`${file.path}: owner ${JSON.stringify(file.owner)} is not user:group`);
  }
  if (file.secret && file.mode !== "0600" && file.mode !== "0400") {
    throw new Error(`${file.path}: holds a secret, so its mode must be 0600 or 0400 (got ${file.mode})`);
  }
}

const b64 = (text: string): string => (text === "" ? "-" : Buffer.from(text, "utf8").toString("base64"));
const unb64 = (text: string): string => (text === "-" ? "" : Buffer.from(text, "base64").toString("utf8"));
const sha256 = (text: string): string => createHash("sha256").update(text, "utf8").digest("hex");

export function encodePayload(files: readonly HostFile[]): string {
  const lines: string[] = [];
  for (const file of files) {
    checkHostFile(file);
    const validate = file.validate ? b64(file.validate) : "-";
    lines.push(`F ${file.path} ${file.mode} ${file.owner ?? "root:root"} ${file.secret ? 1 : 0} ${validate}`);
    lines.push(b64(file.content));
  }
  const body = lines.map((l) => `${l}\n`).join("");
  return `${MAGIC} ${files.length} ${Buffer.byteLength(body)} ${sha256(body)}\n${body}`;
}

/** The payload's digest (its header's), the value the host journals as pending and then active. */
export function payloadDigest(payload: string): string | undefined {
  return HEADER_RE.exec(payload.slice(0, payload.indexOf("\n")))?.[3];
}

/**
 * Reads a payload back (policies, the lab, tests). Returns undefined when the text is not a whole stage2
 * payload: another format, or a body whose count, length or digest differs from its header's.
 */
export function decodePayload(text: string): HostFile[] | undefined {
  const newline = text.indexOf("\n");
  const header = HEADER_RE.exec(newline < 0 ? text : text.slice(0, newline));
  if (!header || newline < 0) return undefined;
  const body = text.slice(newline + 1);
  if (Buffer.byteLength(body) !== Number(header[2]) || sha256(body) !== header[3]) return undefined;
  const lines = body.split("\n").slice(0, -1);
  if (lines.length !== 2 * Number(header[1])) return undefined;
  const files: HostFile[] = [];
  for (let i = 0; i < lines.length; i += 2) {
    const head = lines[i].split(" ");
    if (head[0] !== "F" || head.length !== 6) return undefined;
    const [, path, mode, owner, secret, validate] = head;
    files.push({
      path,
      mode,
      owner,
      secret: secret === "1",
      validate: validate === "-" ? undefined : unb64(validate),
      content: unb64(lines[i + 1]),
    });
  }
  return files;
}
