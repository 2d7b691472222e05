import { LabHost, putFile, sh } from "../host";
import { LabLayout } from "../layout";

/**
 * OpenIKED as a road warrior of the lab's PSK class: a client that is not strongSwan. It runs in the road warrior's
 * namespace in place of its charon (both take UDP 500 and 4500) and installs its SAs with PF_KEY, so only the
 * kernel lab can run it. Its defaults are left alone: what it proposes is what a user of it would send.
 */

export const IKED_CONF = "/etc/iked.conf";
const IKED_LOG = "/var/log/iked.log";
export const IKED_POLICY = "stage2-lab";

/**
 * `from any`, not `from dynamic`: iked proposes 0.0.0.0/32 for a dynamic source, which charon answers with
 * TS_UNACCEPTABLE; with `any` charon narrows the source to the virtual IP it assigns. The PSK goes in as hex, so no
 * character of it needs quoting.
 */
export function renderIkedConf(layout: LabLayout, psk: string): string {
  const rw = layout.rw;
  if (rw.auth.kind !== "psk") throw new Error(`OpenIKED joins a PSK class; the lab's road warrior uses ${rw.auth.kind}`);
  const q = (s: string): string => {
    if (!/^[A-Za-z0-9@._=,:/+-]+$/.test(s)) throw new Error(`OpenIKED identity ${JSON.stringify(s)} holds characters iked.conf would need quoted`);
    return `"${s}"`;
  };
  return [
    "# managed by stage2 lab: OpenIKED as a road warrior (kernel lab only)",
    `ikev2 "${IKED_POLICY}" active esp \\`,
    ...rw.remoteTs.map((ts) => `\tfrom any to ${ts} \\`),
    `\tpeer ${layout.addrs.floatingIp} \\`,
    `\tsrcid ${q(rw.auth.id)} dstid ${q(rw.gatewayId)} \\`,
    `\tpsk 0x${Buffer.from(psk, "utf8").toString("hex")} \\`,
    "\trequest address any \\",
    "\tiface eth0",
    "",
  ].join("\n");
}

/** Stops the host's charon (it deletes its SAs and tells the gateway) and starts iked with `conf`. */
export async function startIked(host: LabHost<string>, conf: string): Promise<void> {
  await putFile(host, IKED_CONF, conf, "0600");
  await sh(
    host,
    [
      'pid=$(cat /run/charon.pid 2>/dev/null) && { kill -TERM "$pid"; for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done; }',
      "ip xfrm state flush && ip xfrm policy flush",
      "modprobe af_key",
      `iked -n -f ${IKED_CONF}`,
      `setsid iked -d -v -f ${IKED_CONF} </dev/null >${IKED_LOG} 2>&1 &`,
    ].join("\n"),
  );
}

/** iked stopped (its SAs deleted in the kernel); the host is ready for its charon again. */
export async function stopIked(host: LabHost<string>): Promise<void> {
  await sh(
    host,
    "pkill -TERM -x iked; for i in $(seq 50); do pgrep -x iked >/dev/null || break; sleep 0.1; done; pkill -KILL -x iked; ip xfrm state flush; ip xfrm policy flush; true",
  );
}

export async function ikedLog(host: LabHost<string>, lines = 40): Promise<string> {
  return (await host.exec(`tail -n ${lines} ${IKED_LOG}`)).stdout;
}
