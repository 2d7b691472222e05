import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { childOptions } from "./host/child-options";
import { concernCommand } from "./host/concern-command";
import { concernOutput } from "./host/concern-output";
import { HostComponentArgs } from "./host/host-component-args";
import { swanctlConcern, swanctlSecretsConcern } from "./strongswan/concerns";
import { swanctlSecretRefs } from "./strongswan/gateway-swanctl";

export interface SwanctlArgs extends HostComponentArgs {
  /**
   * The secret values the gateway's IPsec references (PSKs, EAP passwords, private keys), keyed by the names used in
   * the gateway model. Pass `config.requireSecret(name)`; plain strings are wrapped with `pulumi.secret`.
   */
  readonly secrets: Readonly<Record<string, pulumi.Input<string>>>;
}

/**
 * swanctl.conf (connections, pools, certificates) and, separately, a 0600 secrets file: a PSK change touches only the
 * secrets command, and the connection config stays readable in state and diffs. Both reload charon hitlessly.
 */
export class Swanctl extends pulumi.ComponentResource {
  readonly config: command.remote.Command;
  readonly secrets: command.remote.Command;

  constructor(name: string, args: SwanctlArgs, opts?: pulumi.ComponentResourceOptions) {
    super("stage2:strongswan:Swanctl", name, {}, opts);
    const gw = args.gateway;
    const refs = swanctlSecretRefs(gw).map((r) => r.ref);
    const missing = refs.filter((ref) => args.secrets[ref] === undefined);
    if (missing.length) throw new Error(`${name}: secrets not given: ${missing.join(", ")}`);
    const values = pulumi.secret(pulumi.all(Object.fromEntries(refs.map((ref) => [ref, args.secrets[ref]]))));
    const redacted = Object.fromEntries(refs.map((ref) => [ref, "redacted"]));

    this.secrets = concernCommand(
      `${name}-secrets`,
      pulumi.all([args.floatingIp, values]).apply(([floatingIp, s]) => swanctlSecretsConcern(gw, { floatingIp }, s)),
      args.connection,
      childOptions(this, opts),
      concernOutput(gw, args.floatingIp, (g, ctx) => swanctlSecretsConcern(g, ctx, redacted)),
    );
    this.config = concernCommand(name, concernOutput(gw, args.floatingIp, swanctlConcern), args.connection, childOptions(this, opts, this.secrets));
    this.registerOutputs({});
  }
}
