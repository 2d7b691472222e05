import { poolAddresses } from "../../components/model/pool-capacity";
import { poolName } from "../../components/strongswan/gateway-swanctl";
import { parsePools } from "../parse-pools";
import { probe } from "../probe";
import { Check, DoctorContext, Finding } from "../types";

const CHECK = "capacity";

/** Usage at or above this share of a pool's addresses is a warning. */
export const POOL_WARN_SHARE = 0.9;

/**
 * Per road-warrior class: its pool's leases (online and offline) against the pool's size. Full (every address held
 * by a connected client) fails: charon refuses the next client a virtual IP. Offline leases stay reserved for their
 * client until charon needs the address for another one, so they count towards the warning.
 */
export const capacityCheck: Check = {
  id: CHECK,
  title: "capacity: each road-warrior pool's online and offline leases against its size",
  async run(ctx: DoctorContext): Promise<Finding[]> {
    const classes = ctx.gateway.ipsec.roadWarriors;
    if (classes.length === 0) return [{ check: CHECK, status: "ok", subject: "pools", what: "the stack has no road-warrior class, so no pool", evidence: [] }];
    const p = await probe(ctx.shell, "swanctl --list-pools --raw");
    const pools = p.result.code === 0 ? parsePools(p.result.stdout) : [];
    return classes.map((rw): Finding => {
      const name = poolName(rw);
      const pool = pools.find((x) => x.name === name);
      const subject = rw.name;
      if (!pool)
        return {
          check: CHECK,
          status: "fail",
          subject,
          what: `${rw.name}: charon has no pool ${name} (${rw.pool}): its clients get no virtual IP`,
          evidence: [p.evidence],
          fix:
            p.result.code === 0 ? "load the stack's swanctl.conf: `swanctl --load-all` (or `pulumi up`)" : "start strongSwan: `systemctl restart strongswan`",
        };
      const used = pool.online + pool.offline;
      const share = pool.size > 0 ? used / pool.size : 1;
      const counts = `${pool.online} online + ${pool.offline} offline of ${pool.size} addresses (${Math.round(share * 100)} %)`;
      const evidence = [
        { command: `${p.evidence.command} | ${name}`, output: `${name} base ${pool.base} size ${pool.size} online ${pool.online} offline ${pool.offline}` },
      ];
      const grow = `enlarge ipsec.roadWarriors[${rw.name}].pool (${rw.pool}, ${poolAddresses(rw.pool)} addresses) in the stack and converge, or split the class`;
      if (pool.online >= pool.size)
        return {
          check: CHECK,
          status: "fail",
          subject,
          what: `${rw.name}: pool ${rw.pool} is full, ${counts}: charon refuses the next client a virtual IP`,
          evidence,
          fix: `${grow}; \`swanctl --list-pools --leases --name ${name}\` lists who holds the addresses`,
        };
      if (share >= POOL_WARN_SHARE)
        return {
          check: CHECK,
          status: "warn",
          subject,
          what: `${rw.name}: pool ${rw.pool} is ${Math.round(share * 100)} % used, ${counts}`,
          evidence,
          fix: grow,
        };
      return { check: CHECK, status: "ok", subject, what: `${rw.name}: pool ${rw.pool} has room, ${counts}`, evidence };
    });
  },
};
