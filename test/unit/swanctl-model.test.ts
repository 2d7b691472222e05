import * as assert from "assert";
import * as fc from "fast-check";
import { SettingsSyntaxError, renderSettings, type SettingsSection } from "../../components/strongswan/settings";

const renderSettingsText = (t: SettingsSection) => renderSettings(t, "");
import { parseSettings } from "../../components/strongswan/settings-parser";
import {
  SWANCTL_SECTIONS,
  SwanctlConfig,
  SwanctlExtraConfig,
  applyExtraSwanctl,
  errorsOf,
  formatLocatedProblem,
  keysOf,
  placeOf,
  readDocument,
  readSwanctlText,
  renderDocument,
  settingsDifference,
  validateDocument,
  type SectionKind,
} from "../../components/strongswan/swanctl";
import { mergeDocuments } from "../../components/strongswan/swanctl/merge";

const problemsOf = (text: string): string[] => readSwanctlText(text, "t.conf").problems.map(formatLocatedProblem);

describe("swanctl model: the table generated from swanctl.opt", () => {
  it("covers every section kind of swanctl.conf with its keys, types and defaults", () => {
    const kinds = Object.keys(SWANCTL_SECTIONS).sort();
    assert.deepStrictEqual(kinds, [
      "authority",
      "cacert",
      "cert",
      "child",
      "connection",
      "local",
      "pool",
      "remote",
      "secret_eap",
      "secret_ecdsa",
      "secret_ike",
      "secret_ntlm",
      "secret_pkcs12",
      "secret_pkcs8",
      "secret_ppk",
      "secret_private",
      "secret_rsa",
      "secret_token",
      "secret_xauth",
    ]);
    const count = (k: SectionKind) => keysOf(k).length;
    assert.deepStrictEqual([count("connection"), count("local"), count("remote"), count("child"), count("pool"), count("authority")], [32, 8, 11, 42, 2, 8]);
    const mode = keysOf("child").find((k) => k.key === "mode");
    assert.deepStrictEqual(mode?.type, { kind: "choice", values: ["tunnel", "transport", "transport_proxy", "beet", "pass", "drop"] });
    assert.strictEqual(mode?.default, "tunnel");
    assert.match(mode?.doc ?? "", /^IPsec Mode to establish/);
  });

  it("places sections by swanctl.opt's name patterns", () => {
    const at = (p: string) => JSON.stringify(placeOf(p.split(".")));
    assert.strictEqual(at("connections.x.local-2"), '{"kind":"section","section":"local"}');
    assert.strictEqual(at("connections.x.remote.cacert1"), '{"kind":"section","section":"cacert"}');
    assert.strictEqual(at("connections.x.remote.cert-a"), '{"kind":"section","section":"cert"}');
    assert.strictEqual(at("connections.x.children"), '{"kind":"container","path":"connections.<conn>.children"}');
    assert.strictEqual(at("secrets.pkcs12-x"), '{"kind":"section","section":"secret_pkcs12"}');
    assert.strictEqual(at("secrets.private"), '{"kind":"section","section":"secret_private"}');
    assert.strictEqual(at("connections.x.other"), undefined);
  });
});

