import { strict as assert } from "assert";
import { formatProblem, Gateway, parseGateway } from "../../components/model/gateway";
import { renderGatewaySwanctl, renderSwanctlSecrets } from "../../components/strongswan/gateway-swanctl";
import { renderStrongswanDropIn } from "../../components/strongswan/drop-in";
import { FIXTURE_SECRETS, fixtureGateway } from "../fixtures/gateway";

const ctx = { floatingIp: "203.0.113.100" };

describe("gateway swanctl.conf", () => {
  const gw = Gateway.parse(fixtureGateway());

  it("renders road warrior, site and pool exactly, bound to the floating IP", () => {
    assert.equal(
      renderGatewaySwanctl(gw, ctx),
      [
        "# Managed by stage2. Local changes are overwritten on the next converge.",
        "",
        "connections {",
        "\tacme-rw {",
        "\t\tversion = 2",
        "\t\tlocal_addrs = 203.0.113.100",
        "\t\tpools = acme-rw-pool",
        "\t\tproposals = aes256gcm16-prfsha384-ecp384,aes256-sha256-modp2048",
        "\t\tdpd_delay = 30s",
        "\t\tunique = replace",
        "\t\tsend_certreq = no",
        "\t\tlocal {",
        "\t\t\tauth = pubkey",
        "\t\t\tcerts = acme-rw.pem",
        "\t\t}",
        "\t\tremote {",
        "\t\t\tauth = eap-mschapv2",
        "\t\t\teap_id = %any",
        "\t\t}",
        "\t\tchildren {",
        "\t\t\tacme-rw {",
        "\t\t\t\tlocal_ts = 10.0.0.0/16",
        "\t\t\t\tesp_proposals = aes256gcm16-ecp384,aes256-sha256,aes256-sha384",
        "\t\t\t\tdpd_action = clear",
        "\t\t\t}",
        "\t\t}",
        "\t}",
        "\tacme-hq {",
        "\t\tversion = 2",
        "\t\tlocal_addrs = 203.0.113.100",
        "\t\tremote_addrs = 198.51.100.20",
        "\t\tproposals = aes256gcm16-prfsha384-ecp384,aes256-sha256-modp2048",
        "\t\tdpd_delay = 30s",
        "\t\tlocal {",
        "\t\t\tauth = psk",
        "\t\t\tid = 203.0.113.100",
        "\t\t}",
        "\t\tremote {",
        "\t\t\tauth = psk",
        "\t\t\tid = hq.acme.example",
        "\t\t}",
        "\t\tchildren {",
        "\t\t\tacme-hq {",
        "\t\t\t\tlocal_ts = 10.0.0.0/16",
        "\t\t\t\tremote_ts = 172.20.0.0/16",
        "\t\t\t\tesp_proposals = aes256gcm16-ecp384,aes256-sha256,aes256-sha384",
        "\t\t\t\tstart_action = trap",
        "\t\t\t\tdpd_action = trap",
        "\t\t\t\tclose_action = trap",
        "\t\t\t}",
        "\t\t}",
        "\t}",
        "}",
        "",
        "pools {",
        "\tacme-rw-pool {",
        "\t\taddrs = 10.3.0.0/24",
        "\t\tdns = 10.0.0.10",
        "\t}",
        "}",
        "",
        "include conf.d/*.conf",
        "",
      ].join("\n"),
    );
  });

  it("keeps secrets out of swanctl.conf and quotes them safely in the secrets file", () => {
    assert.doesNotMatch(renderGatewaySwanctl(gw, ctx), /hq-psk|pa"ss/);
    const secrets = renderSwanctlSecrets(gw, ctx, FIXTURE_SECRETS);
    assert.match(secrets, /\teap-acme-rw-1 \{\n\t\tid = alice@acme.example\n\t\tsecret = "pa\\"ss\\\\word"\n\t\}/);
    assert.match(secrets, /\tike-acme-hq \{\n\t\tid-1 = 203.0.113.100\n\t\tid-2 = hq.acme.example\n\t\tsecret = hq-psk-0123456789\n\t\}/);
  });

  it("names the missing secret and how to set it", () => {
    assert.throws(() => renderSwanctlSecrets(gw, ctx, {}), /stage2:eap-alice is not set \(pulumi config set --secret stage2:eap-alice/);
  });

  it("rejects a secret that would end the line and open a new key", () => {
    assert.throws(() => renderSwanctlSecrets(gw, ctx, { ...FIXTURE_SECRETS, "psk-hq": "x\n}\nconnections { evil {" }), /control characters/);
  });

  it("is deterministic", () => {
    assert.equal(renderGatewaySwanctl(gw, ctx), renderGatewaySwanctl(Gateway.parse(fixtureGateway()), ctx));
  });
});

describe("strongswan.d drop-in", () => {
  it("turns up the volume per subsystem and selects the dataplane", () => {
    const input = fixtureGateway();
    const gw = Gateway.parse({ ...input, ipsec: { ...input.ipsec, dataplane: "libipsec", log: { default: 1, ike: 3 }, logFile: "/var/log/charon.log" } });
    const text = renderStrongswanDropIn(gw);
    assert.match(text, /\n\t\tkernel-libipsec \{\n\t\t\tload = yes\n\t\t\}/);
    assert.match(
      text,
      /\tfilelog \{\n\t\tstage2 \{\n\t\t\tpath = \/var\/log\/charon.log\n\t\t\ttime_format = "%b %e %T"\n\t\t\tike_name = yes\n\t\t\tappend = yes\n\t\t\tflush_line = yes\n\t\t\tdefault = 1\n\t\t\tike = 3\n/,
    );
    assert.match(text, /charon-systemd \{\n\tjournal \{\n\t\tdefault = 1\n\t\tike = 3\n\t\}\n\}/);
    assert.match(renderStrongswanDropIn(Gateway.parse(input)), /kernel-libipsec \{\n\t\t\tload = no/);
  });

  it("keeps IKE off the WireGuard interface", () => {
    const input = fixtureGateway();
    assert.match(renderStrongswanDropIn(Gateway.parse(input)), /^\tinterfaces_ignore = wg0$/m);
    const renamed = Gateway.parse({ ...input, wireguard: { ...input.wireguard, interface: "wg-stage2" } });
    assert.match(renderStrongswanDropIn(renamed), /^\tinterfaces_ignore = wg-stage2$/m);
  });
});

describe("gateway swanctl.conf with extraSwanctl", () => {
  const withExtra = (extra: unknown) => {
    const input = fixtureGateway();
    return parseGateway({ ...input, ipsec: { ...input.ipsec, extraSwanctl: extra } });
  };

  it("lays raw swanctl over the rendered file: values replace, sections merge", () => {
    const r = withExtra({ connections: { "acme-hq": { rekey_time: "2h", children: { "acme-hq": { updown: "/usr/lib/ipsec/_updown iptables" } } } } });
    assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
    const text = renderGatewaySwanctl(r.gateway, ctx);
    assert.match(text, /\n\tacme-hq \{\n(\t\t.*\n)*\t\trekey_time = 2h\n/);
    assert.match(text, /\t\t\t\tupdown = "\/usr\/lib\/ipsec\/_updown iptables"\n/);
    assert.match(text, /\t\tlocal_addrs = 203\.0\.113\.100\n/);
  });

  it("refuses secrets and a local_addrs that is not the floating IP", () => {
    const secrets = withExtra({ secrets: { "ike-x": { secret: "plain" } } });
    assert.ok(!secrets.ok);
    assert.match(formatProblem(secrets.problems[0]), /^ipsec\.extraSwanctl\.secrets: secrets do not belong in plain stack configuration/);
    const bind = withExtra({ connections: { "acme-hq": { local_addrs: ["10.8.0.1"] } } });
    assert.ok(!bind.ok);
    assert.equal(
      formatProblem(bind.problems[0]),
      'ipsec.extraSwanctl.connections.acme-hq.local_addrs: must be exactly the floating IP [203.0.113.100]: IKE binds the floating IP only; leave it out (got ["10.8.0.1"])',
    );
  });
});
