import { strict as assert } from "assert";
import { decodePayload } from "../../components/host/payload";
import { previewId, RecordedResource } from "../../preview/runtime";
import { fixtureGateway } from "../fixtures/gateway";
import { previewConfig } from "../helpers/preview";

const SECRETS = ["sshPrivateKey", "gw-key", "eap-alice", "psk-hq"];

describe("Stage2Gateway under mocks", function () {
  this.timeout(30000);
  let resources: RecordedResource[];
  const byName = (name: string, type = "command:remote:Command") => {
    const r = resources.find((x) => x.name === name && x.type === type);
    assert.ok(r, `no ${type} named ${name}`);
    return r;
  };

  before(async () => {
    resources = (await previewConfig({ gateways: [fixtureGateway()] }, SECRETS)).resources;
  });

  it("creates exactly these resources, each under its component", () => {
    assert.deepEqual(
      resources.map((r) => `${r.type} ${r.name}`).sort(),
      [
        "stage2:gateway:Stage2Gateway gw-test",
        "stage2:hcloud:FloatingIp gw-test-floating-ip",
        "stage2:sysctl:Sysctl gw-test-sysctl",
        "stage2:nftables:Nftables gw-test-nftables",
        "stage2:strongswan:StrongswanInstall gw-test-strongswan-install",
        "stage2:strongswan:Swanctl gw-test-swanctl",
        "stage2:bird:Bird gw-test-bird",
        "stage2:wireguard:WireGuard gw-test-wireguard",
        "stage2:metrics:Metrics gw-test-metrics",
        "hcloud:index/floatingIp:FloatingIp gw-test-fip",
        "hcloud:index/floatingIpAssignment:FloatingIpAssignment gw-test-fip-assignment",
        "command:remote:Command gw-test-floating-ip",
        "command:remote:Command gw-test-sysctl",
        "command:remote:Command gw-test-nftables",
        "command:remote:Command gw-test-strongswan-install",
        "command:remote:Command gw-test-swanctl-secrets",
        "command:remote:Command gw-test-swanctl",
        "command:remote:Command gw-test-bird",
        "command:remote:Command gw-test-wireguard",
        "command:remote:Command gw-test-wireguard-pubkey",
        "command:remote:Command gw-test-metrics",
      ].sort(),
      // registration order depends on when inputs resolve; the set is what matters
    );
  });

  it("hcloud: a protected floating IP in the gateway's location, assigned to its server", () => {
    const ip = byName("gw-test-fip", "hcloud:index/floatingIp:FloatingIp");
    assert.deepEqual(ip.inputs, {
      type: "ipv4",
      homeLocation: "fsn1",
      description: "stage2 gateway gw-test: IKE/IPsec endpoint",
      labels: { "managed-by": "stage2", gateway: "gw-test" },
    });
    assert.equal(ip.protect, true);
    const assignment = byName("gw-test-fip-assignment", "hcloud:index/floatingIpAssignment:FloatingIpAssignment");
    assert.deepEqual(assignment.inputs, { floatingIpId: previewId("gw-test-fip"), serverId: 7 });
  });

  it("every remote command pins the host key, keeps the SSH key secret and carries files on stdin", () => {
    const commands = resources.filter((r) => r.type === "command:remote:Command");
    assert.equal(commands.length, 10);
    for (const c of commands) {
      const conn = c.inputs.connection as Record<string, unknown>;
      assert.equal(conn.hostKey, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPsQ2puD", c.name);
      assert.equal(conn.host, "203.0.113.10");
      assert.equal(conn.user, "root");
      assert.ok(
        c.secretPaths.some((p) => p === "connection" || p === "connection.privateKey"),
        `${c.name}: private key not secret`,
      );
      if (c.name.endsWith("-pubkey")) continue;
      assert.equal(c.inputs.create, c.inputs.update, c.name);
      assert.ok(decodePayload(String(c.inputs.stdin)), `${c.name}: stdin is not a payload`);
    }
  });

  it("secrets reach the host only on stdin, which is secret; the script and swanctl.conf stay readable", () => {
    const secrets = byName("gw-test-swanctl-secrets");
    assert.ok(secrets.secretPaths.includes("stdin"));
    assert.ok(!secrets.secretPaths.includes("create"));
    const files = decodePayload(String(secrets.inputs.stdin))!;
    assert.deepEqual(
      files.map((f) => [f.path, f.mode, f.secret]),
      [
        ["/etc/swanctl/conf.d/stage2-secrets.conf", "0600", true],
        ["/etc/swanctl/private/acme-rw.pem", "0600", true],
        // Who keeps a tunnel: identities, no secret, but they come and go with the users' passwords.
        ["/etc/swanctl/stage2-admitted.tsv", "0600", false],
      ],
    );
    const config = byName("gw-test-swanctl");
    assert.deepEqual(config.secretPaths, ["connection"]);
    const swanctl = decodePayload(String(config.inputs.stdin))!.find((f) => f.path === "/etc/swanctl/swanctl.conf")!;
    assert.match(swanctl.content, /\t\tlocal_addrs = 203\.0\.113\.100\n/);
    for (const c of resources.filter((r) => r.type === "command:remote:Command")) {
      assert.doesNotMatch(String(c.inputs.create), /redacted: secret/, `${c.name}: a secret in the command line`);
    }
  });

  it("converges in order: floating IP, sysctl, nftables, strongSwan, secrets, swanctl, BIRD, metrics", () => {
    const urn = (name: string) => byName(name).urn;
    const dependsOn = (name: string, on: string) =>
      assert.ok(byName(name).dependencies.includes(urn(on)), `${name} does not wait for ${on}: ${byName(name).dependencies.join(", ")}`);
    dependsOn("gw-test-sysctl", "gw-test-floating-ip");
    dependsOn("gw-test-nftables", "gw-test-sysctl");
    dependsOn("gw-test-strongswan-install", "gw-test-nftables");
    dependsOn("gw-test-swanctl-secrets", "gw-test-strongswan-install");
    dependsOn("gw-test-swanctl", "gw-test-swanctl-secrets");
    dependsOn("gw-test-bird", "gw-test-swanctl");
    dependsOn("gw-test-wireguard", "gw-test-nftables");
    dependsOn("gw-test-wireguard-pubkey", "gw-test-wireguard");
    dependsOn("gw-test-metrics", "gw-test-bird");
    assert.ok(
      byName("gw-test-floating-ip").dependencies.includes(byName("gw-test-fip-assignment", "hcloud:index/floatingIpAssignment:FloatingIpAssignment").urn),
    );
  });
});

describe("Stage2Gateway: an adopted floating IP", function () {
  this.timeout(30000);
  it("records the address Hetzner reports as the IP's output", async () => {
    const gw = fixtureGateway();
    (gw.floatingIp as { id?: number }).id = 1234;
    const { resources } = await previewConfig({ gateways: [gw] }, SECRETS);
    const ip = resources.find((r) => r.name === "gw-test-fip")!;
    assert.equal(ip.importId, "1234");
    assert.equal(ip.outputs.ipAddress, "203.0.113.100");
  });

  it("fails the preview with a clear message when Hetzner's address is not the configured one", async () => {
    const gw = fixtureGateway();
    (gw.floatingIp as { id?: number }).id = 1234;
    const { runPreview, redacted } = await import("../../preview/runtime");
    const { stage2Program } = await import("../../stacks/program");
    const config: Record<string, string> = { "stage2:gateways": JSON.stringify([gw]) };
    for (const k of SECRETS) config[`stage2:${k}`] = redacted(k);
    await assert.rejects(runPreview("mismatch", config, [], stage2Program, { "gw-test-fip": "203.0.113.99" }), {
      message: "gw-test: floatingIp.address is 203.0.113.100 but Hetzner reports 203.0.113.99 for floatingIp.id 1234",
    });
  });
});
