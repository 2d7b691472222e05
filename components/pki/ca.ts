import { randomBytes, X509Certificate } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { pkiTool, runTool } from "./tool";

/**
 * One environment's certificate authority, kept in a directory outside the repository (mode 0700): the CA, every
 * certificate it issued (certs.json), the CRL, and the private keys (mode 0600, never printed). strongSwan's `pki`
 * does the cryptography; keys reach `pki` as file paths or on stdin, never on a command line.
 */

/** RSA serves every native client (Apple's safest); ECDSA is Windows' and Android's too. No Ed25519: Windows has none. */
export const KEY_TYPES = ["rsa-3072", "ecdsa-p256", "ecdsa-p384"] as const;
export type KeyType = (typeof KEY_TYPES)[number];
const GEN: Record<KeyType, string[]> = {
  "rsa-3072": ["--type", "rsa", "--size", "3072"],
  "ecdsa-p256": ["--type", "ecdsa", "--size", "256"],
  "ecdsa-p384": ["--type", "ecdsa", "--size", "384"],
};

export type CertKind = "gateway" | "user";

export interface CertRecord {
  /** Lower-case hex, as `pki --serial` takes it. */
  readonly serial: string;
  readonly kind: CertKind;
  /** Gateway name or user name. */
  readonly name: string;
  readonly subject: string;
  readonly sans: readonly string[];
  readonly notAfter: string;
  /** ISO time of revocation; a revoked name can be issued again (a new serial). */
  readonly revoked?: string;
}

interface CaMeta {
  readonly version: 1;
  readonly name: string;
  readonly keyType: KeyType;
}

export interface Ca {
  readonly dir: string;
  readonly name: string;
  readonly keyType: KeyType;
}

const META = "ca.json";
export const caCertPath = (ca: Ca): string => path.join(ca.dir, "ca.pem");
const caKeyPath = (ca: Ca): string => path.join(ca.dir, "private", "ca.key");
const indexPath = (ca: Ca): string => path.join(ca.dir, "certs.json");
export const crlPath = (ca: Ca): string => path.join(ca.dir, "crl.pem");
export const certDir = (ca: Ca, kind: CertKind, name: string): string => path.join(ca.dir, kind === "gateway" ? "gateways" : "users", name);
export const certPath = (ca: Ca, kind: CertKind, name: string): string => path.join(certDir(ca, kind, name), `${name}.pem`);
export const keyPath = (ca: Ca, kind: CertKind, name: string): string => path.join(certDir(ca, kind, name), `${name}.key`);

/** CRLs carry a nextUpdate; `stage2 pki crl` re-signs before then (charon treats a stale CRL as no CRL). */
export const CRL_LIFETIME_DAYS = 180;
/** A user or gateway name: it becomes a file name and part of a certificate subject. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9.@_-]{0,63}$/;

export function checkName(what: string, name: string): void {
  if (!NAME.test(name)) throw new Error(`${what} ${JSON.stringify(name.slice(0, 64))} must be letters, digits, '.', '@', '_' or '-' (at most 64)`);
}

function mkdirPrivate(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.chmodSync(dir, 0o700);
}

/** Writes a private key: the file exists only ever with mode 0600. */
export function writePrivate(file: string, content: string | Buffer): void {
  mkdirPrivate(path.dirname(file));
  fs.rmSync(file, { force: true });
  const fd = fs.openSync(file, "wx", 0o600);
  try {
    if (typeof content === "string") fs.writeSync(fd, content);
    else fs.writeSync(fd, content);
  } finally {
    fs.closeSync(fd);
  }
}

function writePublic(file: string, content: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  fs.writeFileSync(file, content, { mode: 0o644 });
}

export async function initCa(dir: string, opts: { name: string; keyType: KeyType; lifetimeDays?: number }): Promise<Ca> {
  if (fs.existsSync(path.join(dir, META))) throw new Error(`${dir} already holds a CA (${META}); one CA per directory`);
  if (!/^[A-Za-z0-9 ._-]{1,64}$/.test(opts.name)) throw new Error(`CA name ${JSON.stringify(opts.name.slice(0, 64))}: letters, digits, spaces, '.', '_', '-'`);
  mkdirPrivate(dir);
  const ca: Ca = { dir, name: opts.name, keyType: opts.keyType };
  writePrivate(caKeyPath(ca), await pkiTool(["--gen", ...GEN[opts.keyType], "--outform", "pem"]));
  const cert = await pkiTool([
    "--self",
    "--ca",
    "--lifetime",
    String(opts.lifetimeDays ?? 3650),
    "--in",
    caKeyPath(ca),
    "--dn",
    `CN=${opts.name}`,
    "--outform",
    "pem",
  ]);
  writePublic(caCertPath(ca), cert);
  fs.writeFileSync(indexPath(ca), "[]\n", { mode: 0o600 });
  fs.writeFileSync(path.join(dir, META), JSON.stringify({ version: 1, name: opts.name, keyType: opts.keyType } satisfies CaMeta, null, 2) + "\n", {
    mode: 0o600,
  });
  await signCrl(ca);
  return ca;
}

/** Opens a CA directory; refuses one that others can read (the CA key is in it). */
export function openCa(dir: string): Ca {
  const metaFile = path.join(dir, META);
  if (!fs.existsSync(metaFile)) throw new Error(`${dir} holds no CA (no ${META}); run \`stage2 pki init\` first`);
  const mode = fs.statSync(dir).mode & 0o777;
  if (mode & 0o077) throw new Error(`${dir} is mode ${mode.toString(8)}: a CA directory must be 0700 (it holds the CA key)`);
  const meta = JSON.parse(fs.readFileSync(metaFile, "utf8")) as CaMeta;
  if (meta.version !== 1 || !KEY_TYPES.includes(meta.keyType)) throw new Error(`${metaFile}: not a stage2 CA of this version`);
  return { dir, name: meta.name, keyType: meta.keyType };
}

