import { GatewayModel, RoadWarriorModel, SiteModel } from "../model/gateway";
import { RenderContext } from "../model/context";
import { pskClientsId } from "../model/rules/isolation";
import { secretSlots } from "../model/secrets";
import { formatValue, MANAGED_HEADER, renderSettings, section, SettingsSection, SettingsSyntaxError } from "./settings";
import { applyExtraSwanctl } from "./swanctl/merge";
import type { SwanctlDocument } from "./swanctl/document";

/**
 * The gateway's swanctl.conf: road warriors (virtual IP pools, behind NAT) and site-to-site peers, all bound to
 * the floating IP. Secrets are NOT here: they go to a 0600 file of their own (swanctlSecrets), so this file and its
 * diffs stay readable in state and review.
 */

export const SWANCTL_CONF = "/etc/swanctl/swanctl.conf";
export const SWANCTL_SECRETS = "/etc/swanctl/conf.d/stage2-secrets.conf";

export const certFile = (conn: string): string => `/etc/swanctl/x509/${conn}.pem`;
export const keyFile = (conn: string): string => `/etc/swanctl/private/${conn}.pem`;
export const caFile = (conn: string): string => `/etc/swanctl/x509ca/${conn}.pem`;
/** `swanctl --load-creds` (part of --load-all) loads x509crl/: charon then refuses certificates the CRL lists. */
export const crlFile = (conn: string): string => `/etc/swanctl/x509crl/${conn}.pem`;
const base = (file: string): string => file.slice(file.lastIndexOf("/") + 1);

export const poolName = (rw: RoadWarriorModel): string => `${rw.name}-pool`;

function roadWarrior(gw: GatewayModel, rw: RoadWarriorModel, ctx: RenderContext): SettingsSection {
  const local =
    rw.local.kind === "pubkey"
      ? section({ auth: "pubkey", certs: [base(certFile(rw.name))], id: rw.local.id })
      : section({ auth: "psk", id: rw.local.id ?? ctx.floatingIp });
  const remote =
    rw.clients.kind === "eap-mschapv2"
      ? // The client proves itself by EAP; eap_id %any makes charon ask for its EAP identity.
        section({ auth: "eap-mschapv2", eap_id: "%any" })
      : rw.clients.kind === "psk"
        ? section({ auth: "psk", id: pskClientsId(rw.clients) })
        : section({ auth: "pubkey", cacerts: [base(caFile(rw.name))], id: rw.clients.id });
  return section({
    version: 2,
    local_addrs: [ctx.floatingIp],
    pools: [poolName(rw)],
    proposals: rw.proposals.ike,
    dpd_delay: rw.dpdDelay,
    // Road warriors behind NAT often reconnect from a new address: the new IKE_SA replaces the old one.
    unique: "replace",
    send_certreq: rw.clients.kind === "pubkey",
    local,
    remote,
    children: section({
      [rw.name]: section({
        local_ts: rw.localTs ?? gw.private.networks,
        esp_proposals: rw.proposals.esp,
        dpd_action: "clear",
      }),
    }),
  });
}

function site(gw: GatewayModel, s: SiteModel, ctx: RenderContext): SettingsSection {
  const local =
    s.auth.kind === "psk" ? section({ auth: "psk", id: s.auth.localId ?? ctx.floatingIp }) : section({ auth: "pubkey", certs: [base(certFile(s.name))] });
  const remote =
    s.auth.kind === "psk"
      ? section({ auth: "psk", id: s.auth.remoteId ?? s.remoteAddrs[0] })
      : section({ auth: "pubkey", cacerts: [base(caFile(s.name))], id: s.auth.remoteId });
  const trap = s.startAction === "trap";
  return section({
    version: 2,
    local_addrs: [ctx.floatingIp],
    remote_addrs: s.remoteAddrs,
    proposals: s.proposals.ike,
    dpd_delay: s.dpdDelay,
    local,
    remote,
    children: section({
      [s.name]: section({
        local_ts: s.localTs ?? gw.private.networks,
        remote_ts: s.remoteTs,
        esp_proposals: s.proposals.esp,
        start_action: s.startAction,
        // With trap policies a dead peer re-arms the trap, so the next packet brings the tunnel back.
        dpd_action: trap ? "trap" : s.startAction === "start" ? "restart" : "clear",
        close_action: trap ? "trap" : "none",
      }),
    }),
  });
}

