import { parseArgs, UsageError } from "../args";
import { caDirFromFlags, writeStackPki } from "../pki-stack";
import { stackFileFromFlags, STACK_FLAGS } from "../stack-source";
import { loadStackFile } from "../../stacks/load";
import { readTextFile } from "../../components/util/read-file";
import { caCert, certRecords, CertRecord, currentCrl, initCa, issue, KEY_TYPES, KeyType, openCa, signCrl } from "../../components/pki/ca";
import { FQDN, gatewayFacts } from "../../components/pki/stack-update";

export const summary = "the environment's CA: create it, issue gateway certificates, re-sign the CRL";
export const usage = `usage: stage2 pki <init|gateway|crl|list> --ca-dir <dir> ...

  init    [--stack <env>] [--name <CA name>] [--key-type ${KEY_TYPES.join("|")}]
          create the environment's CA in <dir> (mode 0700; keys 0600, never printed). Default key type rsa-3072:
          every native client (Windows, macOS/iOS, Android, NetworkManager, Linux) verifies RSA.
  gateway (--stack <env> | --config-file <path>) --gateway <name> [--dns <name>[,<name>...]] [--days 825]
          issue the gateway's certificate: subject and first SAN the DNS name clients dial (--dns, else the
          classes' local.id), then the floating IP; EKU serverAuth + IKE Intermediate. Writes it into every
          certificate class of that gateway (local.cert), the CA and CRL into every certificate-client class
          (clients.ca, clients.crl), and tells which secure: key takes the private key.
  crl     (--stack <env> | --config-file <path>)   re-sign the CRL (before its nextUpdate) and write it into the stack
  list    every certificate the CA issued, with its serial and state

--ca-dir may be given as $STAGE2_CA_DIR. One directory per environment, outside the repository.`;

const GATEWAY_DAYS = 825; // Apple's limit for TLS server certificates from a private CA

function intFlag(flags: Record<string, string | true>, name: string, dflt: number): number {
  const raw = flags[name];
  if (raw === undefined) return dflt;
  if (typeof raw !== "string" || !/^[1-9][0-9]{0,4}$/.test(raw)) throw new UsageError(`--${name} must be a number of days`);
  return Number(raw);
}

export function formatRecords(records: readonly CertRecord[]): string {
  if (!records.length) return "no certificates issued\n";
  const rows = records.map(
    (r) =>
      `${r.kind.padEnd(8)} ${r.name.padEnd(28)} ${r.serial}  ${(r.revoked ? `revoked ${r.revoked.slice(0, 10)}` : "valid").padEnd(18)} until ${r.notAfter.slice(0, 10)}`,
  );
  return `${"kind".padEnd(8)} ${"name".padEnd(28)} ${"serial".padEnd(24)}  ${"state".padEnd(18)} notAfter\n${rows.join("\n")}\n`;
}

/** The secure: keys a gateway's certificate key goes to, as the commands that set them (the key file is read by pulumi, never shown). */
export function keyInstructions(stackFile: string, keySecrets: readonly string[], keyFile: string): string {
  const stack = loadStackFile(stackFile).stack;
  return keySecrets.map((k) => `  pulumi config set --secret --stack ${stack} stage2:${k} < ${keyFile}\n`).join("");
}

export async function run(argv: string[]): Promise<number> {
  const { flags, positionals } = parseArgs(argv, { values: [...STACK_FLAGS, "ca-dir", "name", "key-type", "gateway", "dns", "days"] });
  const [sub, ...rest] = positionals;
  if (rest.length) throw new UsageError(`unexpected argument ${JSON.stringify(rest[0])}`);
  const dir = caDirFromFlags(flags);
  switch (sub) {
    case "init": {
      const keyType = (flags["key-type"] ?? "rsa-3072") as KeyType;
      if (!KEY_TYPES.includes(keyType)) throw new UsageError(`--key-type must be one of ${KEY_TYPES.join(", ")}`);
      const env = typeof flags["stack"] === "string" ? flags["stack"] : undefined;
      const name = typeof flags["name"] === "string" ? flags["name"] : `stage2 ${env ?? "VPN"} CA`;
      const ca = await initCa(dir, { name, keyType });
      process.stdout.write(`created CA "CN=${ca.name}" (${ca.keyType}) in ${dir}: ca.pem, crl.pem; its key is private/ca.key (0600)\n`);
      return 0;
    }
    case "gateway": {
      const ca = openCa(dir);
      const stackFile = stackFileFromFlags(flags);
      const gateway = flags["gateway"];
      if (typeof gateway !== "string") throw new UsageError("--gateway <name> is required");
      const facts = gatewayFacts(readTextFile(stackFile), gateway);
      if (!facts.floatingIp) throw new Error(`${gateway}: floatingIp.address is not set; the certificate must name the address clients dial`);
      if (!facts.keySecrets.length) throw new Error(`${gateway}: no road-warrior class proves itself by certificate (local.kind: pubkey)`);
      const given = typeof flags["dns"] === "string" ? flags["dns"].split(",").filter(Boolean) : [];
      for (const name of given) if (!FQDN.test(name)) throw new UsageError(`--dns ${JSON.stringify(name.slice(0, 80))} is not a DNS name like vpn.example.com`);
      const dns = [...new Set([...given, ...facts.localIds])];
      const issued = await issue(ca, {
        kind: "gateway",
        name: gateway,
        subject: `CN=${dns[0] ?? facts.floatingIp}`,
        sans: [...dns, facts.floatingIp],
        lifetimeDays: intFlag(flags, "days", GATEWAY_DAYS),
      });
      const changed = writeStackPki(stackFile, { gatewayCerts: { [gateway]: issued.cert }, ca: caCert(ca), crl: currentCrl(ca) });
      process.stdout.write(
        `issued ${gateway}'s certificate: serial ${issued.record.serial}, ${issued.record.subject}, SANs ${issued.record.sans.join(", ")}, until ${issued.record.notAfter.slice(0, 10)}\n` +
          changed.map((c) => `  set ${c}\n`).join("") +
          `its private key is ${issued.keyFile} (0600); put it into the stack's secret config, then converge (pulumi up):\n` +
          keyInstructions(stackFile, facts.keySecrets, issued.keyFile),
      );
      return 0;
    }
    case "crl": {
      const ca = openCa(dir);
      const stackFile = stackFileFromFlags(flags);
      await signCrl(ca);
      const changed = writeStackPki(stackFile, { ca: caCert(ca), crl: currentCrl(ca) });
      process.stdout.write(`re-signed the CRL (${certRecords(ca).filter((r) => r.revoked).length} revoked)\n${changed.map((c) => `  set ${c}\n`).join("")}`);
      return 0;
    }
    case "list":
      process.stdout.write(formatRecords(certRecords(openCa(dir))));
      return 0;
    default:
      throw new UsageError(sub ? `unknown sub-command ${JSON.stringify(sub)}` : "which sub-command? init, gateway, crl or list");
  }
}
