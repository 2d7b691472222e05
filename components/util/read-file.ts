import * as fs from "fs";

/** Why a file could not be read, in plain words (the system's code name is not an explanation). */
export function fileProblem(err: unknown): string {
  switch ((err as NodeJS.ErrnoException)?.code) {
    case "ENOENT":
      return "no such file";
    case "EISDIR":
      return "is a directory, not a file";
    case "ENOTDIR":
      return "a part of the path is not a directory";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "ELOOP":
      return "too many symbolic links (a loop?)";
    default:
      return (err as Error)?.message?.replace(/^[A-Z]+: /, "") ?? String(err);
  }
}

export class FileReadError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`${file}: cannot read: ${reason}`);
    this.name = "FileReadError";
  }
}

/** Reads a text file a user named; failures say the path and a plain reason. */
export function readTextFile(file: string): string {
  try {
    return fs.readFileSync(file, "utf8");
  } catch (err) {
    throw new FileReadError(file, fileProblem(err));
  }
}
