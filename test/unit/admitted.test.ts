import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import { Gateway } from "../../components/model/gateway";
import {
  ADMITTED_FILE,
  CLOSE_NOT_ADMITTED,
  LIST_SEPARATOR,
  renderAdmitted,
  renderRevoked,
  REVOKED_FILE,
  REVOCATION_SLACK_S,
  SELECT_TO_CLOSE,
} from "../../components/strongswan/admitted";
import { swanctlConcern, swanctlSecretsConcern } from "../../components/strongswan/concerns";
import { FIXTURE_SECRETS, fixtureGateway } from "../fixtures/gateway";

const ctx = { floatingIp: "203.0.113.100" };
const REVOKED_AT = "2026-11-28T06:00:00Z";
const revokedAt = Date.parse(REVOKED_AT) / 1000;

/** The fixture with three classes: EAP users, PSK identities, and certificate users with one revoked identity. */
function gateway() {
  const input = fixtureGateway();
  input.ipsec!.roadWarriors![0].clients = {
    kind: "eap-mschapv2",
    users: [
      { id: "alice@acme.example", passwordSecret: "eap-alice" },
      { id: "o'brien@acme.example", passwordSecret: "eap-alice" },
    ],
  };
  input.ipsec!.roadWarriors!.push(
    {
      name: "laptops",
      pool: "10.4.0.0/24",
      local: { kind: "psk", id: "vpn.acme.example" },
      clients: { kind: "psk", ids: ["l1@acme.example"], secret: "psk-hq" },
    },
    {
      name: "staff",
      pool: "10.5.0.0/24",
      local: input.ipsec!.roadWarriors![0].local,
      clients: { kind: "pubkey", ca: (input.ipsec!.roadWarriors![0].local as { cert: string }).cert, revoked: [{ id: "CN=dave", at: REVOKED_AT }] },
    },
  );
  return Gateway.parse(input);
}

/** One IKE_SA as `swanctl --list-sas` (strongSwan 5.9.8) prints it; the lines below the remote one as the lab's gateway showed them. */
const sa = (conn: string, uid: number, remote: string, ago: number, state = "ESTABLISHED") =>
  [
    `${conn}: #${uid}, ${state}, IKEv2, fef6f837168eaccd_i ed6e728c77730298_r*`,
    "  local  'vpn.acme.example' @ 203.0.113.100[4500]",
    `  remote ${remote}`,
    "  AES_GCM_16-256/PRF_HMAC_SHA2_384/ECP_384",
    `  established ${ago}s ago, rekeying in 13660s`,
    `  ${conn}: #${uid + 100}, reqid 129, INSTALLED, TUNNEL-in-UDP, ESP:AES_GCM_16-256`,
    "    installed 0s ago, rekeying in 3299s, expires in 3960s",
    "    in  551534a9,      0 bytes,     0 packets",
    "    out 98327e5e,      0 bytes,     0 packets",
    "    local  10.0.0.0/16",
    "    remote 10.3.0.28/32",
  ].join("\n");

