import { strict as assert } from "assert";
import * as path from "path";
import { requireRoot, requireTools } from "../helpers/env";
import { run } from "../../lab/exec";
import { labNamespaces } from "../../lab/netns";

const PREFIX = "s2dev";
const CLI = path.resolve(__dirname, "..", "..", "bin", "stage2");

describe("stage2 lab run --stack dev (the CLI on stacks/Pulumi.dev.yaml unchanged: EAP road warriors, a trap site, BGP, WireGuard)", function () {
  this.timeout(400_000);

  before(function () {
    requireRoot(this);
    requireTools(this, "ip", "nsenter", "unshare", "sshd", "pki", "/usr/lib/ipsec/charon", "swanctl", "bird", "gobgpd", "wireguard-go", "nft", "tcpdump");
  });

  after(async () => {
    if ((await labNamespaces(PREFIX)).length) await run([CLI, "lab", "down", "--prefix", PREFIX]);
  });

  it("is green with its facts counted per gateway, per connection and per auth kind, idempotent, and leaves nothing", async () => {
    const res = await run([CLI, "lab", "run", "--stack", "dev", "--prefix", PREFIX], { timeoutMs: 380_000 });
    assert.equal(res.code, 0, res.stdout + res.stderr);
    assert.match(res.stdout, /^gw-dev \/ acme-rw \(eap-mschapv2\)\n {2}PASS ike-sa /m);
    assert.match(res.stdout, /^gw-dev \/ acme-hq \(psk\)\n {2}PASS site-up .* initiated by gw-dev$/m);
    assert.match(res.stdout, /^lab: facts per gateway: gw-dev 18$/m);
    assert.match(
      res.stdout,
      /^lab: facts per connection: gw-dev\/bgp node-1 2, gw-dev\/acme-rw 9, gw-dev\/acme-hq 3, gw-dev\/wireguard ops-laptop 1, gw-dev\/gateway 3$/m,
    );
    assert.match(res.stdout, /^lab: facts per auth kind: eap-mschapv2 9, psk 3$/m);
    assert.match(res.stdout, /^lab: 18 passed, 0 failed$/m);
    assert.match(res.stdout, /^ {2}idempotent {3}yes: second converge activated 0/m);
    assert.match(res.stdout, /^ {2}down {9}\d+ ms, nothing left$/m);
    assert.deepEqual(await labNamespaces(PREFIX), []);
  });
});
