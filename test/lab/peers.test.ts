import { strict as assert } from "assert";
import { GatewayModel } from "../../components/model/gateway";
import { pingReached } from "../../lab/checks";
import { pingLoss } from "../../lab/hitless";
import { labLayout } from "../../lab/layout";
import { renderGobgpdConfig, renderRoadWarriorSwanctl, renderSiteSwanctl, ROUTE_POLLER } from "../../lab/peers";
import { parseSas } from "../../doctor/parse-sas";
import { LAB_STACK_FILE, labSuppliedSecrets, loadLabStack } from "../../lab/stack";

const layout = () => labLayout(loadLabStack(LAB_STACK_FILE).gateways[0] as GatewayModel, "s2x");

describe("lab peers (rendered with the strongSwan settings serializer) and the lab's readers", () => {
  it("the road warrior: NAT-T client of the floating IP, asks for a virtual IP, restarts on DPD", () => {
    assert.deepEqual(renderRoadWarriorSwanctl(layout(), "rw-secret").split("\n"), [
      "# Managed by stage2 lab: a lab peer, not a stage2 host.",
      "",
      "connections {",
      "\tlaptops {",
      "\t\tversion = 2",
      "\t\tremote_addrs = 203.0.113.20",
      "\t\tvips = 0.0.0.0",
      "\t\tproposals = aes256gcm16-prfsha384-ecp384,aes256-sha256-modp2048",
      "\t\tdpd_delay = 2s",
      "\t\tlocal {",
      "\t\t\tauth = psk",
      "\t\t\tid = laptop@lab.example",
      "\t\t}",
      "\t\tremote {",
      "\t\t\tauth = psk",
      "\t\t\tid = vpn.lab.example",
      "\t\t}",
      "\t\tchildren {",
      "\t\t\tlaptops {",
      "\t\t\t\tremote_ts = 10.0.0.0/16",
      "\t\t\t\tesp_proposals = aes256gcm16-ecp384,aes256-sha256,aes256-sha384",
      "\t\t\t\tdpd_action = restart",
      "\t\t\t\tclose_action = restart",
      "\t\t\t\tstart_action = none",
      "\t\t\t}",
      "\t\t}",
      "\t}",
      "}",
      "",
      "secrets {",
      "\tike-laptops {",
      "\t\tid = laptop@lab.example",
      "\t\tsecret = rw-secret",
      "\t}",
      "}",
      "",
    ]);
  });

  it("an EAP-MSCHAPv2 road warrior checks the gateway's certificate and logs in with its EAP identity", () => {
    const base = loadLabStack(LAB_STACK_FILE).gateways[0] as GatewayModel;
    const pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    const gw: GatewayModel = {
      ...base,
      ipsec: {
        ...base.ipsec,
        roadWarriors: [
          {
            ...base.ipsec.roadWarriors[0],
            name: "staff",
            local: { kind: "pubkey", cert: pem, keySecret: "gw-key", id: "vpn.lab.example" },
            clients: { kind: "eap-mschapv2", users: [{ id: "alice@lab.example", passwordSecret: "eap-alice" }] },
          },
        ],
      },
    };
    const l = labLayout(gw, "s2x");
    assert.deepEqual(l.rw.auth, { kind: "eap-mschapv2", id: "alice@lab.example", secretKey: "eap-alice", gatewayCertKey: "gw-key" });
    assert.deepEqual(labSuppliedSecrets(gw), ["gw-key"]);
    const lines = renderRoadWarriorSwanctl(l, "pw").split("\n");
    const at = lines.indexOf("\t\tlocal {");
    assert.deepEqual(lines.slice(at, at + 9), [
      "\t\tlocal {",
      "\t\t\tauth = eap-mschapv2",
      "\t\t\tid = alice@lab.example",
      "\t\t\teap_id = alice@lab.example",
      "\t\t}",
      "\t\tremote {",
      "\t\t\tauth = pubkey",
      "\t\t\tid = vpn.lab.example",
      "\t\t}",
    ]);
    assert.deepEqual(lines.slice(-7), ["secrets {", "\teap-staff {", "\t\tid = alice@lab.example", "\t\tsecret = pw", "\t}", "}", ""]);
  });

  it("the site peer mirrors the gateway's traffic selectors; a secret with quotes stays one quoted value", () => {
    const text = renderSiteSwanctl(layout(), 'site "secret"');
    assert.ok(text.includes("\t\tlocal_addrs = 198.51.100.18\n\t\tremote_addrs = 203.0.113.20\n"));
    assert.ok(text.includes("\t\t\t\tlocal_ts = 10.20.0.0/24\n\t\t\t\tremote_ts = 10.0.0.0/16\n"));
    assert.ok(text.includes('\t\tsecret = "site \\"secret\\""\n'));
    assert.ok(text.includes("\t\tid-local = 198.51.100.18\n\t\tid-remote = 203.0.113.20\n"));
  });

  it("gobgpd peers with the gateway's private address and ASN", () => {
    assert.equal(
      renderGobgpdConfig(layout()),
      [
        "# Managed by stage2 lab: gobgpd on the kube-router node.",
        "[global.config]",
        "  as = 64512",
        '  router-id = "10.0.1.1"',
        "",
        "[[neighbors]]",
        "  [neighbors.config]",
        '    neighbor-address = "10.0.0.2"',
        "    peer-as = 65010",
        "  [neighbors.timers.config]",
        "    connect-retry = 1",
        "",
      ].join("\n"),
    );
    assert.match(ROUTE_POLLER, /ip route replace "\$net" via "\$via" proto bgp/);
  });

  it("reads swanctl --list-sas --raw (a line captured from the lab's rw)", () => {
    const raw =
      "list-sa event {laptops {uniqueid=1 version=2 state=ESTABLISHED local-host=192.168.77.10 local-port=4500 local-id=laptop@lab.example remote-host=203.0.113.20 remote-port=4500 remote-id=vpn.lab.example initiator=yes initiator-spi=0d41fb1bbd60f8c4 responder-spi=f0503eedbb259953 nat-local=yes nat-remote=yes nat-any=yes encr-alg=AES_GCM_16 encr-keysize=256 prf-alg=PRF_HMAC_SHA2_384 dh-group=ECP_384 established=7 rekey-time=13451 local-vips=[10.3.0.1] child-sas {laptops-1 {name=laptops uniqueid=1 reqid=1 state=INSTALLED mode=TUNNEL protocol=ESP encap=yes spi-in=2bff8eed spi-out=48f5b728 encr-alg=AES_GCM_16 encr-keysize=256 bytes-in=0 packets-in=0 bytes-out=0 packets-out=0 rekey-time=3362 life-time=3953 install-time=7 local-ts=[10.3.0.1/32] remote-ts=[10.0.0.0/16]}}}}\nlist-sas reply {}\n";
    assert.deepEqual(parseSas(raw), [
      {
        name: "laptops",
        uniqueId: "1",
        remoteId: "vpn.lab.example",
        state: "ESTABLISHED",
        localHost: "192.168.77.10",
        localPort: "4500",
        remoteHost: "203.0.113.20",
        remotePort: "4500",
        initiator: true,
        natRemote: true,
        natLocal: true,
        localVips: ["10.3.0.1"],
        remoteVips: [],
        children: [
          {
            name: "laptops",
            state: "INSTALLED",
            spiIn: "2bff8eed",
            spiOut: "48f5b728",
            localTs: ["10.3.0.1/32"],
            remoteTs: ["10.0.0.0/16"],
            bytesIn: 0,
            packetsIn: 0,
            bytesOut: 0,
            packetsOut: 0,
            installTime: 7,
          },
        ],
      },
    ]);
    assert.deepEqual(parseSas("list-sas reply {}\n"), []);
  });

  it("counts lost echo requests, leaving out the ones still in flight at the stop", () => {
    const replies = [1, 2, 4, 5, 6, 7, 8, 9].map((n) => `64 bytes from 10.0.1.1: icmp_seq=${n} ttl=63 time=0.5 ms`);
    const text = [
      "PING 10.0.1.1 (10.0.1.1) from 10.3.0.1 : 56(84) bytes of data.",
      ...replies,
      "",
      "--- 10.0.1.1 ping statistics ---",
      "12 packets transmitted, 8 received, 33% packet loss, time 560ms",
    ].join("\n");
    assert.deepEqual(pingLoss(text), { sent: 12, lost: [3] });
  });

  it("a reach fact holds when ping got the replies it asked for, a loss made up for within its deadline among them", () => {
    const summary = (sent: number, got: number) => `--- 10.8.0.1 ping statistics ---\n${sent} packets transmitted, ${got} received, time 600ms\n`;
    assert.equal(pingReached(summary(3, 3), 3), true);
    assert.equal(pingReached(summary(4, 3), 3), true, "ping -w sent a fourth after one was lost");
    assert.equal(pingReached(summary(3, 2), 3), false);
    assert.equal(pingReached(summary(10, 2), 3), false, "the deadline passed with two replies");
    assert.equal(pingReached(summary(0, 0), 0), false, "nothing sent proves nothing");
    assert.equal(pingReached("connect: Network is unreachable\n", 3), false);
  });
});
