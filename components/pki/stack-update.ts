import { X509Certificate } from "crypto";
import * as YAML from "yaml";
import { isIP } from "../model/net";

/**
 * Puts a CA's public material into a stack file's text, keeping its comments and layout: a gateway's certificate
 * into every road-warrior class that proves itself by certificate (`local.cert`), and the CA and its CRL into every
 * class whose clients prove themselves by certificate (`clients.ca`, `clients.crl`). Private keys never go here:
 * they are `secure:` config (`pulumi config set --secret`). Works on the raw document, so a class whose
 * certificate is still missing can receive its first one.
 */

export interface StackPki {
  /** By gateway name. */
  readonly gatewayCerts?: Readonly<Record<string, string>>;
  readonly ca: string;
  readonly crl: string;
  /** Identities whose certificates were just revoked, and when: their live tunnels close on the next converge. */
  readonly revoked?: { readonly ids: readonly string[]; readonly at: string };
}

export interface GatewayFacts {
  readonly floatingIp?: string;
  /** The DNS names the gateway's certificate classes name: their identity (local.id) and their current certificate's DNS SANs. */
  readonly localIds: readonly string[];
  /** The secret config keys that hold the certificate's private key, one per class that uses it. */
  readonly keySecrets: readonly string[];
}

type Doc = YAML.Document.Parsed;

function gatewaysOf(doc: Doc): YAML.YAMLSeq<YAML.YAMLMap> {
  const list = doc.getIn(["config", "stage2:gateways"]);
  if (!YAML.isSeq(list)) throw new Error("the stack has no stage2:gateways list");
  return list as YAML.YAMLSeq<YAML.YAMLMap>;
}

function gatewayNode(doc: Doc, name: string): YAML.YAMLMap {
  const gw = gatewaysOf(doc).items.find((g) => YAML.isMap(g) && g.get("name") === name);
  if (!gw) throw new Error(`the stack has no gateway named ${JSON.stringify(name)}`);
  return gw;
}

function roadWarriors(gw: YAML.YAMLMap): YAML.YAMLMap[] {
  const list = gw.getIn(["ipsec", "roadWarriors"]);
  return YAML.isSeq(list) ? (list.items.filter((i) => YAML.isMap(i)) as YAML.YAMLMap[]) : [];
}

/** A DNS name as a certificate's SAN and a client's dialled address take it. */
export const FQDN = /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$/;

export function gatewayFacts(text: string, gateway: string): GatewayFacts {
  const gw = gatewayNode(YAML.parseDocument(text), gateway);
  const fip = gw.getIn(["floatingIp", "address"]);
  const localIds: string[] = [];
  const keySecrets: string[] = [];
  for (const rw of roadWarriors(gw)) {
    if (rw.getIn(["local", "kind"]) !== "pubkey") continue;
    const id = rw.getIn(["local", "id"]);
    if (typeof id === "string" && FQDN.test(id) && !localIds.includes(id)) localIds.push(id);
    // Rotation keeps the names clients already dial: the DNS names of the certificate in place.
    const cert = rw.getIn(["local", "cert"]);
    for (const dns of typeof cert === "string" ? dnsNames(cert) : []) if (!localIds.includes(dns)) localIds.push(dns);
    const key = rw.getIn(["local", "keySecret"]);
    if (typeof key === "string" && !keySecrets.includes(key)) keySecrets.push(key);
  }
  return { floatingIp: typeof fip === "string" && isIP(fip) ? fip : undefined, localIds, keySecrets };
}

function dnsNames(pem: string): string[] {
  try {
    return (new X509Certificate(pem).subjectAltName ?? "")
      .split(", ")
      .filter((s) => s.startsWith("DNS:"))
      .map((s) => s.slice(4));
  } catch {
    return []; // not a certificate yet: the stack's validation reports it
  }
}

/** One entry per identity; an identity revoked again (a name issued anew, then revoked) keeps only its latest time. */
function addRevoked(doc: Doc, rw: YAML.YAMLMap, revoked: NonNullable<StackPki["revoked"]>, what: string, changed: string[]): void {
  const list = rw.getIn(["clients", "revoked"]);
  const seq = YAML.isSeq(list) ? list : doc.createNode([]);
  if (!YAML.isSeq(list)) rw.setIn(["clients", "revoked"], seq);
  seq.items = seq.items.filter((i) => !(YAML.isMap(i) && revoked.ids.includes(String(i.get("id")))));
  for (const id of revoked.ids) seq.items.push(doc.createNode({ id, at: revoked.at }));
  changed.push(`${what} ${revoked.ids.join(", ")}`);
}

/** Returns the new text and one line per value set ("gw-fsn1/acme-rw local.cert"). */
export function updateStackPki(text: string, update: StackPki): { text: string; changed: string[] } {
  const doc = YAML.parseDocument(text);
  if (doc.errors.length) throw new Error(`not valid YAML: ${doc.errors[0].message.split("\n")[0]}`);
  const changed: string[] = [];
  const set = (rw: YAML.YAMLMap, at: string[], value: string, what: string) => {
    if (rw.getIn(at) === value) return;
    rw.setIn(at, doc.createNode(value));
    changed.push(what);
  };
  for (const name of Object.keys(update.gatewayCerts ?? {})) gatewayNode(doc, name);
  for (const gw of gatewaysOf(doc).items) {
    if (!YAML.isMap(gw)) continue;
    const name = String(gw.get("name"));
    const cert = update.gatewayCerts?.[name];
    for (const rw of roadWarriors(gw)) {
      const where = `${name}/${String(rw.get("name"))}`;
      if (cert !== undefined && rw.getIn(["local", "kind"]) === "pubkey") set(rw, ["local", "cert"], cert, `${where} local.cert`);
      if (rw.getIn(["clients", "kind"]) === "pubkey") {
        set(rw, ["clients", "ca"], update.ca, `${where} clients.ca`);
        set(rw, ["clients", "crl"], update.crl, `${where} clients.crl`);
        if (update.revoked) addRevoked(doc, rw, update.revoked, `${where} clients.revoked`, changed);
      }
    }
  }
  // Written as the file was: long lines unfolded, sequences indented (or not) like its own.
  const m = /^( *)[^ \n#-][^\n]*:\n( *)- /m.exec(text);
  return { text: doc.toString({ lineWidth: 0, indentSeq: m ? m[2].length > m[1].length : true }), changed };
}
