import { createHash } from "crypto";
import { shq, STATE_ROOT } from "../../components/host/apply-script";
import { encodePayload, payloadDigest } from "../../components/host/payload";
import { Concern, HostFile } from "../../components/host/types";
import { unifiedDiff } from "../diff";
import { read } from "../probe";
import { Check, DoctorContext, Evidence, Finding } from "../types";

const sha256 = (text: string): string => createHash("sha256").update(text, "utf8").digest("hex");

/** A plan built without a secret's value carries its stand-in: such a file cannot be compared, only named. */
const STAND_IN = "(redacted: secret ";
const unknownSecret = (f: HostFile): boolean => f.content.includes(STAND_IN);

interface HostState {
  readonly digest?: string;
  readonly modeOwner?: string;
}

/** One command reads every planned file's digest and mode:owner:group; contents never leave the host here. */
async function hostFiles(ctx: DoctorContext, files: readonly HostFile[]): Promise<{ states: Map<string, HostState>; evidence: Evidence }> {
  const paths = files.map((f) => shq(f.path)).join(" ");
  const command = `for f in ${paths}; do if [ -f "$f" ]; then printf '%s %s %s\\n' "$(sha256sum < "$f" | cut -d' ' -f1)" "$(stat -c %a:%U:%G "$f")" "$f"; else printf 'missing - %s\\n' "$f"; fi; done`;
  const p = await read(ctx.shell, command, "the files' digests");
  const states = new Map<string, HostState>();
  for (const line of p.result.stdout.trim().split("\n")) {
    const [digest, modeOwner, path] = line.split(" ");
    states.set(path, digest === "missing" ? {} : { digest, modeOwner });
  }
  const secretPaths = new Set(files.filter((f) => f.secret).map((f) => f.path));
  // A secret file's digest is not shown: with the rest of the file known, a short PSK could be guessed from it.
  const shown = p.result.stdout
    .trim()
    .split("\n")
    .map((l) => (secretPaths.has(l.split(" ")[2]) ? `(digest not shown: secret file) ${l.split(" ").slice(1).join(" ")}` : l))
    .join("\n");
  return { states, evidence: { command: `sha256sum + stat -c %a:%U:%G of ${files.length} planned files`, output: shown } };
}

const CONVERGE = "run the converge (pulumi up, or the lab's converge): it puts the stack's files back and activates them";

/** The listing's line for one file: a finding about a file shows its own evidence, not every file's. */
const lineOf = (listing: Evidence, path: string): Evidence => ({
  command: listing.command.replace(/of \d+ planned files$/, `of ${path}`),
  output: listing.output.split("\n").find((l) => l.endsWith(` ${path}`)) ?? "",
});

async function fileFinding(ctx: DoctorContext, concern: Concern, file: HostFile, state: HostState | undefined, all: Evidence): Promise<Finding | undefined> {
  const base = { check: "drift", subject: file.path };
  const listing = lineOf(all, file.path);
  if (!state?.digest) {
    return { ...base, status: "fail", what: `${file.path} (concern ${concern.name}) is missing on the host`, evidence: [listing], fix: CONVERGE };
  }
  const wantMode = `${file.mode.replace(/^0/, "")}:${file.owner ?? "root:root"}`;
  if (state.digest === sha256(file.content)) {
    if (state.modeOwner === wantMode) return undefined;
    return {
      ...base,
      status: "fail",
      what: `${file.path} has mode/owner ${state.modeOwner}, the stack renders ${wantMode}`,
      evidence: [listing],
      fix: `chmod ${file.mode} ${file.path}; chown ${file.owner ?? "root:root"} ${file.path} (or ${CONVERGE})`,
    };
  }
  if (file.secret) {
    return {
      ...base,
      status: "fail",
      what: `${file.path} (concern ${concern.name}, holds secrets) differs from what the stack renders; compared by digest only, never shown`,
      evidence: [listing],
      fix: `${CONVERGE}; if someone changed a secret on the host, change it in the stack (pulumi config set --secret) instead`,
    };
  }
  const cat = await read(ctx.shell, `cat ${shq(file.path)}`, file.path);
  const diff = unifiedDiff(file.content, cat.result.stdout, `${file.path} (rendered by the stack)`, `${file.path} (on the host)`);
  return {
    ...base,
    status: "fail",
    what: `${file.path} (concern ${concern.name}) was changed on the host: it differs from what the stack renders`,
    evidence: [
      listing,
      {
        command: `diff -u <rendered> ${file.path}`,
        output: diff || "(same text; the digest differs in bytes diff does not show, e.g. a missing final newline)",
      },
    ],
    fix: `${CONVERGE}; to keep the change, put it into the stack (ipsec.extraSwanctl for swanctl.conf) and converge`,
  };
}

