import { strict as assert } from "assert";
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { requireRoot, requireTools } from "../helpers/env";
import { defaultStateDir } from "../../lab/lab";
import { labNamespaces, processesIn } from "../../lab/netns";

const PREFIX = "s2life";
const CLI = path.resolve(__dirname, "..", "..", "bin", "stage2");

/** Starts `stage2 lab up` and resolves once a line matching `until` was printed. */
function upUntil(until: RegExp): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(CLI, ["lab", "up", "--prefix", PREFIX], { stdio: ["ignore", "pipe", "pipe"] });
  let text = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no line matching ${until} within 60 s:\n${text}`)), 60_000);
    const onData = (b: Buffer) => {
      text += b.toString();
      if (until.test(text)) {
        clearTimeout(timer);
        resolve({ child, output: () => text });
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("exit", () => reject(new Error(`lab up exited before ${until}:\n${text}`)));
  });
}

const exited = (child: ChildProcess): Promise<number | null> =>
  new Promise((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.on("exit", (code) => resolve(code))));

describe("lab lifecycle: a crashed run is cleaned by the next up; Ctrl-C leaves nothing", function () {
  this.timeout(90_000);

  before(function () {
    requireRoot(this);
    requireTools(this, "ip", "nsenter", "unshare", "sshd");
  });

  after(async () => {
    // Only if an assertion failed half-way: the CLI's own down, so the machine is left clean either way.
    if ((await labNamespaces(PREFIX)).length) spawn(CLI, ["lab", "down", "--prefix", PREFIX], { stdio: "ignore" });
  });

  it("--config-file: a stack with a real public address is refused, naming it, before anything is built", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stage2-lab-"));
    try {
      const file = path.join(dir, "Pulumi.custom.yaml");
      const lab = fs.readFileSync(path.resolve(__dirname, "..", "..", "stacks", "Pulumi.lab.yaml"), "utf8");
      fs.writeFileSync(file, lab.replace("ipv4: 203.0.113.10", "ipv4: 1.2.3.4"));
      const child = spawn(CLI, ["lab", "up", "--config-file", file, "--prefix", PREFIX], { stdio: ["ignore", "pipe", "pipe"] });
      let text = "";
      child.stdout.on("data", (b: Buffer) => (text += b.toString()));
      child.stderr.on("data", (b: Buffer) => (text += b.toString()));
      assert.equal(await exited(child), 1, text);
      assert.match(text, new RegExp(`lab: up from ${file.replace(/[.]/g, "\\.")}`));
      assert.match(
        text,
        /lab-gw: server\.ipv4 1\.2\.3\.4 is not in a documentation range \(192\.0\.2\.0\/24, 198\.51\.100\.0\/24, 203\.0\.113\.0\/24\); the lab never uses real public addresses/,
      );
      assert.deepEqual(await labNamespaces(PREFIX), []);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("kill -9 during up leaves namespaces and sshd; the next up removes them first; Ctrl-C then cleans everything", async () => {
    const crashed = await upUntil(/^lab: sshd\+pki /m);
    crashed.child.kill("SIGKILL");
    await exited(crashed.child);
    const left = await labNamespaces(PREFIX);
    assert.equal(left.length, 10, `namespaces after the crash: ${left.join(" ")}`);
    assert.ok(processesIn(left).length >= 1, "the crashed run's sshd should still be running");

    const second = await upUntil(/^lab: namespaces /m);
    assert.match(second.output(), /^lab: clean .* removed a previous run's \d+ process\(es\), netns s2life-/m);
    const stateDir = defaultStateDir(PREFIX);
    const namespaces = await labNamespaces(PREFIX);
    assert.equal(namespaces.length, 10);
    second.child.kill("SIGINT");
    const code = await exited(second.child);
    assert.equal(code, 130, second.output());
    assert.match(second.output(), /lab: interrupted, cleaning up\n(.*\n)*lab: removed .*netns s2life-/);
    assert.deepEqual(await labNamespaces(PREFIX), []);
    assert.deepEqual(processesIn(namespaces), []);
    assert.ok(!fs.existsSync(stateDir), `${stateDir} is left`);
    assert.ok(!fs.readFileSync("/proc/self/mountinfo", "utf8").includes(stateDir), "a lab mount is left");
  });
});
