import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/**
 * A throwaway charon for checking swanctl configs with the daemon itself: its own network namespace (it never
 * binds the machine's IKE ports), a private /run (its pid file), and a vici socket in a temp dir.
 */
export class CharonSandbox {
  readonly dir: string;
  readonly uri: string;
  private proc?: ChildProcess;

  constructor() {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), "stage2-charon-"));
    this.uri = `unix://${this.dir}/charon.vici`;
  }

  async start(): Promise<void> {
    const conf = path.join(this.dir, "strongswan.conf");
    fs.writeFileSync(
      conf,
      [
        "charon {",
        "\tload_modular = yes",
        "\tplugins {",
        "\t\tinclude /etc/strongswan.d/charon/*.conf",
        `\t\tvici {\n\t\t\tsocket = ${this.uri}\n\t\t}`,
        "\t\tstroke {\n\t\t\tload = no\n\t\t}",
        "\t\tbypass-lan {\n\t\t\tload = no\n\t\t}",
        "\t}",
        `\tfilelog {\n\t\tsandbox {\n\t\t\tpath = ${this.dir}/charon.log\n\t\t\tdefault = 1\n\t\t}\n\t}`,
        "}",
        "",
      ].join("\n"),
    );
    const script = "mount -t tmpfs tmpfs /run && exec /usr/lib/ipsec/charon";
    this.proc = spawn("unshare", ["--net", "--mount", "--propagation", "private", "bash", "-c", script], {
      env: { ...process.env, STRONGSWAN_CONF: conf },
      stdio: "ignore",
    });
    for (let i = 0; i < 100; i++) {
      if (fs.existsSync(`${this.dir}/charon.vici`) && this.swanctl(["--stats"]).code === 0) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`charon did not start: ${this.log()}`);
  }

  /** Runs swanctl against this charon; `swanctlDir` is the directory holding swanctl.conf and its x509/private/... dirs. */
  swanctl(args: string[], swanctlDir?: string): { code: number; out: string } {
    const r = spawnSync("swanctl", [...args, "--uri", this.uri], {
      env: { ...process.env, ...(swanctlDir ? { SWANCTL_DIR: swanctlDir } : {}) },
      encoding: "utf8",
    });
    return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
  }

  log(): string {
    const file = `${this.dir}/charon.log`;
    return fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "(no log)";
  }

  stop(): void {
    this.proc?.kill("SIGTERM");
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
