/** What renderers need beyond the gateway model: values only known once cloud resources exist. */
export interface RenderContext {
  /** The floating IP's address, resolved. */
  readonly floatingIp: string;
}