export const caCert = (ca: Ca): string => fs.readFileSync(caCertPath(ca), "utf8");
export const currentCrl = (ca: Ca): string => fs.readFileSync(crlPath(ca), "utf8");

export function certRecords(ca: Ca): CertRecord[] {
  return JSON.parse(fs.readFileSync(indexPath(ca), "utf8")) as CertRecord[];
}

function saveRecords(ca: Ca, records: readonly CertRecord[]): void {
  const tmp = `${indexPath(ca)}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(records, null, 2) + "\n", { mode: 0o600 });
  fs.renameSync(tmp, indexPath(ca));
}

export interface IssueRequest {
  readonly kind: CertKind;
  readonly name: string;
  readonly subject: string;
  /** As `pki --san` takes them: a DNS name, an IP address or an email address. */
  readonly sans: readonly string[];
  readonly lifetimeDays: number;
}

/**
 * Extended key usages per kind. A gateway: serverAuth, which Windows and macOS/iOS require, and IKE Intermediate
 * (1.3.6.1.5.5.8.2.2), which older macOS requires. A user: clientAuth. `pki` writes no keyUsage extension, which
 * leaves every key usage allowed (RFC 5280), digitalSignature included.
 */
const FLAGS: Record<CertKind, string[]> = { gateway: ["serverAuth", "ikeIntermediate"], user: ["clientAuth"] };

export interface Issued {
  readonly record: CertRecord;
  readonly cert: string;
  readonly certFile: string;
  readonly keyFile: string;
}

/** Issues a certificate with a new key; the previous files of that name are replaced (their serials stay in certs.json). */
export async function issue(ca: Ca, req: IssueRequest): Promise<Issued> {
  checkName(req.kind, req.name);
  const keyFile = keyPath(ca, req.kind, req.name);
  writePrivate(keyFile, await pkiTool(["--gen", ...GEN[ca.keyType], "--outform", "pem"]));
  const pub = await pkiTool(["--pub", "--in", keyFile, "--outform", "pem"]);
  const bytes = randomBytes(12);
  bytes[0] &= 0x7f; // a positive serial
  bytes[0] |= 0x10; // no leading zero: the hex is the serial as openssl prints it
  const serial = bytes.toString("hex");
  const cert = await pkiTool(
    [
      "--issue",
      "--cacert",
      caCertPath(ca),
      "--cakey",
      caKeyPath(ca),
      "--serial",
      serial,
      "--lifetime",
      String(req.lifetimeDays),
      "--dn",
      req.subject,
      ...req.sans.flatMap((s) => ["--san", s]),
      ...FLAGS[req.kind].flatMap((f) => ["--flag", f]),
      "--outform",
      "pem",
    ],
    pub,
  );
  const certFile = certPath(ca, req.kind, req.name);
  writePublic(certFile, cert);
  const record: CertRecord = {
    serial,
    kind: req.kind,
    name: req.name,
    subject: req.subject,
    sans: req.sans,
    notAfter: new Date(new X509Certificate(cert).validTo).toISOString(),
  };
  saveRecords(ca, [...certRecords(ca), record]);
  return { record, cert, certFile, keyFile };
}

export const activeCerts = (ca: Ca, kind: CertKind, name?: string): CertRecord[] =>
  certRecords(ca).filter((r) => r.kind === kind && !r.revoked && (name === undefined || r.name === name));

/** Revokes every unrevoked certificate of a user (or gateway) and signs a new CRL. Returns the serials revoked. */
export async function revoke(ca: Ca, kind: CertKind, name: string): Promise<string[]> {
  checkName(kind, name);
  const now = new Date().toISOString();
  const serials = activeCerts(ca, kind, name).map((r) => r.serial);
  if (!serials.length) throw new Error(`no valid ${kind} certificate named ${name} in ${ca.dir}`);
  saveRecords(
    ca,
    certRecords(ca).map((r) => (serials.includes(r.serial) ? { ...r, revoked: now } : r)),
  );
  await signCrl(ca);
  return serials;
}

/** The serials a CRL lists, as openssl prints them (upper-case hex). */
export async function crlSerials(crlPem: string): Promise<string[]> {
  const text = (await runTool(["openssl", "crl", "-noout", "-text"], crlPem)).toString("utf8");
  return [...text.matchAll(/Serial Number: ([0-9A-F]+)/g)].map((m) => m[1]);
}

/**
 * Signs a CRL listing every revoked serial. It is made from the previous CRL (`--lastcrl`), so its CRL number
 * grows: charon replaces a loaded CRL only by one with a higher number.
 */
export async function signCrl(ca: Ca): Promise<string> {
  const last = fs.existsSync(crlPath(ca)) ? currentCrl(ca) : undefined;
  const listed = new Set(last ? await crlSerials(last) : []);
  const add = certRecords(ca).filter((r) => r.revoked && !listed.has(r.serial.toUpperCase()));
  const crl = await pkiTool([
    "--signcrl",
    "--cacert",
    caCertPath(ca),
    "--cakey",
    caKeyPath(ca),
    "--lifetime",
    String(CRL_LIFETIME_DAYS),
    ...(last ? ["--lastcrl", crlPath(ca)] : []),
    ...add.flatMap((r) => ["--reason", "cessation-of-operation", "--date", String(Math.floor(Date.parse(r.revoked!) / 1000)), "--serial", r.serial]),
    "--outform",
    "pem",
  ]);
  const tmp = `${crlPath(ca)}.tmp`;
  writePublic(tmp, crl);
  fs.renameSync(tmp, crlPath(ca));
  return crl;
}
