import { X509Certificate } from "crypto";

/** Base64 DER of one PEM certificate: what Apple's certificate payloads and the Android app's remote.cert hold. */
export function derBase64(pem: string): string {
  return new X509Certificate(pem).raw.toString("base64");
}

/** The certificate's subject CN, e.g. for Apple's ServerCertificateIssuerCommonName. */
export function commonNameOf(pem: string): string | undefined {
  const cn = new X509Certificate(pem).subject.split("\n").find((part) => part.startsWith("CN="));
  return cn?.slice(3);
}
