/**
 * A stage2 name (gateway, connection, pool, peer, neighbour): files, pools, BIRD protocols and nft sets are named
 * after it, so it is lower-case letters, digits and '-', starting with a letter, at most 31 characters.
 */
export const NAME_RE = /^[a-z][a-z0-9-]{0,30}$/;

/** A strongSwan proposal as stage2 takes it: lower-case keywords joined by '-' (aes256gcm16-prfsha384-ecp384). */
export const PROPOSAL_RE = /^[a-z0-9]+(-[a-z0-9]+)*$/;
