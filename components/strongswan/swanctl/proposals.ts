import { showValue } from "../../util/show-value";

/**
 * The algorithm keywords charon 5.9.8 accepts in proposals, as tools/swanctl-probe-proposals.ts found them on
 * this machine (test/unit/swanctl-proposals.test.ts asks charon again). strongSwan 6 keywords such as mlkem768
 * or ke1_x25519 are not among them.
 */
export const PROPOSAL_KEYWORDS: ReadonlySet<string> = new Set([
  "3des",
  "aes",
  "aes128",
  "aes128ccm",
  "aes128ccm12",
  "aes128ccm128",
  "aes128ccm16",
  "aes128ccm64",
  "aes128ccm8",
  "aes128ccm96",
  "aes128ctr",
  "aes128gcm",
  "aes128gcm12",
  "aes128gcm128",
  "aes128gcm16",
  "aes128gcm64",
  "aes128gcm8",
  "aes128gcm96",
  "aes128gmac",
  "aes192",
  "aes192ccm",
  "aes192ccm12",
  "aes192ccm128",
  "aes192ccm16",
  "aes192ccm64",
  "aes192ccm8",
  "aes192ccm96",
  "aes192ctr",
  "aes192gcm",
  "aes192gcm12",
  "aes192gcm128",
  "aes192gcm16",
  "aes192gcm64",
  "aes192gcm8",
  "aes192gcm96",
  "aes192gmac",
  "aes256",
  "aes256ccm",
  "aes256ccm12",
  "aes256ccm128",
  "aes256ccm16",
  "aes256ccm64",
  "aes256ccm8",
  "aes256ccm96",
  "aes256ctr",
  "aes256gcm",
  "aes256gcm12",
  "aes256gcm128",
  "aes256gcm16",
  "aes256gcm64",
  "aes256gcm8",
  "aes256gcm96",
  "aes256gmac",
  "aescmac",
  "aesxcbc",
  "blowfish",
  "blowfish128",
  "blowfish192",
  "blowfish256",
  "camellia",
  "camellia128",
  "camellia128ccm12",
  "camellia128ccm128",
  "camellia128ccm16",
  "camellia128ccm64",
  "camellia128ccm8",
  "camellia128ccm96",
  "camellia128ctr",
  "camellia192",
  "camellia192ccm12",
  "camellia192ccm128",
  "camellia192ccm16",
  "camellia192ccm64",
  "camellia192ccm8",
  "camellia192ccm96",
  "camellia192ctr",
  "camellia256",
  "camellia256ccm12",
  "camellia256ccm128",
  "camellia256ccm16",
  "camellia256ccm64",
  "camellia256ccm8",
  "camellia256ccm96",
  "camellia256ctr",
  "camelliaxcbc",
  "cast128",
  "chacha20poly1305",
  "chacha20poly1305compat",
  "curve25519",
  "curve448",
  "des",
  "ecp192",
  "ecp224",
  "ecp224bp",
  "ecp256",
  "ecp256bp",
  "ecp384",
  "ecp384bp",
  "ecp512bp",
  "ecp521",
  "esn",
  "md5",
  "md5_128",
  "modp1024",
  "modp1024s160",
  "modp1536",
  "modp2048",
  "modp2048s224",
  "modp2048s256",
  "modp3072",
  "modp4096",
  "modp6144",
  "modp768",
  "modp8192",
  "modpnone",
  "modpnull",
  "newhope128",
  "noesn",
  "ntru112",
  "ntru128",
  "ntru192",
  "ntru256",
  "null",
  "prfaescmac",
  "prfaesxcbc",
  "prfcamelliaxcbc",
  "prfmd5",
  "prfsha1",
  "prfsha256",
  "prfsha384",
  "prfsha512",
  "serpent",
  "serpent128",
  "serpent192",
  "serpent256",
  "sha",
  "sha1",
  "sha1_160",
  "sha256",
  "sha256_96",
  "sha2_256",
  "sha2_256_96",
  "sha2_384",
  "sha2_512",
  "sha384",
  "sha512",
  "twofish",
  "twofish128",
  "twofish192",
  "twofish256",
  "x25519",
  "x448",
]);

/** A proposal is "default" or keywords joined by "-". */
export function unknownKeyword(proposal: string): string | undefined {
  if (proposal === "default") return undefined;
  return proposal.split("-").find((k) => !PROPOSAL_KEYWORDS.has(k));
}

type Role = "aead" | "encr" | "integ" | "prf" | "dh" | "esn";

function roleOf(keyword: string): Role {
  if (/^prf/.test(keyword)) return "prf";
  if (/^(modp|ecp|curve|x25519|x448|ntru|newhope)/.test(keyword)) return "dh";
  if (keyword === "esn" || keyword === "noesn") return "esn";
  if (/(gcm|ccm|gmac|poly1305)/.test(keyword)) return "aead";
  if (/^(sha|md5|aesxcbc|camelliaxcbc|aescmac)/.test(keyword)) return "integ";
  return "encr";
}

/**
 * What charon 5.9.8 requires of a proposal's algorithms, as tried on this machine
 * (test/unit/swanctl-proposals.test.ts asks again): IKE needs encryption, a DH group and integrity (AEAD: a PRF or
 * integrity), never AEAD and classic encryption together; ESP needs encryption; AH needs integrity.
 */
export function proposalProblem(kind: "ike" | "esp" | "ah", proposal: string): string | undefined {
  const unknown = unknownKeyword(proposal);
  if (unknown !== undefined) return `${showValue(unknown)} is not an algorithm keyword of strongSwan 5.9.8`;
  if (proposal === "default") return undefined;
  const roles = new Set(proposal.split("-").map(roleOf));
  const has = (r: Role) => roles.has(r);
  if (kind === "ah") return has("integ") ? undefined : "an AH proposal needs an integrity algorithm (e.g. sha256)";
  if (kind === "esp") return has("aead") || has("encr") ? undefined : "an ESP proposal needs an encryption algorithm (e.g. aes256gcm16)";
  if (!has("aead") && !has("encr")) return "an IKE proposal needs an encryption algorithm";
  if (has("aead") && has("encr")) return "an IKE proposal cannot mix AEAD (gcm, ccm, chacha20poly1305) and classic encryption";
  if (!has("dh")) return "an IKE proposal needs a key exchange (e.g. ecp384, x25519, modp3072)";
  if (has("encr") && !has("integ")) return "an IKE proposal with classic encryption needs an integrity algorithm (e.g. sha256)";
  if (has("aead") && !has("prf") && !has("integ")) return "an IKE proposal with AEAD needs a PRF (e.g. prfsha384)";
  return undefined;
}