describe("swanctl model: check names the place, the key, the value and what is allowed", () => {
  it("reports wrong values with file:line:column", () => {
    assert.deepStrictEqual(
      problemsOf(
        [
          "connections {",
          "  rw {",
          "    mobike = maybe",
          "    version = 3",
          "    local { auth = bogus }",
          "    children {",
          "      net {",
          "        mode = tunel",
          "        start_action = hold",
          "        local_ts = 10.0.0.0/33",
          "        mark_in = 1/2/3",
          "        rekey_time = 1.5h",
          "      }",
          "    }",
          "  }",
          "}",
        ].join("\n"),
      ),
      [
        't.conf:3:5: connections.rw.mobike: must be yes or no (got "maybe")',
        "t.conf:4:5: connections.rw.version: must be an integer from 0 to 2 (got 3)",
        't.conf:5:13: connections.rw.local.auth: must be pubkey, psk, rsa[/pss], ecdsa, ed25519, ed448 (optionally ike: and -hash suffixes), eap[-method] or xauth[-backend] (got "bogus")',
        't.conf:8:9: connections.rw.children.net.mode: must be one of tunnel, transport, transport_proxy, beet, pass, drop (got "tunel")',
        't.conf:9:9: connections.rw.children.net.start_action: must be one of none, trap, start, trap|start (also clear = none, route = trap, restart = start) (got "hold")',
        't.conf:10:9: connections.rw.children.net.local_ts: item "10.0.0.0/33" is not a traffic selector: CIDR subnet, address, range (a-b), dynamic or %any, optionally [proto/port] (got ["10.0.0.0/33"])',
        't.conf:11:9: connections.rw.children.net.mark_in: must be value[/mask] (numbers, 0x hex allowed), %unique or %unique-dir (got "1/2/3")',
        't.conf:12:9: connections.rw.children.net.rekey_time: must be a duration: a number of seconds, or with the unit s, m, h or d (e.g. 30s, 4h) (got "1.5h")',
      ],
    );
  });

  it("reports keys and sections strongSwan 5.9.8 does not know, and secrets without their value", () => {
    assert.deepStrictEqual(
      problemsOf(
        [
          "connections {",
          "  rw {",
          "    children { net { icmp = yes } }",
          "    other { }",
          "  }",
          "}",
          "connection { }",
          "secrets {",
          "  bogus { secret = 1 }",
          "  ike-a { id = a }",
          "}",
          "pools { p { dns = 10.0.0.1 } }",
          "pools { q { addrs = 10.4.0.0/24\n dsn = 10.0.0.1\n 25 = text\n split_include = 10.0.0.0/8 } }",
          "connections { rw { x = 1\n x { } } }",
        ].join("\n"),
      ),
      [
        't.conf:3:22: connections.rw.children.net.icmp: is not a key of connections.<conn>.children.<child> in strongSwan 5.9.8 (got "yes")',
        "t.conf:4:5: connections.rw.other: is not a section of a connection (local<suffix>, remote<suffix>, children)",
        "t.conf:7:1: connection: is not a swanctl.conf section (connections, secrets, pools, authorities)",
        "t.conf:9:3: secrets.bogus: is not a secret type: a secrets section name must start with eap, xauth, ntlm, ike, ppk, private, rsa, ecdsa, pkcs8, pkcs12 or token",
        "t.conf:10:3: secrets.ike-a: needs secret (secrets.ike<suffix>)",
        "t.conf:12:9: pools.p: needs addrs (pools.<name>)",
        't.conf:14:2: pools.q.dsn: is not a key of pools.<name> in strongSwan 5.9.8 (got "10.0.0.1")',
        "t.conf:17:20: connections.rw.x: is used both as a value and as a section; stage2 cannot keep both",
        't.conf:17:20: connections.rw.x: is not a key of connections.<conn> in strongSwan 5.9.8 (got "1")',
      ],
    );
  });

  it("takes what charon takes: aliases, yes/true/1, hex numbers, %unique, volumes with units", () => {
    const text = [
      "connections {",
      "  rw {",
      "    mobike = true",
      "    send_certreq = 0",
      "    keyingtries = 0x3",
      "    if_id_in = %unique-dir",
      "    children { net { start_action = route\n dpd_action = restart\n rekey_bytes = 1g\n tfc_padding = mtu\n set_mark_in = %same\n local_ts = dynamic[tcp/ssh], 10.0.0.1-10.0.0.9 } }",
      "  }",
      "}",
    ].join("\n");
    const f = readSwanctlText(text);
    assert.deepStrictEqual(f.problems, []);
    const conn = (f.config.connections as Record<string, Record<string, unknown>>).rw;
    assert.deepStrictEqual([conn.mobike, conn.send_certreq, conn.keyingtries, conn.if_id_in], [true, false, 3, "%unique-dir"]);
  });

  it("warns, without failing, about a top-level template section other sections inherit from", () => {
    const f = readSwanctlText("base { version = 2 }\nconnections {\n  a : base { }\n}\n", "t.conf");
    assert.deepStrictEqual(f.problems.map(formatLocatedProblem), [
      "t.conf:1:1: warning: base: is not a swanctl.conf section; swanctl ignores it (other sections inherit from it)",
    ]);
    assert.deepStrictEqual(errorsOf(f), []);
    assert.deepStrictEqual(f.document.connections, { a: { version: 2 } });
  });
});

