import * as pulumi from "@pulumi/pulumi";

/**
 * Options for a component's child: parented to the component and waiting for what the component waits for.
 * Pulumi does not pass a component's dependsOn to its children, so without this a gateway's parts would all
 * converge at once instead of in order.
 */
export function childOptions(
  parent: pulumi.Resource,
  opts: pulumi.ComponentResourceOptions | undefined,
  ...extra: pulumi.Resource[]
): pulumi.CustomResourceOptions {
  const inherited = opts?.dependsOn;
  const dependsOn = pulumi.output(inherited ?? []).apply((d) => [...(Array.isArray(d) ? d : [d]), ...extra]) as pulumi.Input<pulumi.Input<pulumi.Resource>[]>;
  return { parent, dependsOn };
}
