import { strict as assert } from "assert";
import fc from "fast-check";
import { GatewayModel, parseGateway } from "../../components/model/gateway";
import { renderGatewaySwanctl, renderSwanctlSecrets } from "../../components/strongswan/gateway-swanctl";
import { parseSettings } from "../../components/strongswan/settings-parser";
import { SettingsSection, unquoteSettingsValue } from "../../components/strongswan/settings";
import { renderNftables } from "../../components/nftables/render";
import { parseRuleset } from "../../policy/nft/ruleset";
import { renderWireguard } from "../../components/wireguard/render";
import { parseWgConf } from "../../policy/host/wg-conf";
import { renderBird } from "../../components/bird/render";
import { renderSysctl } from "../../components/sysctl/render";
import { fixtureGateway } from "../fixtures/gateway";

/**
 * Random names and values into every renderer; the output must parse back (with the same parsers the policies use)
 * to the same model. Hostile text the schema lets through (identities, secrets) must come back byte for byte.
 */

const name = fc.stringMatching(/^[a-z][a-z0-9-]{0,12}$/);
const identity = fc
  .string({ unit: fc.constantFrom(..."abcXYZ019 .@=,:;/*%$'!?&()[]<>+~`^|_-é".split("")), minLength: 1, maxLength: 30 })
  .filter((s) => s.trim().length > 0);
const secret = fc.string({ unit: fc.constantFrom(..."aZ09 \"'\\$`{}#=,;:é€!".split("")), minLength: 1, maxLength: 40 });
const wgKey = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString("base64"));

const arbitraryGateway = fc
  .record({
    rwNames: fc.uniqueArray(name, { minLength: 1, maxLength: 4 }),
    siteNames: fc.uniqueArray(name, { minLength: 0, maxLength: 3 }),
    ids: fc.array(identity, { minLength: 8, maxLength: 8 }),
    secrets: fc.array(secret, { minLength: 8, maxLength: 8 }),
    peers: fc.uniqueArray(fc.record({ name, key: wgKey }), { minLength: 0, maxLength: 4, selector: (p) => p.name }),
    asn: fc.integer({ min: 1, max: 4294967294 }),
    ports: fc.integer({ min: 1, max: 65535 }),
    libipsec: fc.boolean(),
  })
  .filter((r) => new Set([...r.rwNames, ...r.siteNames]).size === r.rwNames.length + r.siteNames.length)
  .filter((r) => new Set(r.peers.map((p) => p.key)).size === r.peers.length)
  .filter((r) => r.ports !== 500 && r.ports !== 4500)
  .map((r) => {
    const base = fixtureGateway();
    const secrets: Record<string, string> = { "gw-key": "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n" };
    const input = {
      ...base,
      ipsec: {
        dataplane: r.libipsec ? ("libipsec" as const) : ("xfrm" as const),
        roadWarriors: r.rwNames.map((n, i) => {
          secrets[`s-rw-${i}`] = r.secrets[i];
          return {
            name: n,
            pool: `10.${100 + i}.0.0/24`,
            local: { kind: "psk" as const, id: r.ids[i] },
            // One client identity per class, distinct by its prefix: the model keeps PSK classes apart by client identity.
            clients: { kind: "psk" as const, ids: [`rw${i}:${r.ids[(i + 1) % 8]}`], secret: `s-rw-${i}` },
          };
        }),
        sites: r.siteNames.map((n, i) => {
          secrets[`s-site-${i}`] = r.secrets[4 + i];
          return {
            name: n,
            remoteAddrs: [`198.51.100.${i + 1}`],
            remoteTs: [`172.${16 + i}.0.0/16`],
            auth: { kind: "psk" as const, secret: `s-site-${i}`, remoteId: r.ids[4 + i] },
          };
        }),
      },
      wireguard: {
        address: "10.8.0.1/24",
        listenPort: r.ports,
        peers: r.peers.map((p, i) => ({ name: p.name, publicKey: p.key, allowedIps: [`10.8.0.${i + 10}/32`] })),
      },
      bgp: { localAsn: r.asn, neighbors: [{ name: "node-1", address: "10.0.1.1", asn: r.asn === 1 ? 2 : r.asn - 1 }] },
    };
    const parsed = parseGateway(input);
    if (!parsed.ok) throw new Error(`generator made an invalid gateway: ${JSON.stringify(parsed.problems)}`);
    return { gw: parsed.gateway, secrets };
  });

const ctx = { floatingIp: "203.0.113.100" };

function child(sec: SettingsSection, key: string): SettingsSection {
  const e = sec.entries.find((x) => x.key === key);
  assert.ok(e && e.kind === "section", `no section ${key}`);
  return e.section;
}
function value(sec: SettingsSection, key: string): string | undefined {
  const e = sec.entries.find((x) => x.key === key);
  return e && e.kind === "value" ? unquoteSettingsValue(e.value) : undefined;
}