describe("swanctl model: SwanctlConfig (zod) for stack configuration", () => {
  it("normalizes what a YAML author writes", () => {
    const parsed = SwanctlConfig.parse({
      connections: {
        rw: {
          version: 2,
          mobike: "no",
          vips: "0.0.0.0, ::",
          dpd_delay: 30,
          local: { auth: "pubkey", certs: "a.pem" },
          children: { c: { esp_proposals: ["aes128-sha256"], if_id_in: 42 } },
        },
      },
    });
    assert.deepStrictEqual(parsed, {
      connections: {
        rw: {
          version: 2,
          mobike: false,
          vips: ["0.0.0.0", "::"],
          dpd_delay: "30",
          local: { auth: "pubkey", certs: ["a.pem"] },
          children: { c: { esp_proposals: ["aes128-sha256"], if_id_in: "42" } },
        },
      },
    });
  });

  it("SwanctlExtraConfig (ipsec.extraSwanctl) refuses secrets in plain configuration", () => {
    const res = SwanctlExtraConfig.safeParse({ secrets: { "ike-a": { secret: "x" } } });
    assert.ok(!res.success);
    assert.deepStrictEqual(
      res.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`),
      ["secrets: secrets do not belong in plain stack configuration: use the gateway model's secret references"],
    );
    assert.deepStrictEqual(SwanctlExtraConfig.parse({ connections: { a: { mobike: "no" } } }), { connections: { a: { mobike: false } } });
  });

  it("fails with the key path and what is allowed", () => {
    const res = SwanctlConfig.safeParse({ connections: { rw: { children: { c: { mode: "iptfs" } } }, x: { unknown: 1 } }, pools: [] });
    assert.ok(!res.success);
    assert.deepStrictEqual(
      res.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`),
      [
        "connections.rw.children.c.mode: must be one of tunnel, transport, transport_proxy, beet, pass, drop",
        "connections.x.unknown: is not a key of connections.<conn> in strongSwan 5.9.8",
        "pools: is not a key here: the top level only holds sections",
      ],
    );
  });
});

