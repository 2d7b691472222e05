import * as fs from "fs";
import { parseArgs, UsageError } from "../args";
import { caDirFromFlags, readPassphrase, writeStackPki } from "../pki-stack";
import { stackFileFromFlags, STACK_FLAGS } from "../stack-source";
import { formatRecords } from "./pki";
import { activeCerts, caCert, certDir, certRecords, checkName, currentCrl, issue, openCa, revoke } from "../../components/pki/ca";
import { writePkcs12 } from "../../components/pki/pkcs12";
import { userIdentities } from "../../components/pki/user-identities";

export const summary = "certificate users of the environment's CA: add (certificate + PKCS#12), revoke, remove, list";
export const usage = `usage: stage2 users <add|revoke|remove|list> [<name>] --ca-dir <dir> ...

  add <name>    [--days 365] and the PKCS#12 passphrase from --passphrase-file <f>, --passphrase-stdin or
                $STAGE2_P12_PASSPHRASE (never on the command line; at least 8 characters)
                issue <name>'s certificate (subject CN=<name>, SAN <name>, EKU clientAuth) and write
                users/<name>/<name>.p12 (Windows, Android, NetworkManager) and <name>-apple.p12 (macOS/iOS:
                legacy encryption, the only kind their import takes), both 0600. A revoked name can be added again.
  revoke <name> (--stack <env> | --config-file <path>)
                put <name>'s certificates on the CRL, and the CRL and <name>'s identities into the stack; the next
                converge loads the CRL (charon refuses the user from then on) and closes <name>'s live tunnels
  remove <name> (--stack <env> | --config-file <path>)   revoke, then delete the user's key and bundles
  list          every user certificate, with its serial and state

--ca-dir may be given as $STAGE2_CA_DIR. Hand a user the .p12 and the profile folder from \`stage2 clients\`;
give the passphrase over another channel.`;

const USER_DAYS = 365;

export async function run(argv: string[]): Promise<number> {
  const { flags, positionals } = parseArgs(argv, { values: [...STACK_FLAGS, "ca-dir", "days", "passphrase-file"], booleans: ["passphrase-stdin"] });
  const [sub, name, ...rest] = positionals;
  if (rest.length) throw new UsageError(`unexpected argument ${JSON.stringify(rest[0])}`);
  const ca = openCa(caDirFromFlags(flags));
  if (sub === "list") {
    if (name !== undefined) throw new UsageError("list takes no name");
    process.stdout.write(formatRecords(certRecords(ca).filter((r) => r.kind === "user")));
    return 0;
  }
  if (sub !== "add" && sub !== "revoke" && sub !== "remove")
    throw new UsageError(sub ? `unknown sub-command ${JSON.stringify(sub)}` : "which sub-command? add, revoke, remove or list");
  if (name === undefined) throw new UsageError(`${sub} needs a user name`);
  checkName("user", name);
  if (sub === "add") {
    if (activeCerts(ca, "user", name).length) throw new Error(`user ${name} already holds a valid certificate: revoke it first (stage2 users revoke ${name})`);
    const passphrase = readPassphrase(flags);
    const daysFlag = flags["days"];
    if (daysFlag !== undefined && (typeof daysFlag !== "string" || !/^[1-9][0-9]{0,4}$/.test(daysFlag)))
      throw new UsageError("--days must be a number of days");
    const ids = userIdentities(name);
    const issued = await issue(ca, { kind: "user", name, subject: ids.subject, sans: ids.sans, lifetimeDays: daysFlag ? Number(daysFlag) : USER_DAYS });
    const p12 = await writePkcs12(ca, name, passphrase);
    process.stdout.write(
      `issued ${name}'s certificate: serial ${issued.record.serial}, until ${issued.record.notAfter.slice(0, 10)}\n` +
        `  ${issued.certFile}\n  ${issued.keyFile} (0600)\n  ${p12.modern} (0600: Windows, Android, NetworkManager)\n  ${p12.apple} (0600: macOS, iOS)\n` +
        "hand over the passphrase separately, never beside the .p12\n",
    );
    return 0;
  }
  const stackFile = stackFileFromFlags(flags);
  if (!certRecords(ca).some((r) => r.kind === "user" && r.name === name)) throw new Error(`no user named ${name} in ${ca.dir}`);
  const serials = activeCerts(ca, "user", name).length ? await revoke(ca, "user", name) : [];
  if (sub === "revoke" && !serials.length) throw new Error(`user ${name} holds no valid certificate (already revoked)`);
  const { subject, sans } = userIdentities(name);
  // The identities a client of this certificate can present; their tunnels established before now are closed.
  const revoked = serials.length ? { ids: [subject, ...sans], at: new Date().toISOString().replace(/\.\d{3}Z$/, "Z") } : undefined;
  const changed = writeStackPki(stackFile, { ca: caCert(ca), crl: currentCrl(ca), revoked });
  if (sub === "remove") fs.rmSync(certDir(ca, "user", name), { recursive: true, force: true });
  process.stdout.write(
    (serials.length ? `revoked ${name}: serial ${serials.join(", ")} is on the CRL\n` : `${name} was already revoked\n`) +
      (sub === "remove" ? `removed ${name}'s key and bundles\n` : "") +
      changed.map((c) => `  set ${c}\n`).join("") +
      (changed.length ? "converge the gateways (pulumi up): they load the CRL and close the user's live tunnels\n" : "the stack already holds this CRL\n"),
  );
  return 0;
}
