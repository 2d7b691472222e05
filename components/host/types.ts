/** What one host receives: files, packages and services, grouped into concerns (one remote command each). */

/** A file written on the host: checked by `validate`, then swapped in by an atomic rename. */
export interface HostFile {
  /** Absolute path on the host. */
  readonly path: string;
  readonly content: string;
  /** Octal mode, e.g. "0644". Files that hold secrets are "0600". */
  readonly mode: string;
  /** owner:group, default root:root. */
  readonly owner?: string;
  /** True when the content holds a secret (PSK, EAP password, private key). */
  readonly secret?: boolean;
  /**
   * The daemon's own parser, run against the staged new file before it replaces the old one.
   * `$STAGED` is the staged copy of this file, `$STAGE` the staged root (files at their real paths below it).
   */
  readonly validate?: string;
}

/** A system service that a concern's files belong to. */
export interface ServiceUnit {
  /** The systemd unit, e.g. "strongswan". */
  readonly unit: string;
  /**
   * How systemd makes changed files live. "reload" is hitless (preferred); "restart" drops state and is
   * used only where the daemon has no reload; "none" when `activate` does the work.
   */
  readonly onChange: "reload" | "restart" | "none";
  /**
   * The same service without a service manager (the namespace lab): how to tell it runs, start it,
   * and do what its ExecReload does.
   */
  readonly direct: { readonly running: string; readonly start: string; readonly reload?: string };
}

/** One concern = one remote command: re-run only when its own inputs change. */
export interface Concern {
  /** Short name, unique per host: "strongswan", "nftables", "bird", ... */
  readonly name: string;
  /** Debian packages, installed when missing. */
  readonly packages: readonly string[];
  /** Units masked so they can never start (e.g. the legacy strongswan-starter). */
  readonly masked?: readonly string[];
  /** Idempotent commands run before files are staged (e.g. create a key that never leaves the host). */
  readonly prepare?: readonly string[];
  readonly files: readonly HostFile[];
  readonly services: readonly ServiceUnit[];
  /** Commands run after the services' own reload when a file changed (e.g. `ip addr replace`). */
  readonly activate?: readonly string[];
}

/** How services are driven: systemd on real hosts (and the kernel lab VM), directly in namespace hosts. */
export type ServiceManager = "systemd" | "direct";

export interface HostPlan {
  readonly host: string;
  readonly concerns: readonly Concern[];
}
