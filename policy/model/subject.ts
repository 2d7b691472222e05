import { normalize, Plain } from "./values";

/** One resource as the policies judge it, whether it came from the Pulumi engine or the in-process preview. */
export interface Subject {
  readonly type: string;
  readonly name: string;
  readonly urn: string;
  readonly props: Plain;
  readonly parent?: string;
  readonly dependencies: readonly string[];
}

/** The shape both the policy SDK's PolicyResource and the preview's recorded resources share. */
export interface ResourceLike {
  readonly type: string;
  readonly name: string;
  readonly urn: string;
  readonly props?: unknown;
  readonly inputs?: unknown;
  readonly parent?: string | { readonly urn: string };
  readonly dependencies?: readonly (string | { readonly urn: string })[];
}

const urnOf = (ref: string | { readonly urn: string }): string => (typeof ref === "string" ? ref : ref.urn);

export function toSubject(resource: ResourceLike): Subject {
  let raw: unknown;
  try {
    raw = resource.props ?? resource.inputs ?? {};
  } catch {
    raw = {};
  }
  return {
    type: resource.type,
    name: resource.name,
    urn: resource.urn,
    props: normalize(raw),
    parent: resource.parent === undefined ? undefined : urnOf(resource.parent),
    dependencies: (resource.dependencies ?? []).map(urnOf),
  };
}

export const TYPES = {
  command: "command:remote:Command",
  localCommand: "command:local:Command",
  copyToRemote: "command:remote:CopyToRemote",
  floatingIp: "hcloud:index/floatingIp:FloatingIp",
  floatingIpAssignment: "hcloud:index/floatingIpAssignment:FloatingIpAssignment",
  gateway: "stage2:gateway:Stage2Gateway",
} as const;
