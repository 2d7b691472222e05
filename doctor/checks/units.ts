import { shq } from "../../components/host/apply-script";
import { ServiceUnit } from "../../components/host/types";
import { probe } from "../probe";
import { detectServiceManager } from "../service-manager";
import { Check, DoctorContext, Finding } from "../types";

/** Every unit the plan's concerns run, once each (strongswan serves three concerns). */
export function plannedUnits(ctx: DoctorContext): ServiceUnit[] {
  const seen = new Map<string, ServiceUnit>();
  for (const c of ctx.plan.concerns) for (const s of c.services) if (!seen.has(s.unit)) seen.set(s.unit, s);
  return [...seen.values()];
}

export const plannedMasked = (ctx: DoctorContext): string[] => [...new Set(ctx.plan.concerns.flatMap((c) => c.masked ?? []))];

async function systemdFindings(ctx: DoctorContext): Promise<Finding[]> {
  const units = await Promise.all(
    plannedUnits(ctx).map(async (svc): Promise<Finding> => {
      const p = await probe(ctx.shell, `systemctl is-enabled ${shq(svc.unit)}; systemctl is-active ${shq(svc.unit)}`);
      const [enabled = "", active = ""] = p.result.stdout.trim().split("\n");
      const ok = enabled === "enabled" && active === "active";
      return {
        check: "units",
        status: ok ? "ok" : "fail",
        subject: svc.unit,
        what: ok ? `${svc.unit} is enabled and active` : `${svc.unit} is ${enabled || "unknown"} and ${active || "unknown"}, not enabled and active`,
        evidence: [p.evidence],
        ...(ok ? {} : { fix: `systemctl enable --now ${svc.unit}; if it does not stay up, its reason is in journalctl -u ${svc.unit} -n 50` }),
      };
    }),
  );
  const masked = await Promise.all(
    plannedMasked(ctx).map(async (unit): Promise<Finding> => {
      const p = await probe(ctx.shell, `systemctl is-enabled ${shq(unit)}; systemctl is-active ${shq(unit)}`);
      const [enabled = "", active = ""] = p.result.stdout.trim().split("\n");
      const ok = enabled === "masked" && active !== "active";
      return {
        check: "units",
        status: ok ? "ok" : "fail",
        subject: unit,
        what: ok
          ? `${unit} is masked`
          : `${unit} is ${enabled || "unknown"} and ${active || "unknown"}, not masked: the legacy starter fights charon-systemd over UDP 500/4500`,
        evidence: [p.evidence],
        ...(ok ? {} : { fix: `systemctl disable --now ${unit}; systemctl mask ${unit}; systemctl restart strongswan` }),
      };
    }),
  );
  return [...units, ...masked];
}

/** Without a service manager nothing can start a masked unit; what matters is that its daemon does not run. */
const LEGACY_PROCESS: Record<string, string> = { "strongswan-starter.service": "starter" };

async function directFindings(ctx: DoctorContext): Promise<Finding[]> {
  const units = await Promise.all(
    plannedUnits(ctx).map(async (svc): Promise<Finding> => {
      const p = await probe(ctx.shell, svc.direct.running);
      const ok = p.result.code === 0;
      return {
        check: "units",
        status: ok ? "ok" : "fail",
        subject: svc.unit,
        what: ok ? `${svc.unit} runs (no service manager: its own probe answers)` : `${svc.unit} does not run: \`${svc.direct.running}\` fails`,
        evidence: [p.evidence],
        ...(ok ? {} : { fix: `start it as the converge does: ${svc.direct.start}` }),
      };
    }),
  );
  const masked = await Promise.all(
    plannedMasked(ctx).map(async (unit): Promise<Finding> => {
      const name = LEGACY_PROCESS[unit] ?? unit.replace(/\.service$/, "");
      const p = await probe(ctx.shell, `pgrep -x ${shq(name)} || echo "no ${name} process"`);
      const ok = p.result.stdout.trim() === `no ${name} process`;
      return {
        check: "units",
        status: ok ? "ok" : "fail",
        subject: unit,
        what: ok ? `${unit}: no service manager here, and no ${name} process runs` : `${unit}'s ${name} runs beside charon`,
        evidence: [p.evidence],
        ...(ok ? {} : { fix: `stop it (kill the pids above): it fights charon over UDP 500/4500` }),
      };
    }),
  );
  return [...units, ...masked];
}

export const unitsCheck: Check = {
  id: "units",
  title: "strongswan, bird, nftables and wg-quick@wg0 enabled and active; strongswan-starter masked",
  async run(ctx) {
    const { manager } = await detectServiceManager(ctx.shell);
    return manager === "systemd" ? systemdFindings(ctx) : directFindings(ctx);
  },
};
