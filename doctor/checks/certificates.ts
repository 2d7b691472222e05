import { X509Certificate } from "crypto";
import { shq } from "../../components/host/apply-script";
import { probe, read } from "../probe";
import { Check, DoctorContext, Finding } from "../types";

export const WARN_DAYS = 21;
const DAY_MS = 86_400_000;
export const CRL_DIR = "/etc/swanctl/x509crl";
/** Where the plan puts certificates charon presents or trusts (public files; private keys are elsewhere). */
const CERT_DIRS = ["/etc/swanctl/x509/", "/etc/swanctl/x509ca/"];

function judge(ctx: DoctorContext, what: string, until: Date, renew: string): Pick<Finding, "status" | "what" | "fix"> {
  const days = Math.floor((until.getTime() - ctx.now.getTime()) / DAY_MS);
  if (until.getTime() <= ctx.now.getTime()) return { status: "fail", what: `${what} expired on ${until.toISOString()}`, fix: renew };
  if (days < WARN_DAYS) return { status: "warn", what: `${what} expires in ${days} day(s), on ${until.toISOString()}`, fix: renew };
  return { status: "ok", what: `${what} is valid for ${days} more days (until ${until.toISOString()})` };
}

async function certFindings(ctx: DoctorContext): Promise<Finding[]> {
  const files = ctx.plan.concerns.flatMap((c) => c.files).filter((f) => !f.secret && CERT_DIRS.some((d) => f.path.startsWith(d)));
  return Promise.all(
    files.map(async (file): Promise<Finding> => {
      // The host's copy is what charon loaded; drift says whether it is the stack's.
      const p = await read(ctx.shell, `cat ${shq(file.path)}`, file.path);
      const cert = new X509Certificate(p.result.stdout);
      const ca = file.path.startsWith("/etc/swanctl/x509ca/");
      const name = `${ca ? "CA certificate" : "gateway certificate"} ${cert.subject.replace(/\n/g, ", ")}`;
      const verdict = judge(
        ctx,
        `${name} (${file.path})`,
        new Date(cert.validTo),
        ca
          ? "issue a new CA certificate, give it to the clients, and put it into the stack (clients.ca); then converge"
          : "issue a new gateway certificate with the same identities, put it into the stack (the class's local.cert and its key secret), converge",
      );
      return {
        check: "certificates",
        subject: file.path,
        ...verdict,
        evidence: [
          {
            command: `openssl x509 -noout -subject -enddate -in ${file.path}`,
            output: `subject=${cert.subject.replace(/\n/g, ", ")}\nnotAfter=${cert.validTo}`,
          },
        ],
      };
    }),
  );
}

async function crlFindings(ctx: DoctorContext): Promise<Finding[]> {
  const list = await probe(ctx.shell, `ls -1 ${CRL_DIR} 2>/dev/null || true`);
  const names = list.result.stdout.trim().split("\n").filter(Boolean);
  return Promise.all(
    names.map(async (name): Promise<Finding> => {
      const path = `${CRL_DIR}/${name}`;
      const p = await read(
        ctx.shell,
        `openssl crl -noout -issuer -nextupdate -in ${shq(path)} 2>/dev/null || openssl crl -inform DER -noout -issuer -nextupdate -in ${shq(path)}`,
        `the CRL ${path}`,
      );
      const next = /nextUpdate=(.+)/.exec(p.result.stdout)?.[1];
      if (!next) throw new Error(`the CRL ${path} has no nextUpdate`);
      return {
        check: "certificates",
        subject: path,
        ...judge(ctx, `CRL ${path}`, new Date(next), "fetch or issue a fresh CRL from the CA and put it into x509crl/"),
        evidence: [p.evidence],
      };
    }),
  );
}

export const certificatesCheck: Check = {
  id: "certificates",
  title: `expiry of the gateway certificates, the CAs and CRLs (warn under ${WARN_DAYS} days, fail when expired)`,
  async run(ctx) {
    const found = [...(await certFindings(ctx)), ...(await crlFindings(ctx))];
    if (found.length) return found;
    return [{ check: "certificates", status: "ok", what: "the stack installs no certificate or CA, and the host has no CRL", evidence: [] }];
  },
};
