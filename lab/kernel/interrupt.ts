import { planGateway } from "../../components/plan";
import { LabHost } from "../host";
import { FaultLab, Flip } from "../interrupt";
import { baseArgs } from "../ssh";
import { KernelLab } from "./kernel-lab";
import { rwSpis } from "./scenarios";

/** The kernel lab as the fault suite drives it: the production ("systemd") scripts over the converge's own SSH path. */
export function kernelFaultLab(lab: KernelLab, flip: Flip): FaultLab {
  const secrets = { ...lab.stack.secrets, ...flip.secrets };
  const plan: FaultLab["plan"] = (gw) => planGateway(gw, { floatingIp: lab.layout.addrs.floatingIp }, secrets);
  const { client, target } = lab.gwSsh;
  return {
    manager: "systemd",
    gw: lab.hosts.get("gw") as LabHost,
    model: lab.gateway,
    plan,
    converge: (gw) => lab.converge(plan(gw)),
    run: (command, input) => lab.gwSsh.run(command, { input, timeoutMs: 180_000 }),
    sshArgv: (command) => ["ssh", ...baseArgs(client, target, "none"), target.host, "--", command],
    rwSpis: () => rwSpis(lab),
  };
}
