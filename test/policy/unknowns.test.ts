import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import * as hcloud from "@pulumi/hcloud";
import * as command from "@pulumi/command";
import { unknownCheckingProxy } from "@pulumi/policy";
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { policies } from "../../policy/policies";
import { mandatory, programStack } from "./helpers/stacks";

/** Values unknown at preview time: an advisory note, never a crash and never a mandatory violation. */
describe("policies on values unknown at preview", () => {
  it("a command whose host, host key, script and stdin come from a server not yet created gets notes only", async () => {
    const v = await programStack(() => {
      const server = new hcloud.Server("gw", { serverType: "cx22", image: "debian-12" });
      new command.remote.Command("cfg", {
        connection: { host: server.ipv4Address, hostKey: server.ipv4Address.apply((a) => `ssh-ed25519 ${a}`) },
        create: pulumi.interpolate`ip addr add ${server.ipv4Address}/32 dev eth0`,
        stdin: server.ipv4Address,
      });
    });
    assert.deepStrictEqual(mandatory(v), []);
    assert.deepStrictEqual(
      v.map((x) => [x.policy, x.enforcementLevel, x.resource, x.message]),
      [
        ["values-unknown-at-preview", "advisory", "cfg", "connection.host is unknown at preview; the resource is judged on its own"],
        ["values-unknown-at-preview", "advisory", "cfg", "stdin is unknown at preview, so the files it carries cannot be checked until it is known"],
        ["values-unknown-at-preview", "advisory", "cfg", "`create` is unknown at preview, so the files it writes cannot be checked until it is known"],
        ["values-unknown-at-preview", "advisory", "cfg", "ssh-host-key-pinned: connection.hostKey is unknown at preview; it is checked once known"],
      ],
    );
  });

  it("inside the Pulumi engine, props whose reads throw UnknownValueError do not crash any policy", () => {
    const UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
    const props = unknownCheckingProxy({
      connection: { host: UNKNOWN_STRING, hostKey: UNKNOWN_STRING, privateKey: "k" },
      create: UNKNOWN_STRING,
      stdin: UNKNOWN_STRING,
    });
    const resource = {
      type: "command:remote:Command",
      name: "cfg",
      urn: "urn:pulumi:s::p::command:remote:Command::cfg",
      props,
      dependencies: [],
      propertyDependencies: {},
    };
    assert.throws(() => (props as { create: string }).create, /can't be known during preview/);
    const reported: [string, string][] = [];
    for (const policy of policies as StackValidationPolicy[]) {
      const args = {
        resources: [resource as unknown as PolicyResource],
        stackTags: new Map(),
        getConfig: <T>() => ({}) as T,
        notApplicable: (): never => {
          throw new Error("n/a");
        },
      };
      policy.validateStack(args, (message) => reported.push([policy.name, message]));
    }
    assert.deepStrictEqual(reported, [
      ["values-unknown-at-preview", "connection.host is unknown at preview; the resource is judged on its own"],
      ["values-unknown-at-preview", "stdin is unknown at preview, so the files it carries cannot be checked until it is known"],
      ["values-unknown-at-preview", "`create` is unknown at preview, so the files it writes cannot be checked until it is known"],
      ["values-unknown-at-preview", "ssh-host-key-pinned: connection.hostKey is unknown at preview; it is checked once known"],
    ]);
  });
});
