import { z } from "zod";
import { addressOf, contains, isIP, isIPv4, isNetwork, isPrefix, overlaps } from "./net";
import { SwanctlExtraConfig } from "../strongswan/swanctl/schema";
import { checkHost } from "./rules/host";
import { checkBgp } from "./rules/bgp";
import { checkRanges } from "./rules/ranges";
import { checkIsolation } from "./rules/isolation";
import { checkMergedSwanctl } from "./rules/extra-swanctl";
import { cut, gotValue } from "../util/show-value";
import { NAME_RE, PROPOSAL_RE } from "./names";

/**
 * The typed model of one stage2 gateway: the single source that every renderer, component, the lab and
 * `stage2 render` read. Cross-field rules live in `checkGateway` (and rules/*) so they run before any resource exists.
 */

const name = (what: string) => z.string().regex(NAME_RE, `${what} must be lower-case letters, digits and '-', starting with a letter, at most 31 chars`);
const ipv4 = z.string().refine(isIPv4, "must be an IPv4 address like 198.51.100.7");
const ip = z.string().refine(isIP, "must be an IPv4 or IPv6 address");
const cidr = z.string().refine(isPrefix, "must be an address prefix like 10.3.0.0/24");
const network = z.string().refine(isNetwork, "must be a network prefix with no host bits set, like 10.3.0.0/24");
const ifname = z.string().regex(/^[a-zA-Z][a-zA-Z0-9_.-]{0,14}$/, "must be a Linux interface name (1-15 chars)");
/** A reference to a secret config value (set with `pulumi config set --secret stage2:<name>`). */
const secretRef = z.string().regex(/^[a-zA-Z][a-zA-Z0-9_-]{0,62}$/, "must name a secret config key (letters, digits, _ and -)");
/** An IKE identity: an address, FQDN, email or DN, kept on one line and free of quotes. */
const identity = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[^\u0000-\u001f\u007f"\\{}#]+$/, "must be one line without quotes, backslashes, braces or '#'");
/** How strongSwan reads a PSK's text: as it is, or decoded from 0x-hex / 0s-base64 (swanctl.conf's secret prefixes). */
const pskEncoding = z.enum(["text", "hex", "base64"]).optional();
const proposal = z.string().regex(PROPOSAL_RE, "must be a strongSwan proposal like aes256gcm16-prfsha384-ecp384");
const duration = z.string().regex(/^\d+[smhd]?$/, "must be a duration like 30s, 4h or 3600");
const pem = z.string().regex(/^-----BEGIN [A-Z0-9 ]+-----\n[A-Za-z0-9+/=\n]+-----END [A-Z0-9 ]+-----\n?$/, "must be one PEM block");

export const Location = z.enum(["fsn1", "nbg1", "hel1", "ash", "hil", "sin"]);

export const IkeProposals = z
  .object({
    /** IKE proposals, strongest first. Default: aes256gcm16-prfsha384-ecp384, aes256-sha256-modp2048. */
    ike: z.array(proposal).min(1).default(["aes256gcm16-prfsha384-ecp384", "aes256-sha256-modp2048"]),
    /**
     * ESP proposals. Default: aes256gcm16-ecp384, aes256-sha256, aes256-sha384. The last is for OpenIKED on Linux,
     * which over PF_KEY offers no AEAD and cannot install HMAC_SHA2_256_128 (measured in the kernel lab, docs/clients.md).
     */
    esp: z.array(proposal).min(1).default(["aes256gcm16-ecp384", "aes256-sha256", "aes256-sha384"]),
  })
  .strict();

/** How the gateway proves itself to peers. */
export const LocalAuth = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("psk"), id: identity.optional() }).strict(),
  z
    .object({
      kind: z.literal("pubkey"),
      /** The gateway's certificate (public, PEM). */
      cert: pem,
      /** Secret config key holding the certificate's private key (PEM). */
      keySecret: secretRef,
      /** Identity, default: the certificate's subject. */
      id: identity.optional(),
    })
    .strict(),
]);

export const EapUser = z
  .object({
    /** EAP identity the client sends (e.g. alice@example.com). */
    id: identity,
    /** Secret config key holding the EAP-MSCHAPv2 password. */
    passwordSecret: secretRef,
  })
  .strict();

