import * as fs from "fs";
import * as path from "path";
import { Ca, caCert, currentCrl, initCa, issue, openCa } from "../components/pki/ca";
import { userIdentities } from "../components/pki/user-identities";

/**
 * A run's certificates, issued by stage2's own CA code (components/pki, as `stage2 pki` and `stage2 users` issue
 * them): a certificate for every gateway key the stack names (same subject and subjectAltNames as the stack's
 * certificate, so identities are kept) and one for every certificate client. The run's CA is a `stage2 pki` CA
 * directory: `stage2 users --ca-dir <caDir>` adds and revokes users of the very CA the lab's gateways trust.
 */

export interface LabCert {
  readonly cert: string;
  readonly key: string;
}

export interface LabPki {
  /** The run's CA directory (absent in hand-built values). */
  readonly caDir?: string;
  readonly caCert: string;
  /** The CA's current CRL, read when the model is built: a revocation reaches the next converge. */
  readonly crl?: string;
  /** By the secret key naming the gateway certificate's private key. */
  readonly gateways: Readonly<Record<string, LabCert>>;
  /** By client role. */
  readonly clients: Readonly<Record<string, LabCert>>;
}

export interface PkiRequest {
  readonly gateways: readonly { readonly keySecret: string; readonly subject: string; readonly sans: readonly string[] }[];
  readonly clients: readonly { readonly role: string; readonly id: string }[];
}

const PLAIN = /^[A-Za-z0-9.@:_-]+$/;
const SUBJECT = /^[A-Za-z]+=[^,"\\]+(, [A-Za-z]+=[^,"\\]+)*$/;
const LIFETIME_DAYS = 2;

export async function issueLabPki(dir: string, req: PkiRequest): Promise<LabPki> {
  for (const g of req.gateways) {
    if (!SUBJECT.test(g.subject) || !g.sans.every((s) => PLAIN.test(s)))
      throw new Error(`the lab issues certificates only for plain identities (${g.keySecret}'s certificate)`);
  }
  for (const c of req.clients) if (!PLAIN.test(c.id)) throw new Error(`the lab issues certificates only for plain identities (client ${c.role})`);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const ca: Ca = await initCa(path.join(dir, "ca"), { name: "stage2 lab CA", keyType: "ecdsa-p256", lifetimeDays: LIFETIME_DAYS });
  const labCert = async (kind: "gateway" | "user", name: string, subject: string, sans: readonly string[]): Promise<LabCert> => {
    const made = await issue(ca, { kind, name, subject, sans, lifetimeDays: LIFETIME_DAYS });
    return { cert: made.cert, key: fs.readFileSync(made.keyFile, "utf8") };
  };
  const gateways = await Promise.all(req.gateways.map(async (g) => [g.keySecret, await labCert("gateway", g.keySecret, g.subject, g.sans)] as const));
  const clients = await Promise.all(
    req.clients.map(async (c) => {
      const ids = userIdentities(c.id);
      return [c.role, await labCert("user", c.role, ids.subject, ids.sans)] as const;
    }),
  );
  const stored = { caDir: ca.dir, caCert: caCert(ca), gateways: Object.fromEntries(gateways), clients: Object.fromEntries(clients) };
  fs.writeFileSync(path.join(dir, "pki.json"), JSON.stringify(stored), { mode: 0o600 });
  return { ...stored, crl: currentCrl(ca) };
}

export function readLabPki(dir: string): LabPki | undefined {
  const file = path.join(dir, "pki.json");
  if (!fs.existsSync(file)) return undefined;
  const stored = JSON.parse(fs.readFileSync(file, "utf8")) as LabPki & { caDir: string };
  return { ...stored, crl: currentCrl(openCa(stored.caDir)) };
}
