import * as pulumi from "@pulumi/pulumi";
import * as hcloud from "@pulumi/hcloud";
import * as command from "@pulumi/command";
import { runPreview } from "../../../preview/runtime";
import { GatewayInput } from "../../../components/model/gateway";
import { Stage2Gateway } from "../../../components/stage2-gateway";
import { policies } from "../../../policy/policies";
import { runPolicies, Violation } from "../../../policy/runner";
import { FIXTURE_SECRETS, fixtureGateway } from "../../fixtures/gateway";

/** Stacks for the policy tests: real Pulumi programs run in-process under mocks, then the policy array on them. */

export const HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPsQ2puD/H5wicnh+nFKK5z/D6PNJBY8HocZPiQ5d7A9";

/** Previews a stage2 stack of one Stage2Gateway and runs the policies on it. */
export async function stage2Stack(mutate: (gw: GatewayInput) => void = () => undefined): Promise<Violation[]> {
  const gw = fixtureGateway();
  mutate(gw);
  const preview = await runPreview(
    "policy-test",
    {},
    [],
    () => {
      const secrets = Object.fromEntries(Object.entries(FIXTURE_SECRETS).map(([k, v]) => [k, pulumi.secret(v)]));
      new Stage2Gateway(gw.name, {
        gateway: gw,
        sshPrivateKey: pulumi.secret("-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n"),
        secrets,
      });
    },
    gw.floatingIp.address ? { [`${gw.name}-fip`]: gw.floatingIp.address } : {},
  );
  return runPolicies(preview.resources, policies);
}

export interface ForeignFile {
  readonly path: string;
  readonly content: string;
  /** Adds `chmod MODE PATH` after the here-document. */
  readonly mode?: string;
}

export interface ForeignSpec {
  readonly host?: string;
  /** null: the connection has no hostKey. */
  readonly hostKey?: string | null;
  /** Files written by one plain remote.Command with here-documents, the way hand-written configs get pushed. */
  readonly files: readonly ForeignFile[];
  /** Extra shell lines in the same command (e.g. `systemctl mask ...`). */
  readonly extra?: readonly string[];
  readonly floatingIp?: { readonly assigned: boolean };
  /** false: the SSH private key is passed as a plain string. */
  readonly secretKey?: boolean;
  /** The command's whole script, instead of the one built from `files` and `extra` (see foreignScript). */
  readonly script?: string;
  readonly stdin?: string;
}

/** The script foreignProgram runs: each file by a quoted here-document, then `extra`, then `swanctl --load-all`. */
export function foreignScript(spec: Pick<ForeignSpec, "files" | "extra">): string {
  return [
    "set -e",
    ...spec.files.flatMap((f) => [`cat > ${f.path} <<'EOF'`, f.content.replace(/\n$/, ""), "EOF", ...(f.mode ? [`chmod ${f.mode} ${f.path}`] : [])]),
    ...(spec.extra ?? []),
    "swanctl --load-all",
  ].join("\n");
}

/** A Pulumi program in the style of another team's stack: no stage2 components, only plain resources. */
export function foreignProgram(spec: ForeignSpec): () => void {
  return () => {
    const host = spec.host ?? "198.51.100.10";
    if (spec.floatingIp) {
      const fip = new hcloud.FloatingIp("vpn-fip", { type: "ipv4", homeLocation: "fsn1" });
      if (spec.floatingIp.assigned) new hcloud.FloatingIpAssignment("vpn-fip-assignment", { floatingIpId: fip.id.apply(Number), serverId: 4242 });
    }
    const key = "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n";
    const connection = {
      host,
      user: "root",
      privateKey: spec.secretKey === false ? key : pulumi.secret(key),
      ...(spec.hostKey === null ? {} : { hostKey: spec.hostKey ?? HOST_KEY }),
    };
    const script = spec.script ?? foreignScript(spec);
    new command.remote.Command("vpn-config", { connection, create: script, ...(spec.stdin === undefined ? {} : { stdin: spec.stdin }) });
  };
}

