/**
 * Asks the installed charon which proposal keywords it knows: each candidate is tried in ESP and IKE proposals
 * of a throw-away connection loaded into a sealed charon (lab/charon-sandbox.ts). Prints the accepted ones as
 * a sorted JSON list (the list in components/strongswan/swanctl/proposals.ts came from this on charon 5.9.8).
 *
 *   npx ts-node tools/swanctl-probe-proposals.ts
 */
import * as fs from "fs";
import * as path from "path";
import { CharonSandbox } from "../lab/charon-sandbox";

const sizes = ["128", "192", "256"];
const icv = ["8", "12", "16", "64", "96", "128", ""];
export const CANDIDATES = [
  "null",
  "des",
  "3des",
  "cast128",
  "aes",
  ...sizes.map((s) => `aes${s}`),
  ...sizes.map((s) => `aes${s}ctr`),
  ...sizes.flatMap((s) => icv.map((i) => `aes${s}ccm${i}`)),
  ...sizes.flatMap((s) => icv.map((i) => `aes${s}gcm${i}`)),
  ...sizes.map((s) => `aes${s}gmac`),
  "chacha20poly1305",
  "chacha20poly1305compat",
  "blowfish",
  ...sizes.map((s) => `blowfish${s}`),
  "camellia",
  ...sizes.map((s) => `camellia${s}`),
  ...sizes.map((s) => `camellia${s}ctr`),
  ...sizes.flatMap((s) => icv.filter((i) => i).map((i) => `camellia${s}ccm${i}`)),
  "serpent",
  ...sizes.map((s) => `serpent${s}`),
  "twofish",
  ...sizes.map((s) => `twofish${s}`),
  "sha",
  "sha1",
  "sha1_160",
  "sha256",
  "sha2_256",
  "sha256_96",
  "sha2_256_96",
  "sha384",
  "sha2_384",
  "sha512",
  "sha2_512",
  "md5",
  "md5_128",
  "aesxcbc",
  "camelliaxcbc",
  "aescmac",
  "prfsha1",
  "prfsha256",
  "prfsha384",
  "prfsha512",
  "prfmd5",
  "prfaesxcbc",
  "prfcamelliaxcbc",
  "prfaescmac",
  "modpnone",
  "modpnull",
  "modp768",
  "modp1024",
  "modp1536",
  "modp2048",
  "modp3072",
  "modp4096",
  "modp6144",
  "modp8192",
  "modp1024s160",
  "modp2048s224",
  "modp2048s256",
  "ecp192",
  "ecp224",
  "ecp256",
  "ecp384",
  "ecp521",
  "ecp224bp",
  "ecp256bp",
  "ecp384bp",
  "ecp512bp",
  "curve25519",
  "x25519",
  "curve448",
  "x448",
  "ntru112",
  "ntru128",
  "ntru192",
  "ntru256",
  "newhope128",
  "esn",
  "noesn",
  // strongSwan 6 only: must be refused by 5.9.8
  "mlkem512",
  "mlkem768",
  "mlkem1024",
  "ke1_x25519",
  "ke1_ecp384",
];

export async function probe(candidates: string[]): Promise<string[]> {
  const box = await CharonSandbox.start();
  const file = path.join(box.dir, "probe.conf");
  const accepted: string[] = [];
  try {
    for (const t of candidates) {
      const esp = [t, `aes128-${t}`, `${t}-sha256`, `aes128-sha256-${t}`];
      const ike = [`aes128-sha256-${t}-modp2048`, `aes128-${t}-modp2048`, `${t}-sha256-modp2048`, `aes128-sha256-${t}`];
      const tries = [...esp.map((p) => `children { c { esp_proposals = ${p} } }`), ...ike.map((p) => `proposals = ${p}\nchildren { c { } }`)];
      let ok = false;
      for (const body of tries) {
        fs.writeFileSync(file, `connections {\n probe {\n${body}\n }\n}\n`);
        if (box.load(file).accepted) {
          ok = true;
          break;
        }
      }
      if (ok) accepted.push(t);
    }
  } finally {
    await box.stop();
  }
  return accepted.sort();
}

if (require.main === module) {
  probe(CANDIDATES).then((list) => process.stdout.write(`${JSON.stringify(list)}\n`));
}
