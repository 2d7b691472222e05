import { strict as assert } from "assert";
import { renderApplyScript } from "../../components/host/apply-script";
import { decodePayload } from "../../components/host/payload";
import { Concern, HostPlan } from "../../components/host/types";
import { converge, ConvergeError } from "../../lab/converge";
import { RunResult } from "../../lab/exec";

const concern = (name: string, content: string): Concern => ({
  name,
  packages: [],
  files: [{ path: `/etc/${name}.conf`, content, mode: "0644" }],
  services: [],
});

const plan: HostPlan = { host: "gw", concerns: [concern("alpha", "a = 1\n"), concern("beta", "b = 2\n"), concern("gamma", "c = 3\n")] };

describe("lab converge (the transport between a host plan and its remote commands)", () => {
  it("sends each concern's direct apply script as the command and its files on stdin, in plan order", async () => {
    const seen: { command: string; stdin: string }[] = [];
    const replies: RunResult[] = [
      { code: 0, stdout: "stage2: alpha: changed 1 file(s): /etc/alpha.conf\nstage2: alpha: activated\n", stderr: "" },
      { code: 0, stdout: "stage2: beta: unchanged\n", stderr: "" },
      { code: 0, stdout: "stage2: gamma: unchanged\n", stderr: "" },
    ];
    const lines: string[] = [];
    const res = await converge(
      plan,
      async (command, stdin) => {
        seen.push({ command, stdin });
        return replies[seen.length - 1];
      },
      "direct",
      (l) => lines.push(l),
    );
    assert.deepEqual(
      seen.map((s) => s.command),
      plan.concerns.map((c) => renderApplyScript(c, "direct")),
    );
    assert.deepEqual(
      seen.map((s) => decodePayload(s.stdin)?.map((f) => [f.path, f.content])),
      [[["/etc/alpha.conf", "a = 1\n"]], [["/etc/beta.conf", "b = 2\n"]], [["/etc/gamma.conf", "c = 3\n"]]],
    );
    assert.deepEqual(
      res.results.map((r) => [r.concern, r.status]),
      [
        ["alpha", "activated"],
        ["beta", "unchanged"],
        ["gamma", "unchanged"],
      ],
    );
    assert.equal(res.activated, 1);
    assert.deepEqual(
      lines.map((l) => l.replace(/\(\d+ ms\)/, "(N ms)")),
      ["  gw: alpha              activated (N ms)", "  gw: beta               unchanged (N ms)", "  gw: gamma              unchanged (N ms)"],
    );
  });

  it("stops at the first failing concern and carries the script's own message", async () => {
    let calls = 0;
    const failing = converge(
      plan,
      async () => {
        calls++;
        return calls === 1
          ? { code: 0, stdout: "stage2: alpha: unchanged\n", stderr: "" }
          : {
              code: 1,
              stdout: "stage2: beta: changed 1 file(s): /etc/beta.conf\n",
              stderr: "stage2: beta: FAILED: activation failed, previous files restored: bird: syntax error\n",
            };
      },
      "direct",
    );
    await assert.rejects(failing, (e: unknown) => {
      assert.ok(e instanceof ConvergeError);
      assert.equal(e.concern, "beta");
      assert.equal(
        e.message,
        "gw: beta: stage2: beta: changed 1 file(s): /etc/beta.conf\nstage2: beta: FAILED: activation failed, previous files restored: bird: syntax error",
      );
      assert.deepEqual(
        e.done.map((r) => r.concern),
        ["alpha"],
      );
      return true;
    });
    assert.equal(calls, 2);
  });

  it("a zero exit without the script's verdict line is a failure, not a success", async () => {
    await assert.rejects(
      converge(plan, async () => ({ code: 0, stdout: "", stderr: "" }), "direct"),
      /gw: alpha: exit 0/,
    );
  });
});