export async function foreignStack(spec: ForeignSpec): Promise<Violation[]> {
  return programStack(foreignProgram(spec));
}

/** Any Pulumi program, previewed under mocks, then judged. */
export async function programStack(program: () => void): Promise<Violation[]> {
  const preview = await runPreview("foreign", {}, [], program);
  return runPolicies(preview.resources, policies);
}

export const of = (violations: readonly Violation[], policy: string): Violation[] => violations.filter((v) => v.policy === policy);

/** A policy's findings as [enforcement, resource, message] rows, for exact comparison. */
export type Row = [level: string, resource: string, message: string];
export const rows = (violations: readonly Violation[], policy: string): Row[] =>
  of(violations, policy).map((v) => [v.enforcementLevel, v.resource ?? "(stack)", v.message]);
export const mandatory = (violations: readonly Violation[]): Violation[] => violations.filter((v) => v.enforcementLevel === "mandatory");

/** A hand-written gateway that passes every policy: the foreign stack's good case. */
export const GOOD_FILES: readonly ForeignFile[] = [
  {
    path: "/etc/network/interfaces.d/60-floating-ip",
    content: "auto eth0:1\niface eth0:1 inet static\n    address 198.51.100.139/32\n",
  },
  {
    path: "/etc/swanctl/swanctl.conf",
    content: [
      "connections {",
      "    home {",
      "        version = 2",
      "        local_addrs = 198.51.100.139",
      "        pools = home-pool",
      "        proposals = aes256gcm16-prfsha384-ecp384",
      "        dpd_delay = 30s",
      "        local {",
      "            auth = pubkey",
      "            certs = gw.pem",
      "        }",
      "        remote {",
      "            auth = eap-mschapv2",
      "            eap_id = %any",
      "        }",
      "        children {",
      "            home {",
      "                local_ts = 10.0.0.0/16",
      "                esp_proposals = aes256gcm16-ecp384",
      "            }",
      "        }",
      "    }",
      "}",
      "pools {",
      "    home-pool {",
      "        addrs = 10.3.0.0/24",
      "    }",
      "}",
      "",
    ].join("\n"),
  },
  {
    path: "/etc/nftables.conf",
    content: [
      "#!/usr/sbin/nft -f",
      "define wan = eth0",
      "table inet filter {",
      "    chain input {",
      "        type filter hook input priority filter; policy drop;",
      "        ct state established,related accept",
      "        iifname $wan udp dport { 500, 4500 } accept",
      "        iifname $wan meta l4proto esp accept",
      '        iifname "wg0" accept',
      "    }",
      "    chain forward {",
      "        type filter hook forward priority filter; policy drop;",
      "        ip saddr 10.3.0.0/24 tcp flags syn / syn,rst tcp option maxseg size set 1360",
      "        ct state established,related accept",
      "        meta secpath exists iifname $wan ip saddr 10.3.0.0/24 oifname $wan ct state new counter accept",
      "    }",
      "}",
      "",
    ].join("\n"),
  },
  {
    path: "/etc/wireguard/wg0.conf",
    content:
      "[Interface]\nAddress = 10.8.0.1/24\nListenPort = 51820\nPostUp = wg set %i private-key /etc/wireguard/wg0.key\n\n[Peer]\nPublicKey = bchFmG/S0DtpAKba/vJ+EIbQ779LpUkBy3BQBLNYKFY=\nAllowedIPs = 10.8.0.10/32\n",
  },
];

export const MASK_STARTER = "systemctl mask --now strongswan-starter.service";

/** GOOD_FILES with one file's content transformed. */
export function withFile(path: string, change: (content: string) => string, files: readonly ForeignFile[] = GOOD_FILES): ForeignFile[] {
  return files.map((f) => (f.path === path ? { ...f, content: change(f.content) } : f));
}