describe("swanctl model: rendering", () => {
  it("renders in canonical order: swanctl.opt's key order, rounds before children, lists joined", () => {
    const f = readSwanctlText(
      [
        "pools { p { addrs = 10.3.0.0/24\n dns = 10.0.0.1, 10.0.0.2 } }",
        "connections {",
        "  rw {",
        "    children { net { esp_proposals = aes128gcm16\n local_ts = 10.0.0.0/16 } }",
        "    remote { auth = eap-mschapv2\n eap_id = %any }",
        "    pools = p",
        "    local { id = gw.example\n auth = pubkey }",
        "    version = 2",
        "  }",
        "}",
      ].join("\n"),
    );
    assert.strictEqual(
      renderDocument(f.document),
      [
        "# Managed by stage2. Local changes are overwritten on the next converge.",
        "",
        "connections {",
        "\trw {",
        "\t\tversion = 2",
        "\t\tpools = p",
        "\t\tlocal {",
        "\t\t\tauth = pubkey",
        "\t\t\tid = gw.example",
        "\t\t}",
        "\t\tremote {",
        "\t\t\teap_id = %any",
        "\t\t\tauth = eap-mschapv2",
        "\t\t}",
        "\t\tchildren {",
        "\t\t\tnet {",
        "\t\t\t\tesp_proposals = aes128gcm16",
        "\t\t\t\tlocal_ts = 10.0.0.0/16",
        "\t\t\t}",
        "\t\t}",
        "\t}",
        "}",
        "",
        "pools {",
        "\tp {",
        "\t\taddrs = 10.3.0.0/24",
        "\t\tdns = 10.0.0.1,10.0.0.2",
        "\t}",
        "}",
        "",
      ].join("\n"),
    );
  });

  it("rejects a section name that would break the file, and quotes hostile values", () => {
    assert.throws(() => renderDocument({ connections: { "a} evil {": { version: 2 } } }), SettingsSyntaxError);
    const text = renderDocument({ secrets: { "ike-x": { secret: 'p"w } # x', id: "a b" } } });
    assert.deepStrictEqual(readDocument(parseSettings(text).tree).document, { secrets: { "ike-x": { secret: 'p"w } # x', id: "a b" } } });
  });

  it("random documents render and read back to the same tree", () => {
    const word = fc.stringOf(fc.constantFrom(..."abc019-_"), { minLength: 1, maxLength: 6 }).filter((w) => /^[a-z]/.test(w));
    const text = fc.fullUnicodeString({ maxLength: 10 }).filter((t) => !/[\u0000-\u001f\u007f]/.test(t));
    const child = fc.record({ updown: text, mode: fc.constantFrom("tunnel", "pass"), local_ts: fc.constantFrom(["10.0.0.0/8"], ["dynamic", "::/0"]) });
    const conn = fc.record({ version: fc.constantFrom(0, 1, 2), mobike: fc.boolean(), children: fc.dictionary(word, child, { maxKeys: 3 }) });
    fc.assert(
      fc.property(
        fc.dictionary(word, conn, { minKeys: 1, maxKeys: 3 }),
        fc.dictionary(
          word.map((w) => `eap-${w}`),
          fc.record({ id: text.filter((t) => t !== ""), secret: text }),
          { maxKeys: 2 },
        ),
        (connections, secrets) => {
          const doc = { connections, ...(Object.keys(secrets).length ? { secrets } : {}) };
          const rendered = parseSettings(renderDocument(doc)).tree;
          assert.deepStrictEqual(validateDocument(doc).problems, []);
          assert.deepStrictEqual(readDocument(rendered).document, JSON.parse(JSON.stringify(doc)));
          assert.strictEqual(settingsDifference(rendered, parseSettings(renderDocument(readDocument(rendered).document)).tree), undefined);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("swanctl model: settingsDifference (what the corpus round trip compares)", () => {
  const tree = (t: string) => parseSettings(t).tree;
  it("counts list spacing and yes/true as the same, a changed value or a reordered child as different", () => {
    assert.strictEqual(
      settingsDifference(tree("connections { a { vips = 0.0.0.0, ::\n mobike = true } }"), tree("connections { a { mobike = yes\n vips = 0.0.0.0,:: } }")),
      undefined,
    );
    assert.strictEqual(
      settingsDifference(tree("connections { a { mobike = no } }"), tree("connections { a { mobike = yes } }")),
      'connections.a.mobike: "no" became "yes"',
    );
    assert.strictEqual(
      settingsDifference(tree("connections { a { children { x { }\n y { } } } }"), tree("connections { a { children { y { }\n x { } } } }")),
      "connections.a.children: sections x,y vs y,x",
    );
    assert.strictEqual(
      settingsDifference(tree("connections { a { children { }\n local { } } }"), tree("connections { a { local { }\n children { } } }")),
      undefined,
    );
  });
});

describe("swanctl model: extraSwanctl merge", () => {
  it("leaves a rendered tree untouched without extra, and renders canonically with it", () => {
    const tree = parseSettings("connections {\n a {\n  children { a { mode = tunnel } }\n  version = 2\n }\n}\n").tree;
    assert.strictEqual(applyExtraSwanctl(tree, undefined), tree);
    assert.strictEqual(applyExtraSwanctl(tree, {}), tree);
    const merged = applyExtraSwanctl(tree, { connections: { a: { mobike: false, children: { a: { updown: "/x y" } } } } });
    assert.strictEqual(
      renderSettingsText(merged),
      'connections {\n\ta {\n\t\tversion = 2\n\t\tmobike = no\n\t\tchildren {\n\t\t\ta {\n\t\t\t\tupdown = "/x y"\n\t\t\t\tmode = tunnel\n\t\t\t}\n\t\t}\n\t}\n}\n',
    );
  });

  it("replaces values, merges sections, adds the rest, removes nothing", () => {
    assert.deepStrictEqual(
      mergeDocuments(
        { connections: { a: { mobike: true, children: { a: { mode: "tunnel", updown: "x" } } } } },
        { connections: { a: { mobike: false, children: { a: { mode: "pass" }, b: { mode: "drop" } } }, c: { version: 2 } } },
      ),
      { connections: { a: { mobike: false, children: { a: { mode: "pass", updown: "x" }, b: { mode: "drop" } } }, c: { version: 2 } } },
    );
  });
});
