/** stage2's public API: import these into any Pulumi program. */
export { Stage2Gateway, Stage2GatewayArgs } from "./stage2-gateway";
export { FloatingIp, FloatingIpArgs } from "./floating-ip";
export { StrongswanInstall, StrongswanInstallArgs } from "./strongswan-install";
export { Swanctl, SwanctlArgs } from "./swanctl";
export { Sysctl, SysctlArgs } from "./sysctl";
export { Nftables, NftablesArgs } from "./nftables";
export { Bird, BirdArgs } from "./bird";
export { WireGuard, WireGuardArgs } from "./wireguard";
export { Metrics, MetricsArgs } from "./metrics";
export { pinnedConnection, concernCommand, Connection } from "./host/concern-command";
export { HostComponentArgs } from "./host/host-component-args";
export { Gateway, GatewayInput, GatewayModel, parseGateway, checkGateway, formatProblem, Problem } from "./model/gateway";
export { RenderContext } from "./model/context";
export { planGateway } from "./plan";
export { CONCERNS, ConcernEntry, ConcernName, concernResourceName } from "./concern-registry";
export { renderApplyScript } from "./host/apply-script";
export { encodePayload, decodePayload } from "./host/payload";
export * from "./host/types";
