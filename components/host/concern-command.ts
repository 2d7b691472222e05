import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { renderApplyScript } from "./apply-script";
import { encodePayload } from "./payload";
import { Concern } from "./types";

export type Connection = command.types.input.remote.ConnectionArgs;

/**
 * One remote command for one concern. The script (no secrets) is the command; the files travel on stdin, so a
 * secret never appears on a command line. `create` and `update` are the same idempotent script, so a changed
 * input runs an update in place (never a delete/replace).
 */
export function concernCommand(
  name: string,
  concern: pulumi.Output<Concern>,
  connection: Connection,
  opts: pulumi.CustomResourceOptions,
  /** The same concern without secret values: the script is built from it, so it never turns secret. */
  shape: pulumi.Output<Concern> = concern,
): command.remote.Command {
  const script = shape.apply((c) => renderApplyScript(c, "systemd"));
  const stdin = concern.apply((c) => encodePayload(c.files));
  return new command.remote.Command(
    name,
    {
      connection,
      create: script,
      update: script,
      stdin,
      logging: "stdoutAndStderr",
    },
    opts,
  );
}

/** Checks that a connection pins the host key; stage2 never trusts a host key on first use. */
export function pinnedConnection(args: {
  host: pulumi.Input<string>;
  user: pulumi.Input<string>;
  port: pulumi.Input<number>;
  hostKey: pulumi.Input<string>;
  privateKey: pulumi.Input<string>;
}): Connection {
  return {
    host: args.host,
    user: args.user,
    port: args.port,
    hostKey: args.hostKey,
    privateKey: pulumi.secret(args.privateKey),
    dialErrorLimit: 10,
  };
}