export const RevokedIdentity = z
  .object({
    id: identity,
    /** When the certificate was revoked (ISO 8601, UTC). */
    at: z.string().datetime({ message: "must be an ISO 8601 UTC time like 2026-11-28T05:40:00Z" }),
  })
  .strict();

/** How road-warrior clients authenticate. */
export const ClientAuth = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("eap-mschapv2"), users: z.array(EapUser).min(1) }).strict(),
  z
    .object({
      kind: z.literal("psk"),
      /** Client identities sharing the key; `%any` is not allowed for a PSK. */
      ids: z.array(identity).min(1),
      /** The identity (or `*@domain` pattern) charon requires of this class's clients. Default: the only entry of ids. */
      id: identity.optional(),
      secret: secretRef,
      secretEncoding: pskEncoding,
    })
    .strict(),
  z
    .object({
      kind: z.literal("pubkey"),
      /** CA certificate (PEM) that signs the clients' certificates. */
      ca: pem,
      /** The CA's revocation list (PEM, `stage2 users revoke` writes it): charon refuses a client it lists. */
      crl: pem.optional(),
      /**
       * The identities of revoked certificates and when they were revoked (`stage2 users revoke` writes them): a
       * converge closes their tunnels established before that time. A name issued again connects afterwards.
       */
      revoked: z.array(RevokedIdentity).default([]),
      /** Accepted identities; default any certificate from the CA. */
      id: identity.optional(),
    })
    .strict(),
]);

export const RoadWarrior = z
  .object({
    name: name("roadWarriors[].name"),
    /** Virtual IP pool the clients get their inner address from (the notes' 10.3.0.0/24). */
    pool: network,
    /** DNS servers pushed to clients. */
    dns: z.array(ip).default([]),
    /** Split tunnel: the networks the clients reach through the gateway. Default: the private network. */
    localTs: z.array(cidr).optional(),
    /** The gateway's identity and proof. For EAP-MSCHAPv2 this must be a certificate. */
    local: LocalAuth,
    clients: ClientAuth,
    /** Dead peer detection interval; clients behind NAT vanish silently. Default 30s. */
    dpdDelay: duration.default("30s"),
    proposals: IkeProposals.default({}),
    /** Must equal the floating IP when set; leave it out. */
    localAddrs: z.array(z.string()).optional(),
  })
  .strict();

export const SiteAuth = z.discriminatedUnion("kind", [
  z
    .object({
      kind: z.literal("psk"),
      secret: secretRef,
      secretEncoding: pskEncoding,
      localId: identity.optional(),
      remoteId: identity.optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal("pubkey"),
      cert: pem,
      keySecret: secretRef,
      /** CA certificate (PEM) of the peer. */
      peerCa: pem,
      remoteId: identity,
    })
    .strict(),
]);

export const Site = z
  .object({
    name: name("sites[].name"),
    /** The peer gateway's public address(es). */
    remoteAddrs: z.array(ip).min(1),
    /** Our side's networks. Default: the private network. */
    localTs: z.array(cidr).optional(),
    /** The peer's networks. */
    remoteTs: z.array(cidr).min(1),
    auth: SiteAuth,
    /** trap: install policies and start the tunnel on first traffic (default); none: wait for the peer. */
    startAction: z.enum(["trap", "none", "start"]).default("trap"),
    dpdDelay: duration.default("30s"),
    proposals: IkeProposals.default({}),
    localAddrs: z.array(z.string()).optional(),
  })
  .strict();

export const LogLevels = z
  .object({
    default: z.number().int().min(-1).max(4).default(1),
    ike: z.number().int().min(-1).max(4).optional(),
    cfg: z.number().int().min(-1).max(4).optional(),
    knl: z.number().int().min(-1).max(4).optional(),
    net: z.number().int().min(-1).max(4).optional(),
    chd: z.number().int().min(-1).max(4).optional(),
    enc: z.number().int().min(-1).max(4).optional(),
  })
  .strict();

