import * as assert from "assert";
import { listedSas, parseSamples } from "../../lab/kernel/metrics";

/**
 * The readers behind the kernel lab's metrics checks (lab/kernel/metrics.ts; the checks themselves run in the one
 * boot of test/lab/kernel.test.ts). Plain `swanctl --list-sas` as strongSwan 5.9.8's list_sas.c prints it, with the
 * values of an SA recorded in the namespace lab (test/metrics/fixtures/list-sas.txt).
 */
const LISTED = [
  "branch: #2, ESTABLISHED, IKEv2, 774e847d67a9338d_i* 8e3a9a20753119fb_r",
  "  local  '203.0.113.20' @ 203.0.113.20[4500]",
  "  remote '198.51.100.18' @ 198.51.100.18[4500]",
  "  AES_GCM_16-256/PRF_HMAC_SHA2_384/ECP_384",
  "  established 8s ago, rekeying in 12979s",
  "  branch: #3, reqid 1, INSTALLED, TUNNEL-in-UDP, ESP:AES_GCM_16-256",
  "    installed 8s ago, rekeying in 3437s, expires in 3952s",
  "    in  3543c0d1,     84 bytes,     1 packets,     8s ago",
  "    out a6d8552b,     84 bytes,     1 packets,     8s ago",
  "    local  10.0.0.0/16",
  "    remote 10.20.0.0/24",
  "laptops: #1, ESTABLISHED, IKEv2, c92139f7e901f8f4_i 4dd0c491dfc98afd_r*",
  "  local  'vpn.lab.example' @ 203.0.113.20[4500]",
  "  remote 'laptops: #7, ESTABLISHED, x' @ 198.51.100.3[4500] [10.3.0.1]",
  "  AES_GCM_16-256/PRF_HMAC_SHA2_384/ECP_384",
  "  established 14s ago, rekeying in 13766s",
  "  laptops: #2, reqid 2, INSTALLED, TUNNEL-in-UDP, ESP:AES_GCM_16-256",
  "    installed 14s ago, rekeying in 3492s, expires in 3946s",
  "    in  b24417e2 (0x00000001/0xffffffff),    420 bytes,     5 packets,     2s ago",
  "    out 9cc10621/c0d1,    336 bytes,     4 packets,     2s ago",
  "    local  10.0.0.0/16",
  "    remote 10.3.0.1/32",
  "",
].join("\n");

describe("kernel lab: the metrics checks' readers", () => {
  it("plain swanctl --list-sas: one connection's IKE states and each INSTALLED CHILD_SA's counters by unique id", () => {
    const sas = listedSas(LISTED, "laptops");
    assert.deepStrictEqual(sas.ikeStates, ["ESTABLISHED"]);
    assert.deepStrictEqual([...sas.children], [["2", { bytesIn: 420, packetsIn: 5, bytesOut: 336, packetsOut: 4 }]]);
    assert.deepStrictEqual([...listedSas(LISTED, "branch").children], [["3", { bytesIn: 84, packetsIn: 1, bytesOut: 84, packetsOut: 1 }]]);
    assert.deepStrictEqual(listedSas(LISTED, "absent"), { ikeStates: [], children: new Map() });
  });

  it("Prometheus text: names, labels with escaped quotes, values; comments skipped", () => {
    const page = [
      "# HELP x y",
      'stage2_strongswan_child_sa_in_bytes_total{conn="laptops",child="laptops",child_id="2"} 420',
      'stage2_strongswan_certificate_not_after_seconds{kind="gateway",subject="CN=a\\"b"} 1796680143',
      "node_textfile_scrape_error 0",
    ].join("\n");
    assert.deepStrictEqual(parseSamples(page), [
      { name: "stage2_strongswan_child_sa_in_bytes_total", labels: { conn: "laptops", child: "laptops", child_id: "2" }, value: 420 },
      { name: "stage2_strongswan_certificate_not_after_seconds", labels: { kind: "gateway", subject: 'CN=a\\"b' }, value: 1796680143 },
      { name: "node_textfile_scrape_error", labels: {}, value: 0 },
    ]);
  });
});
