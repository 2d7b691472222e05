import * as assert from "assert";
import { cut, gotValue, showValue } from "../../components/util/show-value";
import { forgetSecrets, isSecretPath, registerSecret, scrubSecrets, secretKeysIn } from "../../components/util/secret-values";
import { formatProblem, parseGateway } from "../../components/model/gateway";
import { fixtureGateway } from "../fixtures/gateway";

describe("values in messages: cut when long, never a secret", () => {
  afterEach(forgetSecrets);

  it("cuts a long value to 80 characters and says how long it was", () => {
    assert.strictEqual(showValue("short"), '"short"');
    assert.strictEqual(showValue("x".repeat(100_000)), `"${"x".repeat(79)}… (100002 characters)`);
    assert.strictEqual(cut("é".repeat(81)), `${"é".repeat(80)}… (81 characters)`);
    assert.strictEqual(showValue({ a: [1, 2] }), '{"a":[1,2]}');
    assert.strictEqual(showValue(10n), '"10"');
    assert.strictEqual(
      showValue({ extraSwanctl: { secrets: { "ike-1": { secret: "hunter2" } } } }),
      '{"extraSwanctl":{"secrets":"(redacted: secret secrets)"}}',
    );
  });

  it("never shows a value in a secret slot: a stack secret key, sshPrivateKey, anything under a swanctl secrets section", () => {
    for (const p of ["stage2:psk-acme-hq", "sshPrivateKey", "gateways[0].ipsec.extraSwanctl.secrets", "secrets.ike-1.secert", "gateways[0] → stage2:psk"]) {
      assert.ok(isSecretPath(p), p);
    }
    for (const p of ["gateways[0].ipsec.sites[0].auth.secret", "stage2:gateways", "connections.a.local.id"]) assert.ok(!isSecretPath(p), p);
    assert.strictEqual(gotValue("stage2:psk-x", "hunter2"), " (got (redacted: secret stage2:psk-x))");
    assert.strictEqual(gotValue(["secrets", "ike-1", "secert"], "hunter2"), " (got (redacted: secret secrets.ike-1.secert))");
    assert.strictEqual(gotValue("ipsec.sites[0].name", "Bad"), ' (got "Bad")');
    assert.strictEqual(gotValue("x", undefined), "");
  });

  it("shows a registered secret as its key wherever it appears, whole, JSON-escaped or as one line of a PEM", () => {
    registerSecret("stage2:psk-hq", "hunter2\nsecond");
    registerSecret("stage2:key", "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA\n-----END PRIVATE KEY-----\n");
    assert.strictEqual(showValue("hunter2\nsecond"), "(redacted: secret stage2:psk-hq)");
    assert.strictEqual(
      formatProblem({ path: "secret", message: "no newlines", value: "hunter2\nsecond" }),
      "secret: no newlines (got (redacted: secret stage2:psk-hq))",
    );
    assert.strictEqual(
      scrubSecrets('got "hunter2\\nsecond" and MC4CAQAwBQYDK2VwBCIEIA'),
      'got "(redacted: secret stage2:psk-hq)" and (redacted: secret stage2:key)',
    );
    assert.deepStrictEqual(secretKeysIn("x MC4CAQAwBQYDK2VwBCIEIA (redacted: secret stage2:other)"), ["stage2:other", "stage2:key"]);
    assert.strictEqual(scrubSecrets("-----BEGIN PRIVATE KEY-----"), "-----BEGIN PRIVATE KEY-----");
  });

  it("model problems quote a 100 KB value or key once, cut (zod's own 'received' and key lists too)", () => {
    const gw = { ...fixtureGateway(), floatingIp: { location: "y".repeat(100_000) }, ["k".repeat(100_000)]: 1 } as unknown;
    const parsed = parseGateway(gw);
    assert.ok(!parsed.ok);
    const lines = parsed.problems.map(formatProblem);
    assert.deepStrictEqual(
      lines[0],
      `floatingIp.location: Invalid enum value. Expected 'fsn1' | 'nbg1' | 'hel1' | 'ash' | 'hil' | 'sin' (got "${"y".repeat(79)}… (100002 characters))`,
    );
    assert.ok(
      lines.every((l) => l.length < 400),
      lines.join("\n"),
    );
  });

  it("matches a very short secret only as a whole value, so messages stay readable", () => {
    registerSecret("stage2:pin", "42");
    assert.strictEqual(showValue("42"), "(redacted: secret stage2:pin)");
    assert.strictEqual(scrubSecrets("line 42"), "line 42");
  });
});