export const Ipsec = z
  .object({
    /** xfrm: the kernel's IPsec (production). libipsec: strongSwan's userspace ESP on a TUN device (labs without ESP). */
    dataplane: z.enum(["xfrm", "libipsec"]).default("xfrm"),
    /** Log levels per subsystem, -1 (silent) to 4 (everything); read them with `journalctl -u strongswan`. */
    log: LogLevels.default({}),
    /** Also log to this file (e.g. /var/log/charon.log), for hosts without the journal. */
    logFile: z
      .string()
      .regex(/^\/[A-Za-z0-9._/-]+$/, "must be an absolute path")
      .optional(),
    roadWarriors: z.array(RoadWarrior).default([]),
    sites: z.array(Site).default([]),
    /**
     * Raw swanctl.conf (the complete 5.9.8 model, no secrets) laid over what stage2 renders: values replace,
     * sections merge, nothing is removed. For what the model above cannot say; `stage2 import` fills it.
     */
    extraSwanctl: SwanctlExtraConfig.optional(),
  })
  .strict();

export const WireguardPeer = z
  .object({
    name: name("wireguard.peers[].name"),
    publicKey: z.string().regex(/^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/, "must be a WireGuard public key (base64, 44 chars)"),
    allowedIps: z.array(cidr).min(1),
    endpoint: z
      .string()
      .regex(/^[A-Za-z0-9.:[\]-]+:\d{1,5}$/, "must be host:port")
      .optional(),
    persistentKeepalive: z.number().int().min(0).max(65535).optional(),
  })
  .strict();

export const Wireguard = z
  .object({
    interface: ifname.default("wg0"),
    /** The gateway's address on the WireGuard subnet, e.g. 10.8.0.1/24. */
    address: cidr,
    listenPort: z.number().int().min(1).max(65535).default(51820),
    mtu: z.number().int().min(1280).max(9000).default(1420),
    peers: z.array(WireguardPeer).default([]),
  })
  .strict();

export const BgpNeighbor = z
  .object({
    name: name("bgp.neighbors[].name"),
    address: ip,
    asn: z.number().int().min(1).max(4294967294),
  })
  .strict();

export const Bgp = z
  .object({
    localAsn: z.number().int().min(1).max(4294967294),
    /** Default: the gateway's private address. */
    routerId: ipv4.optional(),
    neighbors: z.array(BgpNeighbor).min(1),
    /** Hold timer in seconds (kube-router's default is 90). */
    holdTime: z.number().int().min(3).max(65535).default(90),
  })
  .strict();

export const Gateway = z
  .object({
    name: name("name"),
    server: z
      .object({
        /** Hetzner Cloud server id the floating IP is assigned to. */
        id: z.number().int().positive(),
        /** The server's primary public IPv4 (SSH target). */
        ipv4,
        /** SSH host public key ("ssh-ed25519 AAAA..."): pinned, never trusted on first use. */
        hostKey: z.string().regex(/^(ssh-ed25519|ecdsa-sha2-nistp256|ssh-rsa) [A-Za-z0-9+/=]+$/, "must be 'TYPE BASE64'"),
        user: z
          .string()
          .regex(/^[a-z_][a-z0-9_-]*$/)
          .default("root"),
        port: z.number().int().min(1).max(65535).default(22),
      })
      .strict(),
    publicInterface: ifname.default("eth0"),
    /** Link MTU of the public interface; MSS clamping is derived from it. */
    publicMtu: z.number().int().min(1280).max(9000).default(1500),
    floatingIp: z
      .object({
        location: Location,
        /** The address, when the IP already exists (adopt it with `id`); otherwise Hetzner picks one. */
        address: ipv4.optional(),
        /** Hetzner id of an existing floating IP to adopt instead of creating one. */
        id: z.number().int().positive().optional(),
      })
      .strict(),
    private: z
      .object({
        interface: ifname.default("enp7s0"),
        /** The gateway's address in the private network, with its prefix (10.0.0.2/16). */
        address: cidr,
        /** The networks behind the gateway (Kubernetes nodes, pods, services). */
        networks: z.array(network).min(1),
      })
      .strict(),
    /** Who may SSH in on the public interface (the private network always may). */
    sshFrom: z.array(cidr).default([]),
    /** Networks masqueraded behind the public interface (e.g. clients reaching the internet). */
    masquerade: z.array(network).default([]),
    ipsec: Ipsec.default({}),
    wireguard: Wireguard,
    bgp: Bgp.optional(),
  })
  .strict();

