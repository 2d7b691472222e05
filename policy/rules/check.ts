import type { EnforcementLevel, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
import { Finding } from "../model/finding";
import { buildStackView, StackView } from "../model/gateways";
import { toSubject } from "../model/subject";

/** A stack tag the offline runner sets: its resources still carry their secret markers. */
export const SECRETS_VISIBLE_TAG = "stage2:secrets-visible";

/** One policy as a pure function of the stack view; `toPolicy` turns it into a Pulumi stack policy. */
export interface Check {
  readonly name: string;
  /** One sentence: what the policy guarantees. */
  readonly description: string;
  readonly enforcementLevel: Extract<EnforcementLevel, "mandatory" | "advisory">;
  /** Why it exists (the README's text). */
  readonly why: string;
  check(view: StackView): Finding[];
}

const views = new WeakMap<object, StackView>();

/** The correlated view of a stack, built once per resource list however many policies read it. */
export function viewOf(args: Pick<StackValidationArgs, "resources" | "stackTags">): StackView {
  const cached = views.get(args.resources);
  if (cached) return cached;
  const subjects = args.resources.map((r) =>
    toSubject({
      type: r.type,
      name: r.name,
      urn: r.urn,
      props: r.props,
      parent: r.parent?.urn,
      dependencies: (r.dependencies ?? []).map((d) => d.urn),
    }),
  );
  const view = buildStackView(subjects, args.stackTags?.get(SECRETS_VISIBLE_TAG) === "true");
  views.set(args.resources, view);
  return view;
}

export function toPolicy(check: Check): StackValidationPolicy {
  return {
    name: check.name,
    description: check.description,
    enforcementLevel: check.enforcementLevel,
    validateStack: (args, reportViolation) => {
      for (const finding of check.check(viewOf(args))) {
        if (!finding.note) reportViolation(finding.message, finding.urn);
      }
    },
  };
}

/**
 * The advisory policy that reports what the others could not check yet: values unknown at preview time. A mandatory
 * policy never fails on a value it cannot see; it says so here instead. What is known but cannot be read is
 * gateway-commands-readable's (fail closed).
 */
export function notesPolicy(checks: readonly Check[]): StackValidationPolicy {
  return {
    name: "values-unknown-at-preview",
    description:
      "Lists what the gateway policies could not check because a value is unknown at preview time (what cannot be read at all is gateway-commands-readable's).",
    enforcementLevel: "advisory",
    validateStack: (args, reportViolation) => {
      const view = viewOf(args);
      const seen = new Set<string>();
      const report = (finding: Finding, prefix: string) => {
        const message = `${prefix}${finding.message}`;
        if (seen.has(`${finding.urn}\n${message}`)) return;
        seen.add(`${finding.urn}\n${message}`);
        reportViolation(message, finding.urn);
      };
      for (const finding of view.notes) report(finding, "");
      for (const check of checks) for (const finding of check.check(view)) if (finding.note) report(finding, `${check.name}: `);
    },
  };
}
