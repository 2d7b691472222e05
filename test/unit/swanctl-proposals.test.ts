import * as assert from "assert";
import { PROPOSAL_KEYWORDS, proposalProblem, unknownKeyword } from "../../components/strongswan/swanctl/proposals";
import { readSwanctlText, formatLocatedProblem } from "../../components/strongswan/swanctl";
import { CANDIDATES, probe } from "../../tools/swanctl-probe-proposals";
import { charonMissing } from "../../lab/charon-sandbox";
import { skipUnless } from "../helpers/env";

describe("swanctl proposals: the keywords charon 5.9.8 knows", () => {
  it("rejects strongSwan 6 keywords and typos, naming the proposal", () => {
    assert.strictEqual(unknownKeyword("aes256gcm16-prfsha384-ecp384"), undefined);
    assert.strictEqual(unknownKeyword("default"), undefined);
    assert.strictEqual(unknownKeyword("aes128-sha256-modp2048-ke1_x25519"), "ke1_x25519");
    assert.strictEqual(unknownKeyword("aes256gcm16-mlkem768"), "mlkem768");
    assert.deepStrictEqual(readSwanctlText("connections { a { proposals = aes128-sha265-x25519 } }", "t.conf").problems.map(formatLocatedProblem), [
      `t.conf:1:19: connections.a.proposals: item "aes128-sha265-x25519": "sha265" is not an algorithm keyword of strongSwan 5.9.8 (got ["aes128-sha265-x25519"])`,
    ]);
  });

  it("asks of a combination what charon asks (IKE: encryption, key exchange, integrity or PRF; ESP: encryption; AH: integrity)", () => {
    const cases: [kind: "ike" | "esp" | "ah", proposal: string, problem: string | undefined][] = [
      ["ike", "aes128gcm16-prfsha256-ecp256", undefined],
      ["ike", "aes128gcm16-sha256-ecp256", undefined],
      ["ike", "aes128-sha256-modp2048", undefined],
      ["ike", "chacha20poly1305-prfsha256-x25519", undefined],
      ["ike", "aes128gcm16", "an IKE proposal needs a key exchange (e.g. ecp384, x25519, modp3072)"],
      ["ike", "aes128gcm16-ecp256", "an IKE proposal with AEAD needs a PRF (e.g. prfsha384)"],
      ["ike", "aes128-prfsha256-modp2048", "an IKE proposal with classic encryption needs an integrity algorithm (e.g. sha256)"],
      ["ike", "sha256-modp2048", "an IKE proposal needs an encryption algorithm"],
      ["ike", "aes128gcm16-aes256-prfsha256-ecp256", "an IKE proposal cannot mix AEAD (gcm, ccm, chacha20poly1305) and classic encryption"],
      ["esp", "aes128", undefined],
      ["esp", "aes128gcm16-ecp256", undefined],
      ["esp", "sha256", "an ESP proposal needs an encryption algorithm (e.g. aes256gcm16)"],
      ["ah", "sha256-modp2048", undefined],
      ["ah", "aes128gcm16", "an AH proposal needs an integrity algorithm (e.g. sha256)"],
    ];
    for (const [kind, proposal, problem] of cases) assert.strictEqual(proposalProblem(kind, proposal), problem, `${kind} ${proposal}`);
  });

  it("is exactly what the installed charon accepts (asked again)", async function () {
    const missing = charonMissing();
    skipUnless(this, missing === undefined, `asking charon: ${missing}`);
    const accepted = await probe(CANDIDATES);
    assert.deepStrictEqual(accepted, [...PROPOSAL_KEYWORDS].sort());
    assert.ok(!accepted.includes("mlkem768") && !accepted.includes("ke1_x25519"));
  });
});