export type GatewayInput = z.input<typeof Gateway>;
export type GatewayModel = z.output<typeof Gateway>;
export type RoadWarriorModel = z.output<typeof RoadWarrior>;
export type SiteModel = z.output<typeof Site>;

export interface Problem {
  readonly path: string;
  readonly message: string;
  readonly value?: unknown;
}

/** The IPsec connections of a gateway in one list, road warriors first (stable order for renderers). */
export function connectionsOf(gw: GatewayModel): { kind: "rw" | "site"; name: string; localAddrs?: string[] }[] {
  return [
    ...gw.ipsec.roadWarriors.map((rw) => ({ kind: "rw" as const, name: rw.name, localAddrs: rw.localAddrs })),
    ...gw.ipsec.sites.map((s) => ({ kind: "site" as const, name: s.name, localAddrs: s.localAddrs })),
  ];
}

/** Cross-field rules the schema alone cannot state. `at` prefixes every path (e.g. "gateways[0]"). */
export function checkGateway(gw: GatewayModel, at = ""): Problem[] {
  const problems: Problem[] = [];
  const p = (path: string, message: string, value?: unknown) => problems.push({ path: at ? `${at}.${path}` : path, message, value });

  const wgNet = gw.wireguard.address;
  const wgRanges = [wgNet, ...gw.wireguard.peers.flatMap((peer) => peer.allowedIps)];
  const seen = new Map<string, string>();
  const unique = (kind: string, value: string, path: string) => {
    const key = `${kind}:${value}`;
    if (seen.has(key)) p(path, `duplicate ${kind} (also at ${seen.get(key)})`, value);
    else seen.set(key, path);
  };

  const pools: { cidr: string; path: string }[] = [];
  gw.ipsec.roadWarriors.forEach((rw, i) => {
    const base = `ipsec.roadWarriors[${i}]`;
    unique("connection name", rw.name, `${base}.name`);
    pools.push({ cidr: rw.pool, path: `${base}.pool` });
    if (rw.clients.kind === "eap-mschapv2" && rw.local.kind !== "pubkey") {
      p(`${base}.local.kind`, "EAP-MSCHAPv2 clients need the gateway to prove itself with a certificate (pubkey)", rw.local.kind);
    }
    if (rw.clients.kind === "psk" && rw.local.kind !== "psk") {
      p(`${base}.local.kind`, "PSK clients need the gateway to use the same PSK (kind: psk)", rw.local.kind);
    }
    (rw.localTs ?? []).forEach((ts, j) => {
      if (wgRanges.some((r) => overlaps(r, ts))) p(`${base}.localTs[${j}]`, "overlaps the WireGuard subnet or a WireGuard peer's allowedIps", ts);
    });
  });
  gw.ipsec.sites.forEach((site, i) => {
    const base = `ipsec.sites[${i}]`;
    unique("connection name", site.name, `${base}.name`);
    site.remoteAddrs.forEach((addr, j) => {
      if (wgRanges.some((r) => overlaps(r, addr))) p(`${base}.remoteAddrs[${j}]`, "is inside the WireGuard subnet: IPsec must not run over WireGuard", addr);
    });
    [...(site.localTs ?? []).map((ts, j) => [ts, `localTs[${j}]`]), ...site.remoteTs.map((ts, j) => [ts, `remoteTs[${j}]`])].forEach(([ts, where]) => {
      if (wgRanges.some((r) => overlaps(r, ts))) p(`${base}.${where}`, "overlaps the WireGuard subnet or a WireGuard peer's allowedIps", ts);
    });
    site.remoteTs.forEach((ts, j) => {
      pools.forEach((pool) => {
        if (overlaps(pool.cidr, ts)) p(`${base}.remoteTs[${j}]`, `overlaps the road-warrior pool at ${pool.path}`, ts);
      });
    });
  });
  pools.forEach((pool, i) => {
    if (overlaps(pool.cidr, wgNet)) p(pool.path, `overlaps the WireGuard subnet ${wgNet}`, pool.cidr);
    gw.wireguard.peers.forEach((peer, j) =>
      peer.allowedIps.forEach((a) => {
        if (overlaps(pool.cidr, a)) p(pool.path, `overlaps wireguard.peers[${j}].allowedIps (${a})`, pool.cidr);
      }),
    );
    gw.private.networks.forEach((n) => {
      if (overlaps(pool.cidr, n)) p(pool.path, `overlaps the private network ${n}`, pool.cidr);
    });
    pools.slice(0, i).forEach((other) => {
      if (overlaps(pool.cidr, other.cidr)) p(pool.path, `overlaps the pool at ${other.path} (${other.cidr})`, pool.cidr);
    });
  });
  gw.private.networks.forEach((n, i) => {
    if (overlaps(n, wgNet)) p(`private.networks[${i}]`, `overlaps the WireGuard subnet ${wgNet}`, n);
  });
  if (!gw.private.networks.some((n) => contains(n, addressOf(gw.private.address)))) {
    p("private.address", "is not inside any of private.networks", gw.private.address);
  }
  gw.wireguard.peers.forEach((peer, i) => {
    unique("wireguard peer name", peer.name, `wireguard.peers[${i}].name`);
    unique("wireguard public key", peer.publicKey, `wireguard.peers[${i}].publicKey`);
  });
  gw.bgp?.neighbors.forEach((nb, i) => {
    unique("bgp neighbor name", nb.name, `bgp.neighbors[${i}].name`);
    unique("bgp neighbor address", nb.address, `bgp.neighbors[${i}].address`);
    if (!gw.private.networks.some((n) => contains(n, nb.address))) {
      p(`bgp.neighbors[${i}].address`, "is not in the private network: BGP stays on the private network", nb.address);
    }
  });
  const fip = gw.floatingIp.address;
  connectionsOf(gw).forEach((conn, i) => {
    if (conn.localAddrs === undefined) return;
    const path = `${conn.kind === "rw" ? "ipsec.roadWarriors" : "ipsec.sites"}[${conn.kind === "rw" ? i : i - gw.ipsec.roadWarriors.length}].localAddrs`;
    if (fip === undefined) p(path, "can only be set when floatingIp.address is known, and must equal it; leave it out", conn.localAddrs);
    else if (conn.localAddrs.length !== 1 || conn.localAddrs[0] !== fip) {
      p(
        path,
        `must be exactly the floating IP [${fip}] (IKE must bind the public floating IP, never %any or the WireGuard tunnel); leave it out`,
        conn.localAddrs,
      );
    }
  });
  if (fip !== undefined && (fip === gw.server.ipv4 || wgRanges.some((r) => overlaps(r, fip)))) {
    p("floatingIp.address", "must differ from the server's primary address and lie outside WireGuard ranges", fip);
  }
  for (const rule of [checkHost, checkBgp, checkRanges, checkIsolation, checkMergedSwanctl]) {
    for (const problem of rule(gw)) p(problem.path, problem.message, problem.value);
  }
  return problems;
}

