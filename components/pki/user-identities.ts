/**
 * A user's certificate names the user twice: subject CN=<name> and SAN <name>; a client may present either, so a
 * revocation lists both. `stage2 users` issues and revokes by these, and the lab's CA issues its clients the same.
 */
export const userIdentities = (name: string): { readonly subject: string; readonly sans: readonly string[] } => ({ subject: `CN=${name}`, sans: [name] });
