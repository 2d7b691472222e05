import { Ca, caCertPath, certPath, keyPath, writePrivate } from "./ca";
import { runTool } from "./tool";
import * as path from "path";

/**
 * A user's PKCS#12 bundles (certificate, key, CA), encrypted with a passphrase that reaches openssl on stdin. Two
 * variants: the modern one (PBES2, AES-256, SHA-256 MAC) for Windows, Android and NetworkManager, and a legacy one
 * (`-legacy`: RC2/3DES, SHA-1 MAC) for macOS and iOS, whose import refuses PBES2. Both are mode 0600.
 */
export const pkcs12Path = (ca: Ca, user: string, variant: "modern" | "apple"): string =>
  path.join(path.dirname(certPath(ca, "user", user)), variant === "apple" ? `${user}-apple.p12` : `${user}.p12`);

export async function writePkcs12(ca: Ca, user: string, passphrase: string): Promise<{ modern: string; apple: string }> {
  const files = { modern: pkcs12Path(ca, user, "modern"), apple: pkcs12Path(ca, user, "apple") };
  for (const variant of ["modern", "apple"] as const) {
    const bundle = await runTool(
      [
        "openssl",
        "pkcs12",
        "-export",
        ...(variant === "apple" ? ["-legacy"] : []),
        "-in",
        certPath(ca, "user", user),
        "-inkey",
        keyPath(ca, "user", user),
        "-certfile",
        caCertPath(ca),
        "-name",
        user,
        "-passout",
        "stdin",
      ],
      `${passphrase}\n`,
    );
    writePrivate(files[variant], bundle);
  }
  return files;
}
