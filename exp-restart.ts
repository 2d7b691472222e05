import { LoadLab } from "./lab/load";
import { sh } from "./lab/host";

(async () => {
  const pool = process.argv[2] ?? "10.3.0.0/25";
  const sites = Number(process.argv[3] ?? 20);
  const load = await LoadLab.up({ size: { pool, sites }, prefix: "s2exp" });
  try {
    console.log("sites", JSON.stringify((await load.startSites()).failed));
    const c = await load.startClients();
    console.log("clients", c.ms, c.failed.length);
    const before = await load.census();
    console.log("before", before.clients, before.sites);
    const t0 = Date.now();
    const gw = (load as unknown as { gateway: Parameters<typeof sh>[0] }).gateway;
    await sh(gw, 'pid=$(cat /run/charon.pid); kill -TERM "$pid"; for i in $(seq 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done');
    await load.converge();
    console.log("converged", Date.now() - t0);
    for (let i = 0; i < 40; i++) {
      const n = await load.census();
      console.log(`${((Date.now() - t0) / 1000).toFixed(0)}s clients ${n.clients} sites ${n.sites}`);
      if (n.clients >= before.clients && n.sites >= before.sites) break;
      await new Promise((r) => setTimeout(r, 5000));
    }
    console.log((await sh(gw, "grep -ci 'blocked\\|threshold' /var/log/charon.log 2>/dev/null; swanctl --stats")).slice(0, 3000));
  } finally {
    await load.down();
  }
})();
