import { planGateway } from "../../components/plan";
import { requireRoot, requireTools, LAB_TOOLS } from "../helpers/env";
import { FaultLab, Flip, flipDir, makeFlip, NAMESPACE_CASES, namespaceFaultLab } from "../../lab/interrupt";
import { faultSuiteTests } from "../helpers/fault-suite";
import { Lab } from "../../lab/lab";
import { LAB_STACK_FILE } from "../../lab/stack";

const PREFIX = "s2intr";

describe("interrupted converges (namespace lab: real SSH, real charon, nft, wireguard-go)", function () {
  this.timeout(300_000);
  let lab: Lab;
  let flip: Flip;
  let fl: FaultLab;

  before(async function () {
    requireRoot(this);
    requireTools(this, ...LAB_TOOLS);
    lab = (await Lab.up({ stackFile: LAB_STACK_FILE, prefix: PREFIX }, planGateway)).lab;
    flip = await makeFlip(flipDir(lab.state.stateDir));
    fl = namespaceFaultLab(lab, flip);
  });
  after(async function () {
    if (lab) await lab.down();
  });

  faultSuiteTests({
    lab: () => ({ fl, flip }),
    cases: NAMESPACE_CASES,
    covers: "every step of the apply (nftables, swanctl, WireGuard)",
    concern: "nftables",
    holdS: 3,
    // 12 cases, each an interrupted run and a whole converge of gw.
    timeoutMs: 900_000,
  });
});