describe("renderers, property-based: output parses back to the model", function () {
  this.timeout(60000);
  const runs = { numRuns: 150 };

  it("swanctl.conf and the secrets file", () => {
    fc.assert(
      fc.property(arbitraryGateway, ({ gw, secrets }) => {
        const conf = parseSettings(renderGatewaySwanctl(gw, ctx)).tree;
        const conns = child(conf, "connections");
        assert.deepEqual(
          conns.entries.map((e) => e.key),
          [...gw.ipsec.roadWarriors, ...gw.ipsec.sites].map((c) => c.name),
        );
        for (const rw of gw.ipsec.roadWarriors) {
          const c = child(conns, rw.name);
          assert.equal(value(c, "local_addrs"), ctx.floatingIp);
          assert.equal(value(child(c, "local"), "id"), rw.local.id);
          assert.equal(value(child(child(conf, "pools"), `${rw.name}-pool`), "addrs"), rw.pool);
        }
        for (const s of gw.ipsec.sites) {
          const c = child(conns, s.name);
          assert.equal(value(child(c, "remote"), "id"), s.auth.kind === "psk" ? s.auth.remoteId : undefined);
          assert.equal(value(child(child(c, "children"), s.name), "remote_ts"), s.remoteTs.join(","));
        }
        const sec = child(parseSettings(renderSwanctlSecrets(gw, ctx, secrets)).tree, "secrets");
        gw.ipsec.roadWarriors.forEach((rw, i) => assert.equal(value(child(sec, `ike-${rw.name}`), "secret"), secrets[`s-rw-${i}`]));
        gw.ipsec.sites.forEach((s, i) => assert.equal(value(child(sec, `ike-${s.name}`), "secret"), secrets[`s-site-${i}`]));
      }),
      runs,
    );
  });

  it("nftables: one table, pools forwarded only through IPsec", () => {
    fc.assert(
      fc.property(arbitraryGateway, ({ gw }) => {
        const rs = parseRuleset(renderNftables(gw, ctx));
        const table = rs.tables.find((t) => t.family === "inet" && t.name === "stage2" && t.chains.size > 0)!;
        const forward = table.chains.get("forward")!;
        assert.equal(forward.policy, "drop");
        for (const rw of gw.ipsec.roadWarriors) {
          const accepts = forward.rules.filter(
            (r) => r.verdict?.kind === "accept" && r.matches.some((m) => m.selector === "ip saddr" && m.values.includes(rw.pool)),
          );
          assert.ok(accepts.length > 0, `no accept for ${rw.pool}`);
          for (const r of accepts) {
            const marked = r.matches.some((m) => (m.selector === "meta ipsec" && !m.negate) || (m.selector === "iifname" && m.values.includes("ipsec0")));
            assert.ok(marked, `accept for ${rw.pool} without an IPsec marker: ${r.text}`);
          }
        }
        const input = table.chains.get("input")!;
        assert.ok(input.rules.some((r) => r.matches.some((m) => m.selector === "udp dport" && m.values.includes(String(gw.wireguard.listenPort)))));
      }),
      runs,
    );
  });

  it("wg0.conf: the same peers, keys and AllowedIPs, and never a private key", () => {
    fc.assert(
      fc.property(arbitraryGateway, ({ gw }) => {
        const wg = parseWgConf("/etc/wireguard/wg0.conf", renderWireguard(gw, ctx));
        assert.deepEqual(wg.addresses, [gw.wireguard.address]);
        assert.equal(wg.listenPort, gw.wireguard.listenPort);
        assert.deepEqual(
          wg.peers,
          gw.wireguard.peers.map((p) => ({ publicKey: p.publicKey, allowedIps: p.allowedIps })),
        );
        assert.equal(wg.hasPrivateKey, false);
      }),
      runs,
    );
  });

  it("bird.conf: one BGP session per neighbour with its ASNs; sysctl: forwarding on", () => {
    fc.assert(
      fc.property(arbitraryGateway, ({ gw }: { gw: GatewayModel }) => {
        const bird = renderBird(gw, ctx);
        const sessions = [...bird.matchAll(/^\tlocal as (\d+);\n\tneighbor (\S+) as (\d+);$/gm)].map((m) => [Number(m[1]), m[2], Number(m[3])]);
        assert.deepEqual(
          sessions,
          gw.bgp!.neighbors.map((n) => [gw.bgp!.localAsn, n.address, n.asn]),
        );
        assert.match(renderSysctl(gw, ctx), /^net\.ipv4\.ip_forward = 1$/m);
      }),
      runs,
    );
  });
});
