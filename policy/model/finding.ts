/** What a check reports: a violation of its policy, or a note that something could not be checked. */
export interface Finding {
  /** The resource at fault; absent for the stack as a whole. */
  readonly urn?: string;
  /** The resource's name, for the offline report. */
  readonly resource?: string;
  readonly message: string;
  /** A note (e.g. a value unknown at preview) is reported as advisory, never as the policy's violation. */
  readonly note?: boolean;
}

export const violation = (subject: { urn: string; name: string } | undefined, message: string): Finding => ({
  urn: subject?.urn,
  resource: subject?.name,
  message,
});

export const note = (subject: { urn: string; name: string } | undefined, message: string): Finding => ({
  urn: subject?.urn,
  resource: subject?.name,
  message,
  note: true,
});
