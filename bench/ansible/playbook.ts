import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { renderStackTo } from "../../cli/render-files";
import { loadStack } from "../../cli/stack-source";
import { GatewayModel } from "../../components/model/gateway";
import { Lab } from "../../lab/lab";

/**
 * Runs bench/ansible/gateway.yml against a lab gateway over SSH, from the lab's operator host, with the files
 * `stage2 render` writes for that gateway (the lab's run secrets and overrides, as the lab's converge uses).
 */

const HERE = path.resolve(__dirname);
export const PLAYBOOK = path.join(HERE, "gateway.yml");

const onPath = (tool: string): boolean => (process.env.PATH ?? "").split(":").some((dir) => dir !== "" && fs.existsSync(path.join(dir, tool)));

/**
 * Debian's ansible, installed on demand: only this bench needs it (no test does), and it is large. Returns why it
 * is still missing, if it is.
 */
export function ensureAnsible(say: (line: string) => void): string | undefined {
  if (onPath("ansible-playbook")) return undefined;
  say("  installing Debian's ansible package for the side by side (apt-get install -y ansible); only this bench needs it");
  const r = spawnSync("apt-get", ["install", "-y", "-q", "--no-install-recommends", "ansible"], {
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    encoding: "utf8",
  });
  if (r.status === 0 && onPath("ansible-playbook")) return undefined;
  return `apt-get install ansible failed (${r.status}): ${(r.stderr || r.stdout || "").trim().split("\n").slice(-2).join(" ")}`;
}

export interface PlaybookRun {
  readonly ms: number;
  /** From the play recap. */
  readonly ok: number;
  readonly changed: number;
  /** Handlers that ran, by name. */
  readonly handlers: readonly string[];
  /** Commands Ansible ran on the gateway over SSH (its -vvv "SSH: EXEC" lines). */
  readonly sshCommands: number;
}

/** Writes the gateway's rendered files below `dir` exactly as `stage2 render` does (cli/render-files.ts). */
function renderFor(lab: Lab, model: GatewayModel, dir: string): void {
  const loaded = loadStack(lab.state.stackFile);
  fs.rmSync(dir, { recursive: true, force: true });
  renderStackTo({ ...loaded, stack: { ...loaded.stack, gateways: [model] }, secrets: lab.secrets([model]) }, dir);
}

function inventory(lab: Lab, model: GatewayModel, renderedDir: string): string {
  const target = lab.target(model);
  const client = lab.client();
  const ssh = [
    "-o IdentitiesOnly=yes",
    `-o UserKnownHostsFile=${client.knownHostsFile}`,
    "-o GlobalKnownHostsFile=/dev/null",
    "-o StrictHostKeyChecking=yes",
    "-o BatchMode=yes",
  ].join(" ");
  return YAML.stringify({
    gateways: {
      hosts: {
        [model.name]: {
          ansible_host: target.host,
          ansible_port: target.port,
          ansible_user: target.user,
          ansible_ssh_private_key_file: client.keyFile,
          ansible_ssh_common_args: ssh,
          public_interface: model.publicInterface,
          rendered_dir: renderedDir,
        },
      },
    },
  });
}

/** Renders `model`, then applies it with the playbook; throws with Ansible's recap when a task failed. */
export async function runPlaybook(lab: Lab, model: GatewayModel, workDir: string): Promise<PlaybookRun> {
  const rendered = path.join(workDir, "rendered");
  renderFor(lab, model, rendered);
  const inv = path.join(workDir, "inventory.yml");
  fs.writeFileSync(inv, inventory(lab, model, rendered), { mode: 0o600 });
  const env = [`ANSIBLE_CONFIG=${path.join(HERE, "ansible.cfg")}`, `ANSIBLE_HOME=${path.join(workDir, "home")}`, "ANSIBLE_NOCOLOR=1", "ANSIBLE_FORCE_COLOR=0"];
  const t0 = Date.now();
  const r = await lab.host("ops").execNet(["env", ...env, "ansible-playbook", "-vvv", "-i", inv, PLAYBOOK], { timeoutMs: 300_000 });
  const ms = Date.now() - t0;
  const out = r.stdout + r.stderr;
  const recap = new RegExp(`^${model.name}\\s+: ok=(\\d+)\\s+changed=(\\d+)\\s+unreachable=(\\d+)\\s+failed=(\\d+)`, "m").exec(out);
  if (r.code !== 0 || !recap || recap[3] !== "0" || recap[4] !== "0") {
    const failed = out.split("\n").filter((l) => /^(fatal|failed|ERROR)|FAILED!/.test(l));
    throw new Error(`ansible-playbook exited ${r.code}: ${(failed.join("\n") || out.slice(-1500)).slice(0, 3000)}`);
  }
  return {
    ms,
    ok: Number(recap[1]),
    changed: Number(recap[2]),
    handlers: [...out.matchAll(/^RUNNING HANDLER \[([^\]]+)\]/gm)].map((m) => m[1]),
    sshCommands: (out.match(/SSH: EXEC ssh/g) ?? []).length,
  };
}
