import { strict as assert } from "assert";
import { renderApplyScript, STEP_HOOK } from "../../components/host/apply-script";
import { encodePayload } from "../../components/host/payload";
import { planGateway } from "../../components/plan";
import { requireRoot, requireTools, LAB_TOOLS } from "../helpers/env";
import { rwChildSpis } from "../../lab/hitless";
import { expected, flip, INTERRUPT_CASES, interruptSuite, leftovers, running, VICTIM } from "../../lab/interrupt";
import { Lab } from "../../lab/lab";
import { sshRun } from "../../lab/ssh";
import { LAB_STACK_FILE } from "../../lab/stack";

const PREFIX = "s2intr";

describe("interrupted converges (namespace lab: real SSH, real charon, nft, wireguard-go)", function () {
  this.timeout(300_000);
  let lab: Lab;

  before(async function () {
    requireRoot(this);
    requireTools(this, ...LAB_TOOLS);
    lab = (await Lab.up({ stackFile: LAB_STACK_FILE, prefix: PREFIX }, planGateway)).lab;
  });
  after(async function () {
    if (lab) await lab.down();
  });

  /** The victim concern's remote command and payload for a model, as the converge sends them. */
  const remote = (gw = lab.model()) => {
    const concern = planGateway(gw, { floatingIp: gw.floatingIp.address as string }, lab.secrets([gw])).concerns.find((c) => c.name === VICTIM)!;
    return { script: renderApplyScript(concern, "direct"), payload: encodePayload(concern.files) };
  };

  it(`killed (SIGKILL) or cut off (SSH closed) at every step of the ${VICTIM} apply; an ordinary converge then activates the new configuration`, async function () {
    // 12 cases, each an interrupted run and a whole converge of gw.
    this.timeout(900_000);
    const outcomes = await interruptSuite(lab, INTERRUPT_CASES);
    const failed = outcomes.filter((o) => o.problems.length).map((o) => `${o.how} at ${o.at} (${o.interrupted}): ${o.problems.join("; ")}`);
    assert.deepEqual(failed, []);
    // Each case did interrupt the run: never a clean exit 0.
    for (const o of outcomes) assert.doesNotMatch(o.interrupted, /^exit 0:/, `${o.how} at ${o.at} was not interrupted`);
  });

  it("a payload cut short over SSH is refused whole: nothing on gw changes", async () => {
    const before = await running(lab, lab.model());
    const { script, payload } = remote(lab.model((gw) => flip(gw, true)));
    const res = await sshRun(lab.client(), lab.target(lab.model()), script, { input: payload.slice(0, Math.floor(payload.length / 2)) });
    assert.equal(res.code, 1);
    assert.match(res.stderr, /payload incomplete: \d+ of \d+ bytes arrived, nothing changed/);
    assert.equal(await running(lab, lab.model()), before);
    assert.equal(await leftovers(lab, lab.model()), "");
  });

  it("two converges of gw at once: the second waits for the first, then applies whole; files and daemons end on it, never a mix", async () => {
    const spis = await rwChildSpis(lab);
    const [a, b] = [lab.model((gw) => flip(gw, true)), lab.model((gw) => flip(gw, false))];
    const gwHost = lab.host(lab.gatewayRole(a.name));
    const target = lab.target(a);
    // The first run holds the lock for 3 s after its swap; the second starts while it does.
    const slow = remote(a).script.replace(STEP_HOOK, () => 'step() { [ "$1" != swapped ] || sleep 3; }');
    const first = sshRun(lab.client(), target, slow, { input: remote(a).payload });
    const deadline = Date.now() + 60_000;
    while ((await gwHost.exec("test -e /var/lib/stage2/nftables/pending")).code !== 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const second = await sshRun(lab.client(), target, remote(b).script, { input: remote(b).payload });
    const done = await first;
    assert.equal(done.code, 0, done.stderr);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /waiting up to 300s for the converge holding this host: pid \d+, started \d{4}-/);
    assert.equal(
      (await gwHost.exec("cat /etc/nftables.conf")).stdout,
      planGateway(b, { floatingIp: b.floatingIp.address as string }, lab.secrets([b])).concerns.find((c) => c.name === VICTIM)!.files[0].content,
    );
    assert.match(await running(lab, b), new RegExp(`^${expected(b).split(",")[0]},`));
    assert.equal(await leftovers(lab, b), "");
    assert.equal(await rwChildSpis(lab), spis);
  });
});
