import * as fs from "fs";
import * as path from "path";

/** Units this lab machine has enabled that a gateway does not run, or that only slow a one-minute VM down. */
export const MASKED_IN_VM = [
  "apt-daily.timer",
  "apt-daily-upgrade.timer",
  "dpkg-db-backup.timer",
  "e2scrub_all.timer",
  "fstrim.timer",
  "man-db.timer",
  "gobgpd.service",
  "postgresql.service",
  "systemd-timesyncd.service",
] as const;

/**
 * The units of this machine that start in the VM: sshd (the converge's way in) and what a gateway's concerns run
 * (`services` of components/<concern>/concern.ts) or mask themselves (strongswan-starter, masked by the converge as in
 * production). Every other unit the machine enabled is masked in the VM (see unitsToMask).
 */
export const GATEWAY_UNITS = [
  "ssh.service",
  "strongswan.service",
  "strongswan-starter.service",
  "bird.service",
  "nftables.service",
  "prometheus-node-exporter.service",
  "prometheus-bird-exporter.service",
  "stage2-strongswan-metrics.timer",
] as const;

/** WireGuard's unit is per interface. */
const GATEWAY_UNIT_TEMPLATES = [/^wg-quick@[^/]+\.service$/];

/** Where systemd keeps what the machine's admin and packages enabled: <unit>.wants/ and <unit>.requires/ folders. */
export const MACHINE_UNIT_DIR = "/etc/systemd/system";

/**
 * The units enabled on the machine (`systemctl enable`: links in <dir>/<x>.wants or <x>.requires) that a gateway
 * does not run, plus MASKED_IN_VM: a package installed on the machine (openiked, postgresql, …) never starts in
 * the VM. Sorted, each once.
 */
