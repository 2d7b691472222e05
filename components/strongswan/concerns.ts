import { Concern, HostFile, ServiceUnit } from "../host/types";
import { GatewayModel } from "../model/gateway";
import { RenderContext } from "../model/context";
import { renderStrongswanDropIn, STRONGSWAN_DROP_IN } from "./drop-in";
import { ADMITTED_FILE, CLOSE_NOT_ADMITTED, closesTunnels, renderAdmitted, renderRevoked, REVOKED_FILE } from "./admitted";
import { renderGatewaySwanctl, renderSwanctlSecrets, SecretValues, SWANCTL_CONF, SWANCTL_SECRETS, swanctlPemFiles } from "./gateway-swanctl";

/**
 * strongswan.service runs charon-systemd; its ExecReload is `swanctl --reload` + `swanctl --load-all`: unchanged
 * connections keep their SAs, changed ones are replaced. Without systemd (the namespace lab) charon runs directly and
 * the same swanctl commands reload it.
 */
export const strongswanService: ServiceUnit = {
  unit: "strongswan",
  onChange: "reload",
  direct: {
    running: "swanctl --stats",
    start:
      "/usr/lib/ipsec/charon >/dev/null 2>&1 & for i in $(seq 50); do swanctl --stats >/dev/null 2>&1 && break; sleep 0.1; done; swanctl --load-all --noprompt >/dev/null",
    reload: "swanctl --reload && swanctl --load-all --noprompt",
  },
};

/**
 * libstrongswan's own parser on the staged file: swanctl reads STRONGSWAN_CONF at start-up and refuses a file it
 * cannot parse (exit 64, "invalid config file") before doing anything else. Semantic errors (an unknown proposal)
 * only show when charon loads the file; the reload's rollback covers those.
 */
export const SETTINGS_VALIDATE = 'STRONGSWAN_CONF="$STAGED" swanctl --help >/dev/null';

export function strongswanPackages(gw: GatewayModel): string[] {
  return [
    "charon-systemd",
    "strongswan-swanctl",
    // eap-mschapv2 and the openssl plugin (ECP groups, AES-GCM, MD4 for MSCHAPv2) are not in the base packages.
    "libcharon-extauth-plugins",
    "libstrongswan-standard-plugins",
    ...(gw.ipsec.dataplane === "libipsec" ? ["libcharon-extra-plugins"] : []),
  ];
}

/** Packages, the legacy ipsec.conf starter masked (it fights over UDP 500/4500), logging and dataplane drop-in. */
export function strongswanInstallConcern(gw: GatewayModel): Concern {
  return {
    name: "strongswan-install",
    packages: strongswanPackages(gw),
    masked: ["strongswan-starter.service"],
    files: [{ path: STRONGSWAN_DROP_IN, content: renderStrongswanDropIn(gw), mode: "0644", validate: SETTINGS_VALIDATE }],
    services: [{ ...strongswanService, onChange: "none" }],
    // Log levels apply on --reload-settings; a dataplane change loads other plugins, which only a restart does
    // (it drops every tunnel, so it is the one change here that is not hitless).
    activate: ["swanctl --reload-settings"],
  };
}

/** swanctl.conf (connections, pools, public certificates): reloaded hitlessly, rolled back if charon rejects it. */
export function swanctlConcern(gw: GatewayModel, ctx: RenderContext): Concern {
  const pems: HostFile[] = swanctlPemFiles(gw, {}, { publicOnly: true })
    .filter((f) => !f.secret)
    .map((f) => ({ path: f.path, content: f.content, mode: "0644" }));
  const crls = gw.ipsec.roadWarriors.some((rw) => rw.clients.kind === "pubkey" && rw.clients.crl);
  const revoked = renderRevoked(gw);
  const activate = [
    // charon caches a CRL it has verified, and its revocation check takes the first valid CRL it finds: without
    // the flush, the cached older CRL keeps admitting a user the newly loaded one revokes.
    ...(crls ? ["swanctl --flush-certs --type x509_crl"] : []),
    ...(closesTunnels(gw) ? [CLOSE_NOT_ADMITTED] : []),
  ];
  return {
    name: "swanctl",
    packages: [],
    files: [
      { path: SWANCTL_CONF, content: renderGatewaySwanctl(gw, ctx), mode: "0644", validate: SETTINGS_VALIDATE },
      ...pems,
      ...(revoked ? [{ path: REVOKED_FILE, content: revoked, mode: "0644" }] : []),
    ],
    services: [strongswanService],
    activate: activate.length ? activate : undefined,
  };
}

/** PSKs, EAP passwords and private keys: files of mode 0600 that reach the host only on stdin. */
export function swanctlSecretsConcern(gw: GatewayModel, ctx: RenderContext, secrets: SecretValues): Concern {
  const keys: HostFile[] = swanctlPemFiles(gw, secrets, { publicOnly: false })
    .filter((f) => f.secret)
    .map((f) => ({ path: f.path, content: f.content, mode: "0600", secret: true }));
  const admitted = renderAdmitted(gw);
  return {
    name: "swanctl-secrets",
    packages: [],
    files: [
      { path: SWANCTL_SECRETS, content: renderSwanctlSecrets(gw, ctx, secrets), mode: "0600", secret: true, validate: SETTINGS_VALIDATE },
      ...keys,
      ...(admitted ? [{ path: ADMITTED_FILE, content: admitted, mode: "0600" }] : []),
    ],
    services: [strongswanService],
    // After the reload, when a removed user's password is gone: a tunnel it holds (or re-opened) is closed for good.
    activate: closesTunnels(gw) ? [CLOSE_NOT_ADMITTED] : undefined,
  };
}
