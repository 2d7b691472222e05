import { ChildProcess, execFileSync, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/**
 * One real charon 5.9.8 to load swanctl.conf files into, sealed off from the host: its own network namespace
 * (only a loopback that stays down, so nothing it initiates can leave), its own mount namespace with a private
 * /run (pid file), a vici socket in a temporary directory, no stroke and no bypass-lan plugin. swanctl talks to
 * it with --uri. Credentials referenced by a file are stood in by one generated RSA certificate and key, so a
 * connection is judged on its configuration, not on files that exist only in strongSwan's test environment.
 */

export const CHARON = "/usr/lib/ipsec/charon";

// Debian's default plugin set minus stroke and bypass-lan, and minus plugins that reach outside (dhcp, farp, ha).
const CHARON_PLUGINS =
  "random nonce aes sha1 sha2 md5 hmac xcbc gmp openssl curve25519 gcm chapoly mgf1 kdf drbg pem pkcs1 pkcs7 pkcs8 pkcs12 pgp dnskey sshkey x509 pubkey " +
  "revocation constraints attr kernel-netlink resolve socket-default vici updown counters unity " +
  "eap-identity eap-md5 eap-mschapv2 eap-tls eap-ttls eap-radius eap-aka eap-gtc xauth-generic xauth-eap xauth-pam";
/** What swanctl needs to load connections and credentials, no more: each plugin costs every call its load (emulated, a second). */
export const SWANCTL_PLUGINS = "random nonce aes sha1 sha2 md5 hmac gmp openssl curve25519 pem pkcs1 pkcs8 pkcs12 x509 pubkey";

// Where swanctl looks for each kind of credential, relative to the directory of the loaded file.
export const CREDENTIAL_DIRS = ["x509", "x509ca", "x509ocsp", "x509aa", "x509ac", "x509crl", "pubkey", "private", "rsa", "ecdsa", "bliss", "pkcs8", "pkcs12"];

export interface LoadFailure {
  readonly what: "connection" | "pool" | "authority";
  readonly name: string;
  /** charon's reason as swanctl prints it. */
  readonly reason: string;
}

export interface LoadResult {
  /** Every connection and pool loaded: no configuration error. */
  readonly accepted: boolean;
  readonly connections: number;
  readonly failures: readonly LoadFailure[];
  /** Credential problems (missing or unreadable files): reported, not a configuration error. */
  readonly credentialNotes: readonly string[];
  readonly output: string;
}

export function charonMissing(): string | undefined {
  for (const tool of [CHARON, "/usr/sbin/swanctl", "/usr/bin/unshare", "/usr/bin/openssl"]) {
    if (!fs.existsSync(tool)) return `${tool} not found`;
  }
  if (process.getuid?.() !== 0) return "needs root (network and mount namespaces)";
  return undefined;
}

export class CharonSandbox {
  readonly dir: string;
  private child?: ChildProcess;
  private readonly conf: string;
  private readonly socket: string;
  private readonly stand: { cert: Buffer; certDer: Buffer; key: Buffer; pub: Buffer };

  private constructor(dir: string) {
    this.dir = dir;
    this.conf = path.join(dir, "strongswan.conf");
    this.socket = path.join(dir, "charon.vici");
    const pem = (name: string) => path.join(dir, name);
    execFileSync(
      "openssl",
      ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", pem("key.pem"), "-out", pem("cert.pem"), "-subj", "/CN=stage2 stand-in", "-days", "2"],
      { stdio: "pipe" },
    );
    execFileSync("openssl", ["x509", "-in", pem("cert.pem"), "-outform", "DER", "-out", pem("cert.der")], { stdio: "pipe" });
    execFileSync("openssl", ["pkey", "-in", pem("key.pem"), "-pubout", "-out", pem("pub.pem")], { stdio: "pipe" });
    this.stand = {
      cert: fs.readFileSync(pem("cert.pem")),
      certDer: fs.readFileSync(pem("cert.der")),
      key: fs.readFileSync(pem("key.pem")),
      pub: fs.readFileSync(pem("pub.pem")),
    };
    fs.writeFileSync(
      this.conf,
      [
        "charon {",
        `\tload = ${CHARON_PLUGINS}`,
        "\tinstall_routes = no",
        "\tinstall_virtual_ip = no",
        "\tplugins {",
        `\t\tvici {\n\t\t\tsocket = unix://${this.socket}\n\t\t}`,
        "\t}",
        `\tfilelog {\n\t\tlog {\n\t\t\tpath = ${path.join(dir, "charon.log")}\n\t\t\tdefault = 1\n\t\t}\n\t}`,
        "}",
        `swanctl {\n\tload = ${SWANCTL_PLUGINS}\n}`,
        "",
      ].join("\n"),
    );
  }

  /** Starts charon and waits for its vici socket. */
  static async start(): Promise<CharonSandbox> {
    const box = new CharonSandbox(fs.mkdtempSync(path.join(os.tmpdir(), "stage2-charon-")));
    // unshare execs sh in the new namespaces, sh execs charon: the child's pid is charon's.
    box.child = spawn("unshare", ["--net", "--mount", "--propagation", "private", "sh", "-c", `mount -t tmpfs tmpfs /run && exec ${CHARON}`], {
      env: { ...process.env, STRONGSWAN_CONF: box.conf },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    box.child.stderr?.on("data", (d) => (stderr += String(d)));
    // Should the test process end before stop() (an exception, Ctrl-C), charon must not outlive it.
    const child = box.child;
    const reap = () => child.exitCode === null && child.kill("SIGKILL");
    process.once("exit", reap);
    child.once("exit", () => process.removeListener("exit", reap));
    for (let i = 0; i < 100; i++) {
      if (fs.existsSync(box.socket)) return box;
      if (box.child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await box.stop();
    throw new Error(`charon did not open its vici socket: ${stderr.trim()}`);
  }

  /** Stands in every credential file the configuration names, inside the directory `swanctlDir`. */
  provideCredentials(swanctlDir: string, refs: { dir: string; file: string }[]): void {
    for (const sub of CREDENTIAL_DIRS) fs.mkdirSync(path.join(swanctlDir, sub), { recursive: true });
    for (const ref of refs) {
      if (path.isAbsolute(ref.file) || ref.file.includes("..")) continue;
      const target = path.join(swanctlDir, ref.dir, ref.file);
      if (fs.existsSync(target)) continue;
      fs.mkdirSync(path.dirname(target), { recursive: true });
      const content = ref.dir === "pubkey" ? this.stand.pub : /\.(der|crt|cer)$/i.test(ref.file) ? this.stand.certDer : this.stand.cert;
      fs.writeFileSync(target, content);
    }
  }

  /** `swanctl --load-all --file FILE` against this charon; replaces whatever an earlier file loaded. */
  load(file: string): LoadResult {
    const res = spawnSync("swanctl", ["--load-all", "--file", file, "--uri", `unix://${this.socket}`], {
      env: { ...process.env, STRONGSWAN_CONF: this.conf },
      encoding: "utf8",
      timeout: 20000,
    });
    const output = `${res.stdout ?? ""}${res.stderr ?? ""}`;
    const failures: LoadFailure[] = [];
    const credentialNotes: string[] = [];
    let connections = 0;
    let reachedConnections = false;
    for (const line of output.split("\n")) {
      let m = /^loading (connection|pool|authority) '(.*)' failed: (.*)$/.exec(line);
      if (m) {
        failures.push({ what: m[1] as LoadFailure["what"], name: m[2], reason: m[3] });
        continue;
      }
      m = /^successfully loaded (\d+) connections|^loaded (\d+) of \d+ connections/.exec(line);
      if (m) {
        reachedConnections = true;
        connections = Number(m[1] ?? m[2]);
        continue;
      }
      if (/^no connections found/.test(line)) reachedConnections = true;
      else if (/certificate|private key|public key|failed: No such file/.test(line) && /failed/.test(line)) credentialNotes.push(line);
    }
    const configFailures = failures.filter((f) => f.what !== "authority");
    return {
      accepted: reachedConnections && configFailures.length === 0 && !failures.some((f) => f.what === "authority" && !/No such file/.test(f.reason)),
      connections,
      failures,
      credentialNotes,
      output,
    };
  }

  /** Any swanctl command against this charon (e.g. --list-conns after a load). */
  swanctl(args: string[]): { code: number; out: string } {
    const res = spawnSync("swanctl", [...args, "--uri", `unix://${this.socket}`], {
      env: { ...process.env, STRONGSWAN_CONF: this.conf },
      encoding: "utf8",
      timeout: 20000,
    });
    return { code: res.status ?? -1, out: `${res.stdout ?? ""}${res.stderr ?? ""}` };
  }

  log(): string {
    const file = path.join(this.dir, "charon.log");
    return fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "(no log)";
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null && child.pid !== undefined) {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
