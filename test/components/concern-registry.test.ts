import { strict as assert } from "assert";
import * as hcloud from "@pulumi/hcloud";
import { CONCERNS, concernResourceName } from "../../components/concern-registry";
import { parseGateway } from "../../components/model/gateway";
import { planGateway } from "../../components/plan";
import { Stage2Gateway } from "../../components/stage2-gateway";
import { RecordedResource, runPreview } from "../../preview/runtime";
import { fixtureGateway } from "../fixtures/gateway";

const SECRETS = { "gw-key": "k", "eap-alice": "p", "psk-hq": "s" };
/** The one remote command that is not a concern: it reads the WireGuard public key the concern generated. */
const NOT_A_CONCERN = "gw-test-wireguard-pubkey";

/** Previews a program that builds the fixture gateway waiting for a server of its own (outside the component). */
async function previewWithServer(): Promise<RecordedResource[]> {
  const program = () => {
    const server = new hcloud.Server("consumer-server", { serverType: "cx22", image: "debian-12" });
    new Stage2Gateway("gw-test", { gateway: fixtureGateway(), sshPrivateKey: "ssh-key", secrets: SECRETS }, { dependsOn: [server] });
  };
  return (await runPreview("registry", {}, [], program, { "gw-test-fip": "203.0.113.100" })).resources;
}

describe("the concern registry: one list for the plan, the Pulumi graph and the render manifest", function () {
  this.timeout(30000);
  let resources: RecordedResource[];
  const command = (name: string): RecordedResource => {
    const r = resources.find((x) => x.type === "command:remote:Command" && x.name === name);
    assert.ok(r, `no remote command ${name}`);
    return r;
  };

  before(async () => {
    resources = await previewWithServer();
  });

  it("every concern comes after concerns listed before it, and planGateway builds them in the registry's order", () => {
    CONCERNS.forEach((c, i) => {
      for (const a of c.after)
        assert.ok(
          CONCERNS.slice(0, i).some((e) => e.name === a),
          `${c.name} comes after ${a}, listed later`,
        );
    });
    const parsed = parseGateway(fixtureGateway());
    assert.ok(parsed.ok);
    const plan = planGateway(parsed.gateway, { floatingIp: "203.0.113.100" }, SECRETS);
    assert.deepEqual(
      plan.concerns.map((c) => c.name),
      CONCERNS.map((c) => c.name),
    );
  });

  it("the graph's remote commands are exactly the plan's concerns", () => {
    const commands = resources.filter((r) => r.type === "command:remote:Command" && r.name !== NOT_A_CONCERN);
    assert.deepEqual(commands.map((c) => c.name).sort(), CONCERNS.map((c) => concernResourceName("gw-test", c.name)).sort());
  });

  it("each command waits for the commands of the concerns it comes after, and for none listed after it", () => {
    CONCERNS.forEach((c, i) => {
      const deps = command(concernResourceName("gw-test", c.name)).dependencies;
      for (const a of c.after) assert.ok(deps.includes(command(concernResourceName("gw-test", a)).urn), `${c.name} does not wait for ${a}`);
      for (const later of CONCERNS.slice(i)) {
        assert.ok(!deps.includes(command(concernResourceName("gw-test", later.name)).urn), `${c.name} waits for ${later.name}, listed at or after it`);
      }
    });
  });

  it("the component's dependsOn (a server outside it) reaches every resource it creates", () => {
    const server = resources.find((r) => r.name === "consumer-server");
    assert.ok(server);
    const children = resources.filter((r) => r.custom && r.name !== "consumer-server");
    assert.equal(children.length, 12);
    for (const r of children) assert.ok(r.dependencies.includes(server.urn), `${r.type} ${r.name} does not wait for the server`);
  });
});
