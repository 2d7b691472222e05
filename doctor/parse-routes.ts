/** A route of `ip route show table N`: its destination as a prefix ("10.3.0.1" → "10.3.0.1/32") and the device. */
export interface Route {
  readonly dst: string;
  readonly dev?: string;
  readonly line: string;
}

export function parseRoutes(text: string): Route[] {
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean)
    .map((line) => {
      const [first] = line.split(/\s+/);
      const dst = first.includes("/") ? first : `${first}/${first.includes(":") ? 128 : 32}`;
      return { dst, dev: /\bdev (\S+)/.exec(line)?.[1], line };
    });
}

/** Whether `ip rule list` sends every packet through table `table` ("220: from all lookup 220"). */
export function hasLookupRule(rules: string, table: number): boolean {
  return rules.split("\n").some((l) => new RegExp(`^\\d+:\\s+from all lookup ${table}\\b`).test(l.trim()));
}
