import * as fs from "fs";
import * as path from "path";
import { runOk } from "../exec";

/**
 * Certificates for the corpus scenarios, issued per test run with strongSwan's `pki` (the corpus ships none): a CA
 * under the corpus's file name and one RSA certificate per host carrying the identities the scenarios use —
 * `<host>.strongswan.org` (DNS), `<host>@strongswan.org` (email) and the host's address (IP) as subjectAltNames.
 */

export interface HostCredentials {
  /** swanctl-relative path → PEM, e.g. "x509/moonCert.pem". */
  readonly files: ReadonlyMap<string, string>;
}

export interface ScenarioPki {
  readonly caCert: string;
  readonly hosts: ReadonlyMap<string, HostCredentials>;
}

const SERVERS = new Set(["moon", "sun", "venus"]);

const pki = (args: string[], input?: string): Promise<string> => runOk(["pki", ...args], { input, timeoutMs: 120_000 });

export async function issueScenarioPki(dir: string, hosts: readonly { name: string; address: string }[]): Promise<ScenarioPki> {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const caKeyFile = path.join(dir, "strongswanKey.pem");
  const caCertFile = path.join(dir, "strongswanCert.pem");
  fs.writeFileSync(caKeyFile, await pki(["--gen", "--type", "rsa", "--size", "2048", "--outform", "pem"]), { mode: 0o600 });
  const caCert = await pki([
    "--self",
    "--ca",
    "--lifetime",
    "2",
    "--in",
    caKeyFile,
    "--dn",
    "C=CH, O=strongSwan Project, CN=strongSwan Root CA",
    "--outform",
    "pem",
  ]);
  fs.writeFileSync(caCertFile, caCert);
  const issued = await Promise.all(
    hosts.map(async ({ name, address }) => {
      const key = await pki(["--gen", "--type", "rsa", "--size", "2048", "--outform", "pem"]);
      const keyFile = path.join(dir, `${name}Key.pem`);
      fs.writeFileSync(keyFile, key, { mode: 0o600 });
      const pub = await pki(["--pub", "--in", keyFile, "--outform", "pem"]);
      const cn = SERVERS.has(name) ? `${name}.strongswan.org` : `${name}@strongswan.org`;
      const cert = await pki(
        [
          "--issue",
          "--lifetime",
          "2",
          "--cacert",
          caCertFile,
          "--cakey",
          caKeyFile,
          "--outform",
          "pem",
          "--dn",
          `C=CH, O=strongSwan Project, CN=${cn}`,
          "--san",
          `${name}.strongswan.org`,
          "--san",
          `${name}@strongswan.org`,
          "--san",
          address,
          "--flag",
          "serverAuth",
          "--flag",
          "clientAuth",
        ],
        pub,
      );
      const files = new Map([
        ["x509ca/strongswanCert.pem", caCert],
        [`x509/${name}Cert.pem`, cert],
        [`rsa/${name}Key.pem`, key],
      ]);
      return [name, { files }] as const;
    }),
  );
  return { caCert, hosts: new Map(issued) };
}
