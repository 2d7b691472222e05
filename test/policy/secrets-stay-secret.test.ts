import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { encodePayload } from "../../components/host/payload";
import { runPreview } from "../../preview/runtime";
import { policies } from "../../policy/policies";
import { runPolicies, Violation } from "../../policy/runner";
import { foreignProgram, foreignStack, GOOD_FILES, HOST_KEY, MASK_STARTER, of, programStack, rows, stage2Stack } from "./helpers/stacks";

const POLICY = "secrets-stay-secret";
const SECRETS_CONF = 'secrets {\n    ike-hq {\n        id = hq.example.com\n        secret = "staple-tuna-violin"\n    }\n}\n';
const connection = {
  host: "198.51.100.10",
  user: "root",
  hostKey: HOST_KEY,
  privateKey: pulumi.secret("-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n"),
};
const messages = async (v: Promise<Violation[]>) => rows(await v, POLICY);

describe(`policy ${POLICY}`, () => {
  it("passes a stage2 gateway: PSKs travel on a secret stdin in a 0600 file", async () => {
    assert.deepStrictEqual(of(await stage2Stack(), POLICY), []);
  });

  it("passes the foreign stack: no key material in its command", async () => {
    assert.deepStrictEqual(await messages(foreignStack({ files: GOOD_FILES, extra: [MASK_STARTER], floatingIp: { assigned: true } })), []);
  });

  it("fails a PSK written by a here-document in the command line", async () => {
    const files = [...GOOD_FILES, { path: "/etc/swanctl/conf.d/secrets.conf", content: SECRETS_CONF, mode: "600" }];
    assert.deepStrictEqual(await messages(foreignStack({ files, extra: [MASK_STARTER], floatingIp: { assigned: true } })), [
      [
        "mandatory",
        "vpn-config",
        "a swanctl secret (PSK or EAP password) is in the command line (`create`) in plain state, where logs and process lists show it. " +
          "Send it on stdin as a 0600 file (a stage2 payload) and keep the value a pulumi.secret.",
      ],
    ]);
  });

  it("fails a WireGuard private key in the command line", async () => {
    const files = GOOD_FILES.map((f) =>
      f.path === "/etc/wireguard/wg0.conf"
        ? { ...f, content: f.content.replace("ListenPort = 51820\n", "ListenPort = 51820\nPrivateKey = yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=\n") }
        : f,
    );
    const got = await messages(foreignStack({ files, extra: [MASK_STARTER], floatingIp: { assigned: true } }));
    assert.deepStrictEqual(
      got.map((x) => x[2].split(" is in ")[0]),
      ["a WireGuard private or preshared key"],
    );
  });

  it("passes an SSH key given as a plain string: @pulumi/command seals the whole connection itself", async () => {
    assert.deepStrictEqual(await messages(foreignStack({ files: GOOD_FILES, extra: [MASK_STARTER], floatingIp: { assigned: true }, secretKey: false })), []);
  });

  it("fails a connection recorded without its secret marker (an SDK that does not seal it)", async () => {
    const [recorded] = (await runPreview("foreign", {}, [], foreignProgram({ files: GOOD_FILES, extra: [MASK_STARTER] }))).resources;
    const unsealed = { ...recorded, secretPaths: [] };
    assert.deepStrictEqual(
      of(await runPolicies([unsealed], policies), POLICY).map((x) => x.message),
      ["connection.privateKey is not a secret input, so state keeps it in clear. Wrap it in pulumi.secret()."],
    );
  });

  it("fails a stage2-style payload whose secrets file is 0644 and whose stdin is not secret", async () => {
    const stdin = encodePayload([{ path: "/etc/swanctl/conf.d/psk.conf", content: SECRETS_CONF, mode: "0644" }]);
    const got = await messages(programStack(() => void new command.remote.Command("psk", { connection, create: "apply", stdin })));
    assert.deepStrictEqual(got, [
      ["mandatory", "psk", "/etc/swanctl/conf.d/psk.conf holds a swanctl secret (PSK or EAP password) but has mode 0644. Give it mode 0600."],
      [
        "mandatory",
        "psk",
        "stdin carries /etc/swanctl/conf.d/psk.conf with secrets but is not a secret input, so state keeps it in clear. Wrap it in pulumi.secret().",
      ],
    ]);
  });

  it("fails a secret value repeated on another resource's command line", async () => {
    const stdin = pulumi.secret(encodePayload([{ path: "/etc/swanctl/conf.d/psk.conf", content: SECRETS_CONF, mode: "0600", secret: true }]));
    const got = await messages(
      programStack(() => {
        new command.remote.Command("psk", { connection, create: "apply", stdin });
        new command.remote.Command("debug", { connection, create: "echo staple-tuna-violin > /tmp/psk-was" });
      }),
    );
    assert.deepStrictEqual(got, [
      [
        "mandatory",
        "debug",
        "the value of a secret used elsewhere in the stack is in the command line (`create`) in plain state, where logs and process lists show it. " +
          "Send it on stdin as a 0600 file (a stage2 payload) and keep the value a pulumi.secret.",
      ],
    ]);
  });
});
