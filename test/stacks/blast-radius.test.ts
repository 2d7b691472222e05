import { strict as assert } from "assert";
import { loadStackFile, stackFilePath } from "../../stacks/load";
import { RecordedResource } from "../../preview/runtime";
import { previewConfig } from "../helpers/preview";

function commandInputs(resources: RecordedResource[]): Map<string, string> {
  return new Map(resources.filter((r) => r.custom).map((r) => [`${r.type} ${r.name}`, JSON.stringify(r.inputs)]));
}

describe("blast radius (prod stack, under mocks)", function () {
  this.timeout(60000);
  const file = loadStackFile(stackFilePath("prod"));
  const clone = () => JSON.parse(JSON.stringify(file.config)) as Record<string, any>;

  it("changing one BGP neighbour changes the inputs of exactly one remote command", async () => {
    const before = commandInputs((await previewConfig(clone(), file.secureKeys)).resources);
    const changed = clone();
    changed.gateways[1].bgp.neighbors[2].address = "10.0.1.9";
    const after = commandInputs((await previewConfig(changed, file.secureKeys)).resources);
    assert.deepEqual([...after.keys()].sort(), [...before.keys()].sort());
    const differing = [...before.keys()].filter((k) => before.get(k) !== after.get(k));
    assert.deepEqual(differing, ["command:remote:Command gw-nbg1-bird"]);
  });

  it("adding a road-warrior user touches only that gateway's secrets command", async () => {
    const before = commandInputs((await previewConfig(clone(), file.secureKeys)).resources);
    const changed = clone();
    changed.gateways[0].ipsec.roadWarriors[0].clients.users.push({ id: "carol@acme.example", passwordSecret: "eap-acme-carol" });
    const after = commandInputs((await previewConfig(changed, [...file.secureKeys, "eap-acme-carol"])).resources);
    const differing = [...before.keys()].filter((k) => before.get(k) !== after.get(k));
    assert.deepEqual(differing, ["command:remote:Command gw-fsn1-swanctl-secrets"]);
  });

  it("an unchanged stack gives byte-identical inputs", async () => {
    const a = commandInputs((await previewConfig(clone(), file.secureKeys)).resources);
    const b = commandInputs((await previewConfig(clone(), file.secureKeys)).resources);
    assert.deepEqual([...a.entries()].sort(), [...b.entries()].sort());
  });
});
