import { HostFile } from "./types";

/**
 * The files of one concern as they travel on the remote command's stdin: never on a command line.
 * One header line and one base64 line per file, so no content can be mistaken for framing.
 *   stage2-payload 1
 *   F <path> <mode> <owner> <secret 0|1> <base64 validate or ->
 *   <base64 content or ->
 */
export const PAYLOAD_MAGIC = "stage2-payload 1";

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

export function encodePayload(files: readonly HostFile[]): string {
  const lines = [PAYLOAD_MAGIC];
  for (const file of files) {
    checkHostFile(file);
    const validate = file.validate ? b64(file.validate) : "-";
    lines.push(`F ${file.path} ${file.mode} ${file.owner ?? "root:root"} ${file.secret ? 1 : 0} ${validate}`);
    lines.push(b64(file.content));
  }
  return lines.join("\n") + "\n";
}

/** Reads a payload back (policies, the lab, tests). Returns undefined when the text is not a stage2 payload. */
export function decodePayload(text: string): HostFile[] | undefined {
  const lines = text.split("\n");
  if (lines[0] !== PAYLOAD_MAGIC) return undefined;
  const files: HostFile[] = [];
  for (let i = 1; i + 1 < lines.length; i += 2) {
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
