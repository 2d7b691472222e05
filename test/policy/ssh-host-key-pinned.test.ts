import * as assert from "assert";
import { foreignStack, GOOD_FILES, MASK_STARTER, of, stage2Stack } from "./helpers/stacks";

const POLICY = "ssh-host-key-pinned";
const run = (hostKey: string | null | undefined) => foreignStack({ files: GOOD_FILES, extra: [MASK_STARTER], floatingIp: { assigned: true }, hostKey });

describe(`policy ${POLICY}`, () => {
  it("passes a stage2 gateway: every concern's connection pins server.hostKey", async () => {
    assert.deepStrictEqual(of(await stage2Stack(), POLICY), []);
  });

  it("passes a foreign command that pins the host key", async () => {
    assert.deepStrictEqual(of(await run(undefined), POLICY), []);
  });

  it("fails a remote command without connection.hostKey", async () => {
    assert.deepStrictEqual(
      of(await run(null), POLICY).map((x) => [x.enforcementLevel, x.resource, x.message]),
      [
        [
          "mandatory",
          "vpn-config",
          'connection has no hostKey, so the SSH host key is not checked and anyone on the path can answer as the host. Set connection.hostKey to the server\'s public host key ("ssh-ed25519 AAAA...").',
        ],
      ],
    );
  });

  it("fails a hostKey that is not a public key (e.g. a known_hosts line with the host name)", async () => {
    const line = "198.51.100.10 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPsQ2puD/H5wicnh+nFKK5z/D6PNJBY8HocZPiQ5d7A9";
    assert.deepStrictEqual(
      of(await run(line), POLICY).map((x) => x.message),
      [
        `connection.hostKey ${JSON.stringify(line)} is not a public host key. Set it to "TYPE BASE64", e.g. the output of \`ssh-keyscan -t ed25519 HOST\` without the host name.`,
      ],
    );
  });
});
