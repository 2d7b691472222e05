import * as fs from "fs";
import * as path from "path";
import { parseArgs, UsageError } from "../args";
import { floatingIpOf, loadStack, printWarnings, STACK_FLAGS, stackFileFromFlags } from "../stack-source";
import { ClientProfile, fileStem, gatewayProfiles } from "../../components/clients/profile";
import { renderMobileconfig } from "../../components/clients/mobileconfig";
import { renderSswan } from "../../components/clients/sswan";
import { renderWindowsScript } from "../../components/clients/windows";
import { renderNmKeyfile } from "../../components/clients/networkmanager";
import { CLIENT_SECRETS_FILE, clientTrustFile, renderClientSecrets, renderClientSwanctl } from "../../components/clients/swanctl-client";
import { formatVerdicts, Platform, Verdict, verdicts } from "../../components/clients/compatibility";

export const summary = "write every road-warrior user's client profiles (Apple, Android, Windows, NetworkManager, Linux)";
export const usage = `usage: stage2 clients (--stack <env> | --config-file <path>) [--gateway <name>] [--user <id>] --out <dir>

Writes <dir>/<gateway>/<class>/<user>/ with, built from the same model as the gateway's swanctl.conf:
  <user>.mobileconfig   macOS / iOS (IKEv2 payload with the gateway's algorithms)
  <user>.sswan          strongSwan Android app (not for PSK classes: the app has no PSK)
  <user>.ps1            Windows: Add-VpnConnection + Set-VpnConnectionIPsecConfiguration (no PSK: Windows has none)
  <user>.nmconnection   NetworkManager keyfile for network-manager-strongswan (mode 0600)
  linux/swanctl.conf    a Linux strongSwan client, with linux/x509ca or linux/x509 holding the trust anchor
EAP passwords are never written into a profile. A lab stack's plain (not secure:) secret goes to
linux/conf.d/stage2-secrets.conf, and a PSK into the .mobileconfig (Apple requires it there), both mode 0600. Prints which native clients each class supports, and why not.
<dir> must not exist or be empty.`;

function write(file: string, content: string, mode = 0o644): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content, { mode });
  fs.chmodSync(file, mode);
}

/** Renders one format; a platform the compatibility table rules out, or that cannot serve this class, is reported by its reason, not written. */
function attempt(skipped: string[], what: string, verdict: Verdict | undefined, render: () => void): void {
  if (verdict && !verdict.ok) {
    skipped.push(`${what}: ${verdict.notes.join("; ")}`);
    return;
  }
  try {
    render();
  } catch (err) {
    skipped.push(`${what}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

export async function run(argv: string[]): Promise<number> {
  const { flags } = parseArgs(argv, { values: [...STACK_FLAGS, "out", "gateway", "user"] });
  const out = flags["out"];
  if (typeof out !== "string") throw new UsageError("--out <dir> is required");
  if (fs.existsSync(out) && fs.readdirSync(out).length) throw new Error(`${out} is not empty: give a new or empty directory`);
  const loaded = loadStack(stackFileFromFlags(flags));
  printWarnings(loaded);
  const gateways = loaded.stack.gateways.filter((gw) => flags["gateway"] === undefined || gw.name === flags["gateway"]);
  if (!gateways.length) throw new Error(`no gateway named ${JSON.stringify(flags["gateway"])} in this stack`);
  const user = typeof flags["user"] === "string" ? flags["user"] : undefined;
  const profiles: ClientProfile[] = gateways.flatMap((gw) => gatewayProfiles(gw, floatingIpOf(gw), user));
  if (!profiles.length) throw new Error(user ? `no road-warrior user ${JSON.stringify(user)}` : "this stack has no road-warrior classes");

  const plain = new Set(loaded.plainSecrets);
  const skipped: string[] = [];
  const notes: string[] = [];
  let files = 0;
  const seenClasses = new Set<string>();
  for (const p of profiles) {
    const classKey = `${p.gateway}/${p.connection}`;
    if (!seenClasses.has(classKey)) {
      seenClasses.add(classKey);
      process.stdout.write(formatVerdicts(`${classKey} (${p.auth}${p.gatewayKeyType ? `, gateway key ${p.gatewayKeyType}` : ""}):`, verdicts(p)));
    }
    const verdictOf = (platform: Platform) => verdicts(p).find((v) => v.platform === platform);
    const dir = path.join(out, p.gateway, p.connection, fileStem(p));
    const stem = path.join(dir, fileStem(p));
    const put = (file: string, content: string, mode?: number) => {
      write(file, content, mode);
      files++;
    };
    // Apple's PSK profile must hold the key: only a plain (lab) value is written in, and that file is 0600.
    const plainSecret = p.secretRef !== undefined && plain.has(p.secretRef) ? loaded.secrets[p.secretRef] : undefined;
    const applePsk = p.auth === "psk" ? plainSecret : undefined;
    attempt(skipped, `${classKey} ${p.user} .mobileconfig`, verdictOf("apple"), () =>
      put(`${stem}.mobileconfig`, renderMobileconfig(p, applePsk), applePsk ? 0o600 : 0o644),
    );
    if (p.auth === "psk" && fs.existsSync(`${stem}.mobileconfig`)) {
      notes.push(
        applePsk
          ? `${classKey} ${p.user} .mobileconfig holds the PSK (Apple requires it in the profile): mode 0600, hand it over like a password`
          : `${classKey} ${p.user} .mobileconfig has no SharedSecret: stage2:${p.secretRef} is a secure value; add it before installing, then keep the file like a password`,
      );
    }
    attempt(skipped, `${classKey} ${p.user} .sswan`, verdictOf("android-strongswan"), () => put(`${stem}.sswan`, renderSswan(p)));
    attempt(skipped, `${classKey} ${p.user} .ps1`, verdictOf("windows"), () => {
      put(`${stem}.ps1`, renderWindowsScript(p));
      if (p.trust?.kind === "ca") put(path.join(dir, `${p.connection}-ca.cer`), p.trust.pem);
    });
    put(`${stem}.nmconnection`, renderNmKeyfile(p), 0o600);
    if (p.trust) put(path.join(dir, `${p.connection}-trust.pem`), p.trust.pem);
    put(path.join(dir, "linux", "swanctl.conf"), renderClientSwanctl(p));
    const trust = clientTrustFile(p);
    if (trust && p.trust) put(path.join(dir, "linux", trust.dir, trust.name), p.trust.pem);
    if (plainSecret !== undefined) {
      put(path.join(dir, "linux", CLIENT_SECRETS_FILE), renderClientSecrets(p, plainSecret), 0o600);
    } else if (p.secretRef !== undefined) {
      skipped.push(`${classKey} ${p.user} linux/${CLIENT_SECRETS_FILE}: stage2:${p.secretRef} is a secure value; hand it over separately`);
    }
  }
  for (const line of skipped) process.stdout.write(`skipped ${line}\n`);
  for (const line of notes) process.stdout.write(`note: ${line}\n`);
  process.stdout.write(`wrote ${files} files for ${profiles.length} user(s) to ${out}\n`);
  return 0;
}
