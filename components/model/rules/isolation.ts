import type { GatewayModel, Problem, RoadWarriorModel } from "../gateway";

/** Identities strongSwan reads as "any peer". */
const ANY_ID = /^(%any[46]?|\*)$/;

/** The identity charon requires of a PSK class's clients (the connection's remote id); undefined means any. */
export function pskClientsId(clients: Extract<RoadWarriorModel["clients"], { kind: "psk" }>): string | undefined {
  return clients.id ?? (clients.ids.length === 1 ? clients.ids[0] : undefined);
}

/** strongSwan's wildcard: one `*` at the head of an address or name (`*@acme.example`, `*.acme.example`). */
const headWildcard = (id: string): string | undefined => (id.startsWith("*") ? id.slice(1) : undefined);
const isDn = (id: string): boolean => /^\s*[A-Za-z][A-Za-z0-9.]*\s*=/.test(id);
const isDnPattern = (id: string): boolean => isDn(id) && id.includes("*");

/** True when `id` is accepted by `pattern` (case-insensitive, as charon compares names). DN patterns: undecided → true. */
export function identityMatches(pattern: string, id: string): boolean {
  const p = pattern.toLowerCase();
  const x = id.toLowerCase();
  if (ANY_ID.test(p) || p === x || isDnPattern(p)) return true;
  const suffix = headWildcard(p);
  return suffix !== undefined && x.endsWith(suffix);
}

/** True when some client identity could be accepted by both patterns. DN patterns are compared conservatively. */
export function identitiesMayOverlap(a: string, b: string): boolean {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  if (ANY_ID.test(x) || ANY_ID.test(y) || x === y) return true;
  if (isDnPattern(x) || isDnPattern(y)) return isDn(x) && isDn(y);
  const wx = headWildcard(x);
  const wy = headWildcard(y);
  if (wx !== undefined && wy !== undefined) return wx.endsWith(wy) || wy.endsWith(wx);
  if (wx !== undefined) return y.endsWith(wx);
  if (wy !== undefined) return x.endsWith(wy);
  return false;
}

/**
 * Customer isolation among one gateway's road-warrior classes. charon picks a connection by the local identity
 * (only when the client names it), the client's identity and, after authenticating, the auth class it used; PSKs
 * and EAP passwords are found by identity, not by connection. So two classes with the same auth class stay apart
 * only by the client identity each connection requires: PSK classes and certificate classes under one CA must each
 * require one, and no client may satisfy two.
 */
export function checkIsolation(gw: GatewayModel): Problem[] {
  const problems: Problem[] = [];
  const rws = gw.ipsec.roadWarriors;
  const base = (i: number) => `ipsec.roadWarriors[${i}]`;

  const psk = rws.flatMap((rw, i) => (rw.clients.kind === "psk" ? [{ i, clients: rw.clients }] : []));
  for (const { i, clients } of psk) {
    clients.ids.forEach((id, j) => {
      if (ANY_ID.test(id)) {
        problems.push({ path: `${base(i)}.clients.ids[${j}]`, message: "would share the PSK with every client: list the clients' identities", value: id });
      } else if (clients.id !== undefined && !identityMatches(clients.id, id)) {
        problems.push({
          path: `${base(i)}.clients.ids[${j}]`,
          message: `does not match clients.id (${clients.id}): charon would refuse this client`,
          value: id,
        });
      }
    });
  }
  // Certificate classes under different CAs are kept apart by the CA charon checks; under one CA, by identity.
  const pubkey = rws.flatMap((rw, i) => (rw.clients.kind === "pubkey" ? [{ i, ca: rw.clients.ca.trim(), id: rw.clients.id }] : []));
  const groups = [
    {
      kind: "PSK",
      members: psk.map(({ i, clients }) => ({ i, id: pskClientsId(clients), key: "psk", at: clients.id === undefined ? "clients.ids[0]" : "clients.id" })),
    },
    { kind: "certificate", members: pubkey.map(({ i, ca, id }) => ({ i, id, key: ca, at: "clients.id" })) },
  ];
  for (const { kind, members } of groups) {
    members.forEach((m, k) => {
      const rivals = members.filter((o) => o.i !== m.i && o.key === m.key);
      if (rivals.length === 0) return;
      const others = rivals.map((o) => base(o.i)).join(", ");
      if (m.id === undefined) {
        problems.push({
          path: `${base(m.i)}.clients.id`,
          message: `must be set: ${others} also ${rivals.length === 1 ? "takes" : "take"} ${kind} clients${kind === "certificate" ? " of the same CA" : ""} on this gateway, and only the client identity each connection requires keeps their customers apart (e.g. *@customer.example)`,
        });
        return;
      }
      const clash = members.slice(0, k).find((o) => o.key === m.key && o.id !== undefined && identitiesMayOverlap(o.id, m.id as string));
      if (clash) {
        problems.push({
          path: `${base(m.i)}.${m.at}`,
          message: `accepts clients that ${base(clash.i)} (${clash.id}) also accepts: charon could give one customer's client the other's connection`,
          value: m.id,
        });
      }
    });
  }
  const eapAt = new Map<string, string>();
  rws.forEach((rw, i) => {
    if (rw.clients.kind !== "eap-mschapv2") return;
    rw.clients.users.forEach((u, j) => {
      const path = `${base(i)}.clients.users[${j}].id`;
      const prior = eapAt.get(u.id.toLowerCase());
      if (prior)
        problems.push({
          path,
          message: `is also the EAP identity at ${prior}: charon keeps one password per identity, so the user could land in either class`,
          value: u.id,
        });
      else eapAt.set(u.id.toLowerCase(), path);
    });
  });
  return problems;
}