async function journal(ctx: DoctorContext): Promise<{ active: Map<string, string>; pending: Set<string>; evidence: Evidence }> {
  const names = ctx.plan.concerns.map((c) => shq(c.name)).join(" ");
  const command = `for c in ${names}; do printf '%s %s %s\\n' "$c" "$(cat ${STATE_ROOT}/$c/active 2>/dev/null || echo -)" "$([ -f ${STATE_ROOT}/$c/pending ] && echo pending || echo -)"; done`;
  const p = await read(ctx.shell, command, `the converge journal under ${STATE_ROOT}`);
  const active = new Map<string, string>();
  const pending = new Set<string>();
  for (const line of p.result.stdout.trim().split("\n")) {
    const [name, digest, state] = line.split(" ");
    if (digest && digest !== "-") active.set(name, digest);
    if (state === "pending") pending.add(name);
  }
  const secretConcerns = new Set(ctx.plan.concerns.filter((c) => c.files.some((f) => f.secret)).map((c) => c.name));
  const output = p.result.stdout
    .trim()
    .split("\n")
    .map((l) => (secretConcerns.has(l.split(" ")[0]) ? l.replace(/ [0-9a-f]{64} /, " (digest not shown: the payload holds secrets) ") : l))
    .join("\n");
  return { active, pending, evidence: { command: `cat ${STATE_ROOT}/<concern>/active (and whether a pending entry exists)`, output } };
}

function journalFinding(concern: Concern, active: string | undefined, pending: boolean, evidence: Evidence): Finding | undefined {
  const rendered = payloadDigest(encodePayload(concern.files));
  const base = { check: "drift", subject: `concern ${concern.name}`, evidence: [evidence] };
  if (pending) {
    return {
      ...base,
      status: "fail",
      what: `concern ${concern.name}: an interrupted converge left a pending entry; what the daemons run is not known`,
      fix: CONVERGE,
    };
  }
  if (!active) return { ...base, status: "fail", what: `concern ${concern.name} was never activated on this host (no journal entry)`, fix: CONVERGE };
  if (active !== rendered) {
    return {
      ...base,
      status: "fail",
      what: `concern ${concern.name}: the daemons run another payload than the stack renders (the journal's active digest differs): the stack changed since the last converge, or a converge failed`,
      fix: CONVERGE,
    };
  }
  return undefined;
}

export const driftCheck: Check = {
  id: "drift",
  title: "the files are the ones the stack renders, and the journal says the daemons run them",
  async run(ctx) {
    const files = ctx.plan.concerns.flatMap((c) => c.files);
    const [{ states, evidence: listing }, log] = await Promise.all([hostFiles(ctx, files), journal(ctx)]);
    const findings: Finding[] = [];
    for (const concern of ctx.plan.concerns) {
      const unknown = concern.files.filter(unknownSecret);
      if (unknown.length) {
        findings.push({
          check: "drift",
          status: "fail",
          subject: `concern ${concern.name}`,
          what: `concern ${concern.name}: cannot compare ${unknown.map((f) => f.path).join(", ")} and the journal: the stack's secret values were not given`,
          evidence: [listing],
          fix: "give the secrets: pulumi config --show-secrets --json | stage2 doctor ... --secrets -",
        });
        continue;
      }
      const own = (await Promise.all(concern.files.map((f) => fileFinding(ctx, concern, f, states.get(f.path), listing)))).filter((f): f is Finding => !!f);
      const j = journalFinding(concern, log.active.get(concern.name), log.pending.has(concern.name), log.evidence);
      findings.push(...own, ...(j ? [j] : []));
      if (!own.length && !j) {
        findings.push({
          check: "drift",
          status: "ok",
          subject: `concern ${concern.name}`,
          what: `concern ${concern.name}: ${concern.files.length} file(s) equal the render, and the journal's active digest is the rendered payload's`,
          evidence: [listing, log.evidence],
        });
      }
    }
    return findings;
  },
};
