/**
 * A strongSwan proposal ("aes256gcm16-prfsha384-ecp384") split into what native clients configure one by one, and
 * the names Apple's configuration profiles and Windows' Set-VpnConnectionIPsecConfiguration give each algorithm.
 * A proposal a platform cannot name maps to undefined: the profile then leaves it out, and the compatibility
 * table says so.
 */

export interface ProposalParts {
  readonly encr: string;
  readonly integ?: string;
  readonly prf?: string;
  readonly dh?: string;
}

const AEAD = /(gcm|ccm|poly1305)/;
const DH = /^(modp|ecp|curve|x25519|x448)/;

export function proposalParts(proposal: string): ProposalParts | undefined {
  const words = proposal.split("-");
  const encr = words.find((w) => /^(aes|3des|des|chacha20|camellia|blowfish|cast|serpent|twofish)/.test(w));
  if (encr === undefined) return undefined;
  return {
    encr,
    integ: words.find((w) => /^(sha|md5|aesxcbc|aescmac)/.test(w)),
    prf: words.find((w) => w.startsWith("prf")),
    dh: words.find((w) => DH.test(w)),
  };
}

export const isAead = (encr: string): boolean => AEAD.test(encr);

/** IANA Diffie-Hellman group numbers (RFC 7296 registry) for strongSwan's key exchange keywords. */
export const DH_GROUP: Readonly<Record<string, number>> = {
  modp768: 1,
  modp1024: 2,
  modp1536: 5,
  modp2048: 14,
  modp3072: 15,
  modp4096: 16,
  modp6144: 17,
  modp8192: 18,
  ecp256: 19,
  ecp384: 20,
  ecp521: 21,
  modp2048s256: 24,
  curve25519: 31,
  x25519: 31,
  curve448: 32,
  x448: 32,
};

// Apple's VPN.IKEv2 SecurityAssociationParameters values (Device Management docs; NEVPNIKEv2EncryptionAlgorithm).
const APPLE_ENCR: Readonly<Record<string, string>> = {
  aes128: "AES-128",
  aes256: "AES-256",
  aes128gcm16: "AES-128-GCM",
  aes256gcm16: "AES-256-GCM",
  aes128gcm: "AES-128-GCM",
  aes256gcm: "AES-256-GCM",
  chacha20poly1305: "ChaCha20Poly1305",
  "3des": "3DES",
};
const APPLE_INTEG: Readonly<Record<string, string>> = {
  sha1: "SHA1-96",
  sha: "SHA1-96",
  sha256: "SHA2-256",
  sha2_256: "SHA2-256",
  sha384: "SHA2-384",
  sha2_384: "SHA2-384",
  sha512: "SHA2-512",
  sha2_512: "SHA2-512",
  prfsha256: "SHA2-256",
  prfsha384: "SHA2-384",
  prfsha512: "SHA2-512",
};
const APPLE_DH = new Set([1, 2, 5, 14, 15, 16, 17, 18, 19, 20, 21, 31, 32]);

export interface AppleSa {
  readonly EncryptionAlgorithm: string;
  readonly IntegrityAlgorithm: string;
  readonly DiffieHellmanGroup?: number;
}

/** Apple infers the PRF from IntegrityAlgorithm, so an AEAD proposal's PRF is given there. */
export function appleSa(proposal: string, kind: "ike" | "esp"): AppleSa | undefined {
  const p = proposalParts(proposal);
  if (!p) return undefined;
  const encr = APPLE_ENCR[p.encr];
  const integ =
    APPLE_INTEG[(isAead(p.encr) ? (kind === "ike" ? p.prf : undefined) : p.integ) ?? ""] ?? (isAead(p.encr) && kind === "esp" ? "SHA2-256" : undefined);
  const group = p.dh === undefined ? undefined : DH_GROUP[p.dh];
  if (encr === undefined || integ === undefined) return undefined;
  if (kind === "ike" && (group === undefined || !APPLE_DH.has(group))) return undefined;
  if (p.dh !== undefined && (group === undefined || !APPLE_DH.has(group))) return undefined;
  return { EncryptionAlgorithm: encr, IntegrityAlgorithm: integ, ...(group !== undefined ? { DiffieHellmanGroup: group } : {}) };
}

