import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PATIENT_GOBGP, ROUTE_POLLER } from "../../lab/peers";
import { requireRoot, requireTools } from "../helpers/env";

/** The kube-router stand-in on the lab's nodes, run against a real gobgpd in a network namespace of its own. */
describe("the nodes' route poller (gobgpd's best paths into the kernel)", function () {
  this.timeout(60_000);
  let dir: string;
  before(function () {
    requireRoot(this);
    requireTools(this, "unshare", "ip", "gobgpd", "gobgp");
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "stage2-poller-"));
    fs.writeFileSync(path.join(dir, "poller"), ROUTE_POLLER, { mode: 0o755 });
    fs.writeFileSync(path.join(dir, "gobgpd.toml"), '[global.config]\n  as = 64512\n  router-id = "192.0.2.1"\n  port = -1\n');
  });
  after(() => dir && fs.rmSync(dir, { recursive: true, force: true }));

  /** Runs `steps` in a network namespace of its own with gobgpd and the poller (`pollerArg`); returns its output lines. */
  const run = (pollerArg: string, steps: readonly string[]): string[] => {
    const script = [
      "set -e",
      "ip link set lo up",
      "ip link add d0 type veth peer name d1; ip address add 192.0.2.1/24 dev d0; ip link set d1 up; ip link set d0 up",
      `gobgpd -t toml -f ${dir}/gobgpd.toml --api-hosts 127.0.0.1:50051 --pprof-disable >/dev/null 2>&1 & g=$!`,
      `${dir}/poller ${pollerArg} & p=$!`,
      'trap "kill $p $g" EXIT',
      'wait_for() { for i in $(seq 300); do eval "$1" && return 0; sleep 0.05; done; echo "timed out: $1"; return 1; }',
      "wait_for 'gobgp global >/dev/null 2>&1'",
      ...steps,
    ].join("\n");
    const r = spawnSync("unshare", ["--net", "bash", "-c", script], { encoding: "utf8", timeout: 50_000 });
    const lines = `${r.stdout}${r.stderr}`
      .split("\n")
      .map((l) => l.trim())
      .filter(Boolean);
    assert.equal(r.status, 0, lines.join("\n"));
    return lines;
  };

  it("adds a best path and removes a withdrawn one as gobgpd reports them, long before its periodic pass", () => {
    const lines = run("600", [
      "gobgp global rib -a ipv4 add 10.9.0.0/24 nexthop 192.0.2.9",
      "gobgp global rib -a ipv4 add 10.9.1.0/24 nexthop 192.0.2.10",
      "wait_for '[ $(ip -4 route show proto bgp | wc -l) = 2 ]'",
      'echo "added:"; ip -4 route show proto bgp',
      "gobgp global rib -a ipv4 del 10.9.1.0/24",
      "wait_for '[ $(ip -4 route show proto bgp | wc -l) = 1 ]'",
      'echo "withdrawn:"; ip -4 route show proto bgp',
    ]);
    assert.deepEqual(lines, [
      "added:",
      "10.9.0.0/24 via 192.0.2.9 dev d0",
      "10.9.1.0/24 via 192.0.2.10 dev d0",
      "withdrawn:",
      "10.9.0.0/24 via 192.0.2.9 dev d0",
    ]);
  });

  it("puts back a route removed behind its back on its periodic pass", () => {
    const lines = run("0.5", [
      "gobgp global rib -a ipv4 add 10.9.0.0/24 nexthop 192.0.2.9",
      "wait_for '[ $(ip -4 route show proto bgp | wc -l) = 1 ]'",
      "ip route del 10.9.0.0/24 proto bgp",
      "wait_for '[ $(ip -4 route show proto bgp | wc -l) = 1 ]'",
      'echo "put back:"; ip -4 route show proto bgp',
    ]);
    assert.deepEqual(lines, ["put back:", "10.9.0.0/24 via 192.0.2.9 dev d0"]);
  });
});

describe("the lab's gobgp calls (PATIENT_GOBGP)", () => {
  const run = (failures: number, error: string) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stage2-gobgp-"));
    try {
      // A stand-in client: fails `failures` times with `error`, then prints its arguments.
      fs.writeFileSync(
        path.join(dir, "gobgp"),
        `#!/bin/bash\nn=$(cat ${dir}/n 2>/dev/null || echo 0); echo $((n + 1)) > ${dir}/n\nif [ $n -lt ${failures} ]; then echo "${error}" >&2; exit 1; fi\necho "ok $*"\n`,
        { mode: 0o755 },
      );
      const r = spawnSync("bash", ["-c", `${PATIENT_GOBGP}\ngobgp global rib`], {
        encoding: "utf8",
        env: { ...process.env, PATH: `${dir}:${process.env.PATH}` },
      });
      return { code: r.status, out: r.stdout.trim(), calls: Number(fs.readFileSync(path.join(dir, "n"), "utf8")) };
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };

  it("retries the client's 1 s dial timeout until gobgpd answers", () => {
    assert.deepEqual(run(3, "context deadline exceeded"), { code: 0, out: "ok global rib", calls: 4 });
  });

  it("gives any other error back at once, with its exit code", () => {
    assert.deepEqual(run(3, "rpc error: code = NotFound desc = neighbor not found"), {
      code: 1,
      out: "rpc error: code = NotFound desc = neighbor not found",
      calls: 1,
    });
  });
});
