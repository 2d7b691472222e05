import * as assert from "assert";
import { parseGateway } from "../../components/model/gateway";
import { renderGatewaySwanctl, renderSwanctlSecrets, SWANCTL_SECRETS } from "../../components/strongswan/gateway-swanctl";
import { formatLocatedProblem, readSwanctlText } from "../../components/strongswan/swanctl";
import { FIXTURE_SECRETS, fixtureGateway } from "../fixtures/gateway";

describe("the gateway's own swanctl.conf passes the complete 5.9.8 model", () => {
  it("swanctl.conf and the secrets file have no problem", () => {
    const parsed = parseGateway(fixtureGateway());
    assert.ok(parsed.ok);
    const ctx = { floatingIp: parsed.gateway.floatingIp.address as string };
    // The secrets file reaches swanctl.conf through its include, read here from the renderer, not from disk.
    const readInclude = (pattern: string) =>
      pattern === "/etc/swanctl/conf.d/*.conf" ? [{ file: SWANCTL_SECRETS, text: renderSwanctlSecrets(parsed.gateway, ctx, FIXTURE_SECRETS) }] : [];
    const conf = readSwanctlText(renderGatewaySwanctl(parsed.gateway, ctx), "/etc/swanctl/swanctl.conf", { readInclude });
    assert.deepStrictEqual(conf.problems.map(formatLocatedProblem), []);
    assert.deepStrictEqual(conf.parsed.files, ["/etc/swanctl/swanctl.conf", SWANCTL_SECRETS]);
    assert.deepStrictEqual(Object.keys(conf.config.connections as object), ["acme-rw", "acme-hq"]);
    assert.deepStrictEqual(Object.keys(conf.config.secrets as object), ["eap-acme-rw-1", "ike-acme-hq"]);
  });
});