/** Set-VpnConnectionIPsecConfiguration's -EncryptionMethod, -IntegrityCheckMethod, -DHGroup (IKE) and the ESP side. */
export interface WindowsIpsec {
  readonly EncryptionMethod: string;
  readonly IntegrityCheckMethod: string;
  readonly DHGroup: string;
  readonly CipherTransformConstants: string;
  readonly AuthenticationTransformConstants: string;
  readonly PfsGroup: string;
}

const WIN_ENCR: Readonly<Record<string, string>> = {
  aes128: "AES128",
  aes192: "AES192",
  aes256: "AES256",
  aes128gcm16: "GCMAES128",
  aes256gcm16: "GCMAES256",
  "3des": "DES3",
};
const WIN_INTEG: Readonly<Record<string, string>> = {
  sha1: "SHA1",
  sha: "SHA1",
  sha256: "SHA256",
  sha2_256: "SHA256",
  sha384: "SHA384",
  sha2_384: "SHA384",
  prfsha1: "SHA1",
  prfsha256: "SHA256",
  prfsha384: "SHA384",
};
const WIN_DH: Readonly<Record<string, string>> = { modp1024: "Group2", modp2048: "Group14", ecp256: "ECP256", ecp384: "ECP384", modp2048s256: "Group24" };
const WIN_CIPHER: Readonly<Record<string, string>> = {
  aes128: "AES128",
  aes192: "AES192",
  aes256: "AES256",
  aes128gcm16: "GCMAES128",
  aes192gcm16: "GCMAES192",
  aes256gcm16: "GCMAES256",
  "3des": "DES3",
};
const WIN_AUTH: Readonly<Record<string, string>> = { sha1: "SHA196", sha: "SHA196", sha256: "SHA256128", sha2_256: "SHA256128" };
const WIN_PFS: Readonly<Record<string, string>> = { modp2048: "PFS2048", ecp256: "ECP256", ecp384: "ECP384", modp2048s256: "PFS24" };

export function windowsIke(proposal: string): Pick<WindowsIpsec, "EncryptionMethod" | "IntegrityCheckMethod" | "DHGroup"> | undefined {
  const p = proposalParts(proposal);
  if (!p || p.dh === undefined) return undefined;
  const encr = WIN_ENCR[p.encr];
  const integ = WIN_INTEG[(isAead(p.encr) ? p.prf : p.integ) ?? ""];
  const dh = WIN_DH[p.dh];
  return encr && integ && dh ? { EncryptionMethod: encr, IntegrityCheckMethod: integ, DHGroup: dh } : undefined;
}

export function windowsEsp(proposal: string): Pick<WindowsIpsec, "CipherTransformConstants" | "AuthenticationTransformConstants" | "PfsGroup"> | undefined {
  const p = proposalParts(proposal);
  if (!p) return undefined;
  const cipher = WIN_CIPHER[p.encr];
  // With AES-GCM the GCM transform is both cipher and authentication.
  const auth = isAead(p.encr) ? cipher : WIN_AUTH[p.integ ?? ""];
  const pfs = p.dh === undefined ? "None" : WIN_PFS[p.dh];
  return cipher && auth && pfs ? { CipherTransformConstants: cipher, AuthenticationTransformConstants: auth, PfsGroup: pfs } : undefined;
}

/** The first gateway proposal a platform can express: what its profile proposes, exactly. */
export function firstExpressible<T>(proposals: readonly string[], map: (p: string) => T | undefined): { proposal: string; value: T } | undefined {
  for (const proposal of proposals) {
    const value = map(proposal);
    if (value !== undefined) return { proposal, value };
  }
  return undefined;
}