describe("closing the tunnels of removed and revoked users", () => {
  const gw = gateway();

  it("the files: every EAP user and PSK identity a class keeps; each revoked certificate identity with its time", () => {
    assert.equal(
      renderAdmitted(gw),
      ["acme-rw\teap\talice@acme.example", "acme-rw\teap\to'brien@acme.example", "laptops\tpsk\tl1@acme.example", ""].join("\n"),
    );
    assert.equal(renderRevoked(gw), `staff\trevoked\tCN=dave\t${revokedAt}\n`);
  });

  it("the users' file comes with the secrets, the revocations with swanctl.conf (and its CRL); both concerns close after reloading", () => {
    const conf = swanctlConcern(gw, ctx);
    const secrets = swanctlSecretsConcern(gw, ctx, FIXTURE_SECRETS);
    assert.deepEqual(
      conf.files.find((f) => f.path === REVOKED_FILE),
      { path: REVOKED_FILE, content: renderRevoked(gw), mode: "0644" },
    );
    assert.deepEqual(
      secrets.files.find((f) => f.path === ADMITTED_FILE),
      { path: ADMITTED_FILE, content: renderAdmitted(gw), mode: "0600" },
    );
    assert.equal(
      conf.files.some((f) => f.path === ADMITTED_FILE),
      false,
    );
    assert.equal(
      secrets.files.some((f) => f.path === REVOKED_FILE),
      false,
    );
    // The fixture has no CRL to flush.
    assert.deepEqual(conf.activate, [CLOSE_NOT_ADMITTED]);
    assert.deepEqual(secrets.activate, [CLOSE_NOT_ADMITTED]);
  });

  it("selects exactly the SAs that must go: removed EAP user, unknown PSK identity, revoked certificate established before the revocation", () => {
    const now = revokedAt + 100;
    const sas = [
      sa("acme-rw", 1, "'10.9.0.1' @ 198.51.100.3[4500] EAP: 'alice@acme.example' [10.3.0.1]", 500),
      sa("acme-rw", 2, "'10.9.0.2' @ 198.51.100.3[4500] EAP: 'bob@acme.example' [10.3.0.2]", 500),
      sa("acme-rw", 3, "'10.9.0.3' @ 198.51.100.3[4500] EAP: 'o'brien@acme.example' [10.3.0.3]", 500),
      sa("acme-rw", 4, "'10.9.0.4' @ 198.51.100.3[4500] EAP: 'alice@acme.example.evil' [10.3.0.4]", 500),
      // The EAP identity equal to the IKE identity: swanctl shows no EAP part.
      sa("acme-rw", 12, "'alice@acme.example' @ 198.51.100.3[4500] [10.3.0.5]", 500),
      sa("acme-rw", 13, "'carl@acme.example' @ 198.51.100.3[4500] [10.3.0.6]", 500),
      sa("laptops", 5, "'l1@acme.example' @ 198.51.100.3[4500] [10.4.0.1]", 500),
      sa("laptops", 6, "'l2@acme.example' @ 198.51.100.3[4500] [10.4.0.2]", 500),
      sa("staff", 7, "'CN=dave' @ 198.51.100.3[4500] [10.5.0.1]", 500),
      sa("staff", 8, "'CN=dave' @ 198.51.100.3[4500] [10.5.0.2]", 50),
      // At the edge (whole seconds on both sides): established in the revocation's second or up to 2 s after is closed;
      // 3 s after is a name issued again.
      sa("staff", 14, "'CN=dave' @ 198.51.100.3[4500] [10.5.0.4]", 100),
      sa("staff", 15, "'CN=dave' @ 198.51.100.3[4500] [10.5.0.5]", 98),
      sa("staff", 16, "'CN=dave' @ 198.51.100.3[4500] [10.5.0.6]", 97),
      sa("staff", 9, "'CN=erin' @ 198.51.100.3[4500] [10.5.0.3]", 500),
      sa("branch", 10, "'198.51.100.18' @ 198.51.100.18[4500]", 500),
      sa("laptops", 11, "'l3@acme.example' @ 198.51.100.3[4500]", 0, "CONNECTING"),
    ].join("\n");
    const input = `${renderAdmitted(gw)}${renderRevoked(gw)}${LIST_SEPARATOR}\n${sas}\n`;
    const r = spawnSync("awk", ["-v", `now=${now}`, "-v", `slack=${REVOCATION_SLACK_S}`, "-v", `SEP=${LIST_SEPARATOR}`, SELECT_TO_CLOSE], {
      input,
      encoding: "utf8",
    });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split("\n"), [
      "2\tacme-rw\tbob@acme.example\tno longer an EAP user of acme-rw",
      "4\tacme-rw\talice@acme.example.evil\tno longer an EAP user of acme-rw",
      "13\tacme-rw\tcarl@acme.example\tno longer an EAP user of acme-rw",
      "6\tlaptops\tl2@acme.example\tno longer a PSK identity of laptops",
      "7\tstaff\tCN=dave\tits certificate was revoked after this tunnel was established",
      "14\tstaff\tCN=dave\tits certificate was revoked after this tunnel was established",
      "15\tstaff\tCN=dave\tits certificate was revoked after this tunnel was established",
    ]);
  });

  it("a gateway without road warriors has neither file nor a closing step", () => {
    const input = fixtureGateway();
    input.ipsec!.roadWarriors = [];
    const bare = Gateway.parse(input);
    assert.equal(renderAdmitted(bare) + renderRevoked(bare), "");
    assert.equal(swanctlConcern(bare, ctx).activate, undefined);
    assert.equal(swanctlSecretsConcern(bare, ctx, FIXTURE_SECRETS).activate, undefined);
  });

  it("refuses a revocation time that is not ISO 8601 UTC, naming the field", () => {
    const input = fixtureGateway();
    input.ipsec!.roadWarriors!.push({
      name: "staff",
      pool: "10.5.0.0/24",
      local: input.ipsec!.roadWarriors![0].local,
      clients: { kind: "pubkey", ca: (input.ipsec!.roadWarriors![0].local as { cert: string }).cert, revoked: [{ id: "CN=dave", at: "yesterday\n" }] },
    });
    const r = Gateway.safeParse(input);
    assert.equal(r.success, false);
    assert.match(JSON.stringify(r.error?.issues), /ISO 8601 UTC.*"path":\["ipsec","roadWarriors",1,"clients","revoked",0,"at"\]/);
  });
});