export function unitsToMask(dir = MACHINE_UNIT_DIR): string[] {
  const enabled = new Set<string>(MASKED_IN_VM);
  let folders: string[] = [];
  try {
    folders = fs.readdirSync(dir).filter((f) => /\.(wants|requires)$/.test(f));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  for (const folder of folders) for (const unit of fs.readdirSync(path.join(dir, folder))) enabled.add(unit);
  const keep = (unit: string): boolean => (GATEWAY_UNITS as readonly string[]).includes(unit) || GATEWAY_UNIT_TEMPLATES.some((t) => t.test(unit));
  return [...enabled].filter((u) => !keep(u)).sort();
}

/** Where the lab's own files sit inside the VM (upper layer only; nothing of stage2's production paths). */
export const LAB_DIR_IN_VM = "/opt/stage2-lab";

const CONNTRACK_NFT = [
  "# managed by stage2: the kernel lab turns conntrack on before sshd accepts anything (no verdicts)",
  "table inet stage2-lab-conntrack {",
  "\tchain input {",
  "\t\ttype filter hook input priority raw + 1; policy accept;",
  "\t\tct state new",
  "\t}",
  "}",
  "",
].join("\n");

/** A lab-only oneshot unit of the VM's, started at boot (multi-user.target). */
const labOneshotUnit = (description: string, unit: readonly string[], service: readonly string[]): string =>
  [
    "# managed by stage2: kernel lab only",
    "[Unit]",
    `Description=stage2 kernel lab: ${description}`,
    ...unit,
    "",
    "[Service]",
    "Type=oneshot",
    ...service,
    "RemainAfterExit=yes",
    "",
    "[Install]",
    "WantedBy=multi-user.target",
    "",
  ].join("\n");

const CONNTRACK_UNIT = labOneshotUnit(
  "connection tracking from boot on",
  ["DefaultDependencies=no", "Before=ssh.service network-pre.target"],
  [`ExecStart=/usr/sbin/nft -f ${LAB_DIR_IN_VM}/conntrack.nft`],
);

/**
 * The kernel's crypto modules loaded while the VM boots, on the CPU the boot leaves idle: strongSwan's af-alg plugin
 * (charon's and swanctl's by default) asks the kernel for each algorithm it knows, some 270 module lookups at its
 * first start (20 s emulated), which would otherwise fall on the first gateway's charon in the middle of a run.
 */
export const CRYPTO_UNIT_NAME = "stage2-lab-crypto.service";
const CRYPTO_UNIT = labOneshotUnit(
  "the kernel's crypto modules loaded while the VM boots",
  [],
  ["ExecStart=-/usr/sbin/swanctl --version", "StandardOutput=null"],
);

export interface LayerFile {
  /** Absolute path inside the VM. */
  readonly path: string;
  readonly content?: string;
  /** A symlink instead of a file. */
  readonly link?: string;
  readonly mode: number;
}

/**
 * The lab layer for systemd mode: how the VM lets the converge in (sshd with a pinned key) and what it masks
 * (`masked`, default: unitsToMask() of this machine).
 */
export function systemdLayer(hostKey: { priv: string; pub: string }, authorizedKey: string, masked: readonly string[] = unitsToMask()): LayerFile[] {
  return [
    { path: "/etc/ssh/ssh_host_ed25519_key", content: hostKey.priv, mode: 0o600 },
    { path: "/etc/ssh/ssh_host_ed25519_key.pub", content: hostKey.pub, mode: 0o644 },
    {
      path: "/etc/ssh/sshd_config.d/stage2-kernel-lab.conf",
      content: [
        "# managed by stage2: the kernel lab's sshd (only the VM's own host key, key login only, no PAM session)",
        "HostKey /etc/ssh/ssh_host_ed25519_key",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "UseDNS no",
        // No PAM session: pam_systemd would start a logind session and user@0.service for every command,
        // which costs seconds each under TCG.
        "UsePAM no",
        // The lab runs every host's commands over one multiplexed connection, many at once (a stack's checks).
        "MaxSessions 100",
        "",
      ].join("\n"),
      mode: 0o644,
    },
    { path: "/root/.ssh/authorized_keys", content: authorizedKey, mode: 0o600 },
    // bash reads root's ~/.bashrc for every SSH command; this machine's (pyenv, nvm, ...) costs seconds under TCG.
    { path: "/root/.bashrc", content: "# managed by stage2: the kernel lab's root shell (this machine's dotfiles stay out)\n", mode: 0o644 },
    { path: "/root/.profile", content: "# managed by stage2: the kernel lab's root shell\n", mode: 0o644 },
    // Conntrack from boot on: an SSH connection opened before the gateway's first ruleset would be picked up
    // mid-stream without its window scaling, its packets then judged invalid by `ct state invalid drop`.
    { path: `${LAB_DIR_IN_VM}/conntrack.nft`, content: CONNTRACK_NFT, mode: 0o644 },
    { path: "/etc/systemd/system/stage2-lab-conntrack.service", content: CONNTRACK_UNIT, mode: 0o644 },
    { path: "/etc/systemd/system/multi-user.target.wants/stage2-lab-conntrack.service", link: "../stage2-lab-conntrack.service", mode: 0o777 },
    { path: `/etc/systemd/system/${CRYPTO_UNIT_NAME}`, content: CRYPTO_UNIT, mode: 0o644 },
    { path: `/etc/systemd/system/multi-user.target.wants/${CRYPTO_UNIT_NAME}`, link: `../${CRYPTO_UNIT_NAME}`, mode: 0o777 },
    ...masked.map((unit) => ({ path: `/etc/systemd/system/${unit}`, link: "/dev/null", mode: 0o777 })),
  ];
}

/**
 * Writes the layer below `dir` (the 9p share's layer/ folder) with exact modes. A parent directory gets the
 * mode it has on the machine (the upper layer's copy replaces the lower one's attributes), new ones 0700.
 */
export function writeLayer(dir: string, files: readonly LayerFile[]): void {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { mode: 0o755 });
  for (const f of files) {
    const parts = path.dirname(f.path).split("/").filter(Boolean);
    parts.forEach((_, i) => {
      const inVm = "/" + parts.slice(0, i + 1).join("/");
      const target = path.join(dir, inVm);
      if (fs.existsSync(target)) return;
      fs.mkdirSync(target);
      fs.chmodSync(target, fs.existsSync(inVm) ? fs.statSync(inVm).mode & 0o7777 : 0o700);
    });
    const target = path.join(dir, f.path);
    if (f.link !== undefined) fs.symlinkSync(f.link, target);
    else {
      fs.writeFileSync(target, f.content ?? "", { mode: f.mode });
      fs.chmodSync(target, f.mode);
    }
  }
}