/** Parses and checks one gateway; problems name the field path and the bad value. */
export function parseGateway(input: unknown, at = ""): { ok: true; gateway: GatewayModel } | { ok: false; problems: Problem[] } {
  const parsed = Gateway.safeParse(input);
  if (!parsed.success) return { ok: false, problems: zodProblems(parsed.error, input, at) };
  const problems = checkGateway(parsed.data, at);
  return problems.length ? { ok: false, problems } : { ok: true, gateway: parsed.data };
}

export function zodProblems(error: z.ZodError, input: unknown, at = ""): Problem[] {
  return error.issues.map((issue) => {
    const path = issue.path
      .map((k) => (typeof k === "number" ? `[${k}]` : `.${cut(k)}`))
      .join("")
      .replace(/^\./, "");
    const value = issue.path.reduce<unknown>((v, k) => (v && typeof v === "object" ? (v as Record<string, unknown>)[k as string] : undefined), input);
    // zod quotes what it received and the keys it did not know; the value is shown once, after the message, cut.
    const message = issue.message.replace(/, received '.*'$/s, "").replace(/'([^']*)'/g, (_, quoted: string) => `'${cut(quoted)}'`);
    return { path: at ? (path ? `${at}.${path}` : at) : path, message, value };
  });
}

/** `path: message (got value)`; the value is cut when long and never shown when the path is a secret slot. */
export function formatProblem(problem: Problem): string {
  return `${problem.path || "(root)"}: ${problem.message}${gotValue(problem.path, problem.value)}`;
}
