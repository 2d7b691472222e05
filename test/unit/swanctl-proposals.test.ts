import * as assert from "assert";
import { PROPOSAL_KEYWORDS, unknownKeyword } from "../../components/strongswan/swanctl/proposals";
import { readSwanctlText, formatLocatedProblem } from "../../components/strongswan/swanctl";
import { CANDIDATES, probe } from "../../tools/swanctl-probe-proposals";
import { charonMissing } from "../../tools/swanctl-charon";
import { skipUnless } from "../helpers/env";

describe("swanctl proposals: the keywords charon 5.9.8 knows", () => {
  it("rejects strongSwan 6 keywords and typos, naming the proposal", () => {
    assert.strictEqual(unknownKeyword("aes256gcm16-prfsha384-ecp384"), undefined);
    assert.strictEqual(unknownKeyword("default"), undefined);
    assert.strictEqual(unknownKeyword("aes128-sha256-modp2048-ke1_x25519"), "ke1_x25519");
    assert.strictEqual(unknownKeyword("aes256gcm16-mlkem768"), "mlkem768");
    assert.deepStrictEqual(
      readSwanctlText("connections { a { proposals = aes128-sha265-x25519 } }", "t.conf").problems.map(formatLocatedProblem),
      [
        `t.conf:1:19: connections.a.proposals: item "aes128-sha265-x25519" is not a proposal: algorithm keywords of strongSwan 5.9.8 joined by '-' (e.g. aes256gcm16-prfsha384-ecp384) or 'default' (got ["aes128-sha265-x25519"])`,
      ],
    );
  });

  it("is exactly what the installed charon accepts (asked again)", async function () {
    const missing = charonMissing();
    skipUnless(this, missing === undefined, `asking charon: ${missing}`);
    const accepted = await probe(CANDIDATES);
    assert.deepStrictEqual(accepted, [...PROPOSAL_KEYWORDS].sort());
    assert.ok(!accepted.includes("mlkem768") && !accepted.includes("ke1_x25519"));
  });
});
