import * as fs from "fs";
import * as path from "path";
import { runOk } from "./exec";

/**
 * Certificates for a lab run, issued with strongSwan's own `pki`: a throw-away CA and the gateway's certificate
 * for its IKE identity (as subject and subjectAltName, so charon matches `id`). Nothing outlives the run.
 */
export interface LabCertificates {
  readonly caCert: string;
  readonly gatewayCert: string;
  readonly gatewayKey: string;
}

const pki = (args: string[], input?: string): Promise<string> => runOk(["pki", ...args], { input });

export async function issueLabCertificates(dir: string, gatewayId: string): Promise<LabCertificates> {
  if (!/^[A-Za-z0-9.@-]+$/.test(gatewayId)) throw new Error(`the lab issues certificates only for plain identities (got ${JSON.stringify(gatewayId)})`);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const caKey = await pki(["--gen", "--type", "ecdsa", "--size", "256", "--outform", "pem"]);
  fs.writeFileSync(path.join(dir, "ca.key"), caKey, { mode: 0o600 });
  const caCert = await pki(["--self", "--ca", "--lifetime", "2", "--in", path.join(dir, "ca.key"), "--dn", "CN=stage2 lab CA", "--outform", "pem"]);
  fs.writeFileSync(path.join(dir, "ca.pem"), caCert);
  const gatewayKey = await pki(["--gen", "--type", "ecdsa", "--size", "256", "--outform", "pem"]);
  fs.writeFileSync(path.join(dir, "gateway.key"), gatewayKey, { mode: 0o600 });
  const pub = await pki(["--pub", "--in", path.join(dir, "gateway.key"), "--outform", "pem"]);
  const gatewayCert = await pki(
    ["--issue", "--lifetime", "2", "--cacert", path.join(dir, "ca.pem"), "--cakey", path.join(dir, "ca.key"), "--dn", `CN=${gatewayId}`, "--san", gatewayId, "--flag", "serverAuth", "--outform", "pem"],
    pub,
  );
  fs.writeFileSync(path.join(dir, "gateway.pem"), gatewayCert);
  return { caCert, gatewayCert, gatewayKey };
}

export function readLabCertificates(dir: string): LabCertificates | undefined {
  const file = (f: string) => path.join(dir, f);
  if (!fs.existsSync(file("gateway.key"))) return undefined;
  return { caCert: fs.readFileSync(file("ca.pem"), "utf8"), gatewayCert: fs.readFileSync(file("gateway.pem"), "utf8"), gatewayKey: fs.readFileSync(file("gateway.key"), "utf8") };
}
