import { GatewayModel } from "../../components/model/gateway";
import { GATEWAY_UNITS, MASKED_IN_VM } from "./layer";

/**
 * Everything that differs between the kernel lab and a production gateway, in one place: printed by the CLI
 * (`stage2 lab up --kernel`) and in docs/kernel-lab.md. The apply scripts, rendered files and systemd commands
 * are the production ones; nothing below changes them.
 */
export interface Difference {
  readonly what: string;
  readonly lab: string;
  readonly production: string;
}

export const KERNEL_LAB_DIFFERENCES: readonly Difference[] = [
  {
    what: "machine",
    lab: "a qemu VM (TCG) booting Debian's kernel and systemd; root = this machine's root read-only over virtio-9p + a tmpfs layer thrown away at power-off; /tmp and /var/tmp the VM's own empty tmpfs (the machine's /tmp stays out)",
    production: "a Hetzner Cloud server with its own disk",
  },
  {
    what: "SSH path",
    lab: "the converge's SSH enters on the gateway's public address from the lab's ops namespace (an sshFrom address); it gets there through a ProxyCommand over the VM's management link (qemu user networking, restrict=on, forwarded from 127.0.0.1 only)",
    production: "the operator's machine connects to server.ipv4:22 over the internet",
  },
  {
    what: "management link",
    lab: "an extra interface mgmt0 (.15 of a /24 that overlaps none of the stack's networks, no default route) set up by the initramfs; once the firewall is active only the already-open SSH connection passes it",
    production: "none",
  },
  {
    what: "host key",
    lab: "generated per run and written into the VM's layer; the stack's server.hostKey is replaced by it (still pinned, StrictHostKeyChecking=yes)",
    production: "server.hostKey from the stack",
  },
  {
    what: "sshd",
    lab: "a drop-in /etc/ssh/sshd_config.d/stage2-kernel-lab.conf: only the VM's own host key, key login only, no PAM session, up to 100 sessions on one connection (the lab multiplexes every host's commands); root's authorized_keys holds the run's key; root's ~/.bashrc and ~/.profile are empty (this machine's dotfiles stay out)",
    production: "the server's own sshd configuration",
  },
  {
    what: "masked units",
    lab: `every unit this machine enabled (links in /etc/systemd/system/*.wants and *.requires) but ${GATEWAY_UNITS.join(", ")} and wg-quick@*, and always ${MASKED_IN_VM.join(", ")}, masked in the layer; the VM boots multi-user.target`,
    production: "whatever the server image enables",
  },
  {
    what: "network around the gateway",
    lab: "the namespace lab's topology inside the VM: internet, ops, nat + rw, site + sitehost, node (gobgpd), wgpeer are network namespaces; the gateway's primary and private addresses and routes are set by the lab",
    production: "Hetzner's network sets the primary and private addresses; the floating IP is routed to the server",
  },
  {
    what: "peers",
    lab: "road warrior and site peer run charon with strongSwan's userspace ESP (kernel-libipsec) and wgpeer runs wireguard-go, so their tunnels stay out of the gateway's kernel state",
    production: "real clients and peer gateways",
  },
  {
    what: "packages",
    lab: "already installed on this machine (the root is read-only and has no network): the package step of each apply script finds them and installs nothing",
    production: "installed by apt-get on first converge",
  },
  {
    what: "stack",
    lab: "stacks/Pulumi.lab.yaml with ipsec.dataplane = xfrm, server.hostKey = the VM's key, wireguard.peers[0].publicKey = wgpeer's key; PSKs are plain lab-only values",
    production: "the environment's stack; secrets are Pulumi secrets",
  },
  {
    what: "conntrack",
    lab: "a unit stage2-lab-conntrack.service loads a verdict-free table (inet stage2-lab-conntrack) at boot so connection tracking sees the SSH connections from their first packet",
    production: "conntrack starts with the first stage2 ruleset; each remote command opens a new SSH connection",
  },
  {
    what: "crypto modules",
    lab: "a unit stage2-lab-crypto.service runs `swanctl --version` once at the VM's boot, so the kernel loads the crypto modules strongSwan's af-alg plugin asks for then (some 270 module lookups, 20 s emulated), not at the first gateway charon's start; the gateways' containers do not run it",
    production: "the kernel loads them when charon first starts",
  },
  {
    what: "observation",
    lab: "a table `inet stage2-lab-observe` (a counter on `meta ipsec exists` in the forward hook, no verdicts) shows that decrypted packets carry a secpath",
    production: "none",
  },
  {
    what: "several gateways",
    lab: "a stack of several gateways runs in one VM: each gateway is a systemd-nspawn container booting systemd as its own PID 1, in its own network namespace, its root an overlay over the VM's (private upper layer, own /tmp, own machine-id and SSH host key), with CAP_NET_ADMIN and a writable /proc/sys/net, and no systemd generator (units this machine's fstab, init scripts or database clusters would add are the machine's); the gateways share the VM's kernel, whose modules (esp4, wireguard, nf_tables, ...) the VM loads; the VM's own systemd runs none of the gateway's units",
    production: "one Hetzner Cloud server, one kernel, per gateway",
  },
  {
    what: "whole-stack secrets",
    lab: "a stack of several gateways runs from the real stack file, unchanged: every secret is a value made for the run, gateway and client certificates are issued by the run's CA (identities kept), as in the namespace lab; the dataplane stays xfrm",
    production: "the stack's Pulumi secrets and certificates",
  },
];

export function formatDifferences(): string {
  return KERNEL_LAB_DIFFERENCES.map((d) => `  - ${d.what}: ${d.lab}\n      (production: ${d.production})`).join("\n") + "\n";
}

/** The lab stack's gateway as the kernel lab converges it (see the "stack" difference). */
export function kernelLabGateway(gw: GatewayModel, hostKey: string, wgpeerPublicKey?: string): GatewayModel {
  return {
    ...gw,
    server: { ...gw.server, hostKey },
    ipsec: { ...gw.ipsec, dataplane: "xfrm" },
    wireguard: {
      ...gw.wireguard,
      peers: gw.wireguard.peers.map((p, i) => (i === 0 && wgpeerPublicKey ? { ...p, publicKey: wgpeerPublicKey } : p)),
    },
  };
}
