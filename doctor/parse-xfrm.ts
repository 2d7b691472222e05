/**
 * Reads `ip xfrm state` and `ip xfrm policy` for what doctor compares: the SPIs of the kernel's SAs and the
 * (src, dst, dir) of its policies. Key material never leaves this file: `stateEvidence` keeps only the header lines.
 */

export interface XfrmPolicy {
  readonly src: string;
  readonly dst: string;
  readonly dir: string;
}

/** The SPIs (lower-case hex, no 0x, 8 digits as swanctl prints them) of every state. */
export function xfrmSpis(state: string): Set<string> {
  return new Set([...state.matchAll(/\bproto \S+ spi 0x([0-9a-f]+)/g)].map((m) => m[1].padStart(8, "0")));
}

/** The lines naming SAs (addresses, protocol, SPI, mode), never their keys. */
export function stateEvidence(state: string): string {
  return state
    .split("\n")
    .filter((l) => /^src /.test(l) || /^\s+proto \S+ spi /.test(l))
    .join("\n");
}

export function parsePolicies(policy: string): XfrmPolicy[] {
  const out: XfrmPolicy[] = [];
  let head: { src: string; dst: string } | undefined;
  for (const line of policy.split("\n")) {
    const h = /^src (\S+) dst (\S+)/.exec(line);
    if (h) {
      head = { src: h[1], dst: h[2] };
      continue;
    }
    const d = /^\s+dir (in|out|fwd)\b/.exec(line);
    if (d && head) out.push({ ...head, dir: d[1] });
  }
  return out;
}
