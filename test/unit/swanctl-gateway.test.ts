import * as assert from "assert";
import { parseGateway } from "../../components/model/gateway";
import { renderGatewaySwanctl, renderSwanctlSecrets } from "../../components/strongswan/gateway-swanctl";
import { formatLocatedProblem, readSwanctlText } from "../../components/strongswan/swanctl";
import { FIXTURE_SECRETS, fixtureGateway } from "../fixtures/gateway";

describe("the gateway's own swanctl.conf passes the complete 5.9.8 model", () => {
  it("swanctl.conf and the secrets file have no problem", () => {
    const parsed = parseGateway(fixtureGateway());
    assert.ok(parsed.ok);
    const ctx = { floatingIp: parsed.gateway.floatingIp.address as string };
    const conf = readSwanctlText(renderGatewaySwanctl(parsed.gateway, ctx).replace(/^include .*$/m, ""), "swanctl.conf");
    assert.deepStrictEqual(conf.problems.map(formatLocatedProblem), []);
    assert.deepStrictEqual(Object.keys(conf.config.connections as object), ["acme-rw", "acme-hq"]);
    const secrets = readSwanctlText(renderSwanctlSecrets(parsed.gateway, ctx, FIXTURE_SECRETS), "stage2-secrets.conf");
    assert.deepStrictEqual(secrets.problems.map(formatLocatedProblem), []);
    assert.deepStrictEqual(Object.keys(secrets.config.secrets as object), ["eap-acme-rw-1", "ike-acme-hq"]);
  });
});