export function gatewaySwanctlTree(gw: GatewayModel, ctx: RenderContext): SettingsSection {
  const connections: Record<string, SettingsSection> = {};
  for (const rw of gw.ipsec.roadWarriors) connections[rw.name] = roadWarrior(gw, rw, ctx);
  for (const s of gw.ipsec.sites) connections[s.name] = site(gw, s, ctx);
  const pools: Record<string, SettingsSection> = {};
  for (const rw of gw.ipsec.roadWarriors) {
    pools[poolName(rw)] = section({ addrs: rw.pool, dns: rw.dns.length ? rw.dns : undefined });
  }
  const rendered = section({ connections: section(connections), pools: section(pools) });
  return applyExtraSwanctl(rendered, gw.ipsec.extraSwanctl as SwanctlDocument | undefined);
}

/** swanctl.conf: connections and pools; `include conf.d/*.conf` brings in the secrets file. */
export function renderGatewaySwanctl(gw: GatewayModel, ctx: RenderContext): string {
  const body = renderSettings(gatewaySwanctlTree(gw, ctx), MANAGED_HEADER);
  return `${body}\ninclude conf.d/*.conf\n`;
}

/** Every secret config key the gateway's IPsec needs, with what it is for (the model's secret slots). */
export function swanctlSecretRefs(gw: GatewayModel): { ref: string; what: string }[] {
  return secretSlots(gw).map(({ ref, what }) => ({ ref, what }));
}

export type SecretValues = Readonly<Record<string, string>>;

function need(secrets: SecretValues, ref: string): string {
  const value = secrets[ref];
  if (value === undefined) throw new Error(`secret config value stage2:${ref} is not set (pulumi config set --secret stage2:${ref} ...)`);
  return value;
}

/** A secret as a swanctl.conf value; one that swanctl.conf cannot hold (a newline) is refused by its key, never shown. */
function secretSetting(secrets: SecretValues, ref: string): string {
  const value = need(secrets, ref);
  try {
    formatValue(value, ref);
  } catch (err) {
    if (err instanceof SettingsSyntaxError) throw new Error(`secret config value stage2:${ref}: ${err.reason} (the value is not shown)`);
    throw err;
  }
  return value;
}

/** The 0600 secrets file: PSKs and EAP passwords (private keys are files of their own). */
export function renderSwanctlSecrets(gw: GatewayModel, ctx: RenderContext, secrets: SecretValues): string {
  const entries: Record<string, SettingsSection> = {};
  for (const rw of gw.ipsec.roadWarriors) {
    if (rw.clients.kind === "psk") {
      const ids: Record<string, string> = {};
      rw.clients.ids.forEach((id, i) => (ids[`id-${i + 1}`] = id));
      entries[`ike-${rw.name}`] = section({ ...ids, secret: secretSetting(secrets, rw.clients.secret) });
    }
    if (rw.clients.kind === "eap-mschapv2") {
      rw.clients.users.forEach((u, i) => {
        entries[`eap-${rw.name}-${i + 1}`] = section({ id: u.id, secret: secretSetting(secrets, u.passwordSecret) });
      });
    }
  }
  for (const s of gw.ipsec.sites) {
    if (s.auth.kind !== "psk") continue;
    entries[`ike-${s.name}`] = section({
      "id-1": s.auth.localId ?? ctx.floatingIp,
      "id-2": s.auth.remoteId ?? s.remoteAddrs[0],
      secret: secretSetting(secrets, s.auth.secret),
    });
  }
  return renderSettings(section({ secrets: section(entries) }));
}

/** PEM files: certificates and CAs (public) and private keys (secret, 0600). */
export function swanctlPemFiles(gw: GatewayModel, secrets: SecretValues, opts: { publicOnly: boolean }): { path: string; content: string; secret: boolean }[] {
  const files: { path: string; content: string; secret: boolean }[] = [];
  const pemText = (text: string) => (text.endsWith("\n") ? text : `${text}\n`);
  const key = (ref: string) => (opts.publicOnly ? "" : pemText(need(secrets, ref)));
  for (const rw of gw.ipsec.roadWarriors) {
    if (rw.local.kind === "pubkey") {
      files.push({ path: certFile(rw.name), content: pemText(rw.local.cert), secret: false });
      files.push({ path: keyFile(rw.name), content: key(rw.local.keySecret), secret: true });
    }
    if (rw.clients.kind === "pubkey") files.push({ path: caFile(rw.name), content: pemText(rw.clients.ca), secret: false });
    if (rw.clients.kind === "pubkey" && rw.clients.crl) files.push({ path: crlFile(rw.name), content: pemText(rw.clients.crl), secret: false });
  }
  for (const s of gw.ipsec.sites) {
    if (s.auth.kind !== "pubkey") continue;
    files.push({ path: certFile(s.name), content: pemText(s.auth.cert), secret: false });
    files.push({ path: keyFile(s.name), content: key(s.auth.keySecret), secret: true });
    files.push({ path: caFile(s.name), content: pemText(s.auth.peerCa), secret: false });
  }
  return files;
}
