/** `ip -o address show`: which interface holds which address. */
export interface HostAddress {
  readonly ifname: string;
  readonly address: string;
  readonly prefixLength: number;
}

export const LIST_ADDRESSES = "ip -o address show";

export function parseAddresses(text: string): HostAddress[] {
  const out: HostAddress[] = [];
  for (const line of text.split("\n")) {
    const m = /^\d+:\s+(\S+)\s+inet6?\s+([0-9a-fA-F.:]+)\/(\d+)/.exec(line);
    if (m) out.push({ ifname: m[1].replace(/@.*$/, ""), address: m[2], prefixLength: Number(m[3]) });
  }
  return out;
}
