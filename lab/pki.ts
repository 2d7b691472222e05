import * as fs from "fs";
import * as path from "path";
import { runOk } from "./exec";

/**
 * A run's certificates, issued with strongSwan's own `pki` from a CA made for the run: a certificate for every
 * gateway key the stack names (same subject and subjectAltNames as the stack's certificate, so identities are
 * kept) and one for every certificate client. Nothing outlives the run.
 */

export interface LabCert {
  readonly cert: string;
  readonly key: string;
}

export interface LabPki {
  readonly caCert: string;
  /** By the secret key naming the gateway certificate's private key. */
  readonly gateways: Readonly<Record<string, LabCert>>;
  /** By client role. */
  readonly clients: Readonly<Record<string, LabCert>>;
}

export interface PkiRequest {
  readonly gateways: readonly { readonly keySecret: string; readonly subject: string; readonly sans: readonly string[] }[];
  readonly clients: readonly { readonly role: string; readonly id: string }[];
}

const pki = (args: string[], input?: string): Promise<string> => runOk(["pki", ...args], { input });
const PLAIN = /^[A-Za-z0-9.@:_-]+$/;
const SUBJECT = /^[A-Za-z]+=[^,"\\]+(, [A-Za-z]+=[^,"\\]+)*$/;

async function issue(dir: string, name: string, dn: string, sans: readonly string[], flag: string): Promise<LabCert> {
  const key = await pki(["--gen", "--type", "ecdsa", "--size", "256", "--outform", "pem"]);
  fs.writeFileSync(path.join(dir, `${name}.key`), key, { mode: 0o600 });
  const pub = await pki(["--pub", "--in", path.join(dir, `${name}.key`), "--outform", "pem"]);
  const cert = await pki(
    [
      "--issue",
      "--lifetime",
      "2",
      "--cacert",
      path.join(dir, "ca.pem"),
      "--cakey",
      path.join(dir, "ca.key"),
      "--dn",
      dn,
      ...sans.flatMap((s) => ["--san", s]),
      "--flag",
      flag,
      "--outform",
      "pem",
    ],
    pub,
  );
  fs.writeFileSync(path.join(dir, `${name}.pem`), cert);
  return { cert, key };
}

export async function issueLabPki(dir: string, req: PkiRequest): Promise<LabPki> {
  for (const g of req.gateways) {
    if (!SUBJECT.test(g.subject) || !g.sans.every((s) => PLAIN.test(s)))
      throw new Error(`the lab issues certificates only for plain identities (${g.keySecret}'s certificate)`);
  }
  for (const c of req.clients) if (!PLAIN.test(c.id)) throw new Error(`the lab issues certificates only for plain identities (client ${c.role})`);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const caKey = await pki(["--gen", "--type", "ecdsa", "--size", "256", "--outform", "pem"]);
  fs.writeFileSync(path.join(dir, "ca.key"), caKey, { mode: 0o600 });
  const caCert = await pki(["--self", "--ca", "--lifetime", "2", "--in", path.join(dir, "ca.key"), "--dn", "CN=stage2 lab CA", "--outform", "pem"]);
  fs.writeFileSync(path.join(dir, "ca.pem"), caCert);
  const gateways = await Promise.all(
    req.gateways.map(async (g) => [g.keySecret, await issue(dir, `gw-${g.keySecret}`, g.subject, g.sans, "serverAuth")] as const),
  );
  const clients = await Promise.all(req.clients.map(async (c) => [c.role, await issue(dir, `client-${c.role}`, `CN=${c.id}`, [c.id], "clientAuth")] as const));
  const result: LabPki = { caCert, gateways: Object.fromEntries(gateways), clients: Object.fromEntries(clients) };
  fs.writeFileSync(path.join(dir, "pki.json"), JSON.stringify(result), { mode: 0o600 });
  return result;
}

export function readLabPki(dir: string): LabPki | undefined {
  const file = path.join(dir, "pki.json");
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, "utf8")) as LabPki) : undefined;
}
