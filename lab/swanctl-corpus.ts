import * as fs from "fs";
import * as path from "path";
import { isDocSection, type SwanctlDocument } from "../components/strongswan/swanctl";

/**
 * strongSwan's test corpus (../shared/corpus/strongswan-testing) as test data: its swanctl.conf files, each copied
 * with its swanctl directory into a scratch directory with the PH_IP_<HOST> placeholders replaced by the
 * addresses of the corpus's own hosts file, as strongSwan's test harness does before it starts a scenario.
 */

export const corpusRoot = (shared: string): string => path.join(shared, "corpus", "strongswan-testing", "testing");

/** Every swanctl.conf of the corpus, sorted. */
export function corpusFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name === "swanctl.conf" && path.basename(dir) === "swanctl") out.push(full);
    }
  };
  walk(path.join(root, "tests"));
  return out;
}

/** PH_IP_<NAME> → address, from the corpus's default hosts file (moon → 192.168.0.1, moon1 → 10.1.0.1, ...). */
export function placeholderMap(root: string): Map<string, string> {
  const map = new Map<string, string>();
  const hosts = fs.readFileSync(path.join(root, "hosts", "default", "etc", "hosts"), "utf8");
  for (const line of hosts.split("\n")) {
    const [addr, ...names] = line.replace(/#.*/, "").trim().split(/\s+/);
    if (!addr || !names.length) continue;
    for (const name of names) {
      const short = name.split(".")[0].toUpperCase();
      if (!map.has(`PH_IP_${short}`)) map.set(`PH_IP_${short}`, addr);
    }
  }
  return map;
}

export function substitute(text: string, map: Map<string, string>): string {
  return text.replace(/PH_IP_[A-Z0-9]+/g, (ph) => map.get(ph) ?? ph);
}

/** Copies the swanctl directory's .conf files (includes, conf.d) into `dest`, placeholders replaced. */
export function copyCase(swanctlConf: string, dest: string, map: Map<string, string>): string {
  const src = path.dirname(swanctlConf);
  const copy = (from: string, to: string): void => {
    fs.mkdirSync(to, { recursive: true });
    for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
      const a = path.join(from, entry.name);
      const b = path.join(to, entry.name);
      if (entry.isDirectory()) copy(a, b);
      else if (entry.name.endsWith(".conf")) fs.writeFileSync(b, substitute(fs.readFileSync(a, "utf8"), map));
    }
  };
  copy(src, dest);
  return path.join(dest, "swanctl.conf");
}

const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : typeof v === "string" ? v.split(",").map((s) => s.trim()) : []);

/** The credential files a document names, with the swanctl subdirectory each is read from. */
export function credentialRefs(doc: SwanctlDocument): { dir: string; file: string }[] {
  const refs: { dir: string; file: string }[] = [];
  const sections = (v: unknown): [string, SwanctlDocument][] =>
    isDocSection(v) ? Object.entries(v).filter((e): e is [string, SwanctlDocument] => isDocSection(e[1])) : [];
  for (const [, conn] of sections(doc.connections)) {
    for (const [name, round] of sections(conn)) {
      if (!/^(local|remote)/.test(name)) continue;
      list(round.certs).forEach((file) => refs.push({ dir: "x509", file }));
      list(round.cacerts).forEach((file) => refs.push({ dir: "x509ca", file }));
      list(round.pubkeys).forEach((file) => refs.push({ dir: "pubkey", file }));
    }
  }
  for (const [, ca] of sections(doc.authorities)) list(ca.cacert).forEach((file) => refs.push({ dir: "x509ca", file }));
  return refs;
}
