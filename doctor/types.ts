import { GatewayModel } from "../components/model/gateway";
import { RenderContext } from "../components/model/context";
import { HostPlan } from "../components/host/types";

/** What one read-only command printed on the gateway. */
export interface CommandResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number;
}

/**
 * How doctor reads a gateway: over SSH with the pinned host key in production, by executing in the gateway's
 * network namespace in the namespace lab, over the VM's SSH in the kernel lab. Checks only read; they never change
 * the host.
 */
export interface GatewayShell {
  run(script: string, opts?: { readonly timeoutMs?: number }): Promise<CommandResult>;
}

/** "fail" also covers what a check could not read: doctor fails closed. */
export type Status = "ok" | "warn" | "fail";

/** The command a finding rests on and what it printed (secrets redacted). */
export interface Evidence {
  readonly command: string;
  readonly output: string;
}

export interface Finding {
  /** The check that made it, e.g. "units", "ike-binding". */
  readonly check: string;
  readonly status: Status;
  /** What it is about: a unit, a connection, a neighbour, a peer, a file. */
  readonly subject?: string;
  /** What is wrong, or what holds. */
  readonly what: string;
  readonly evidence: readonly Evidence[];
  /** What to do (required when status is not "ok"). */
  readonly fix?: string;
}

/** What the gateway should be: the stack's model and what stage2 renders for it. */
export interface DoctorContext {
  readonly gateway: GatewayModel;
  readonly render: RenderContext;
  readonly plan: HostPlan;
  readonly shell: GatewayShell;
  /** Secret values that must never appear in evidence. */
  readonly secrets: readonly string[];
  readonly now: Date;
}

export interface Check {
  readonly id: string;
  /** One line: what the check looks at. */
  readonly title: string;
  run(ctx: DoctorContext): Promise<readonly Finding[]>;
}
