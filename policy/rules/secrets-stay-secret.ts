import { Finding, violation } from "../model/finding";
import { StackView } from "../model/gateways";
import { filesOf, SCRIPT_FIELDS } from "../model/host-files";
import { Subject, TYPES } from "../model/subject";
import { lookup, readString, strings } from "../model/values";
import { Check } from "./check";
import { ownerOnly, secretKinds, swanctlSecretValues } from "./secret-material";

const COMMAND_TYPES = new Set<string>([TYPES.command, TYPES.localCommand]);
/** Inputs that end up in logs, process lists or plain state: a command's text, its environment, its triggers. */
const EXPOSED_FIELDS = [...SCRIPT_FIELDS, "environment", "triggers", "interpreter", "dir"];
const CREDENTIALS = ["connection.privateKey", "connection.password", "connection.privateKeyPassword"];
// Stand-ins the offline preview puts where a secret config value would be (preview/runtime.ts).
const REDACTED_RE = /^\(redacted: /;

function knownSecretValues(view: StackView): string[] {
  const values = new Set<string>();
  for (const s of view.subjects) {
    for (const path of CREDENTIALS) {
      const read = readString(s.props, path);
      if (read.kind === "known" && read.value.length >= 8) values.add(read.value.trim());
    }
    for (const file of filesOf(s).files) for (const v of swanctlSecretValues(file.path, file.content)) values.add(v);
  }
  return [...values].filter((v) => v.length >= 6 && !REDACTED_RE.test(v));
}

function exposedStrings(s: Subject): { path: string; value: string; secret: boolean }[] {
  if (COMMAND_TYPES.has(s.type)) {
    return EXPOSED_FIELDS.flatMap((field) => {
      const read = lookup(s.props, field);
      return read.kind === "known" ? strings(read.value, field, read.secret) : [];
    });
  }
  return strings(s.props).filter((x) => !CREDENTIALS.includes(x.path));
}

function check(view: StackView): Finding[] {
  const findings: Finding[] = [];
  const known = knownSecretValues(view);
  for (const s of view.subjects) {
    for (const { path, value, secret } of exposedStrings(s)) {
      const kinds = secretKinds(value);
      const leaked = known.filter((k) => value.includes(k));
      if (kinds.length === 0 && leaked.length === 0) continue;
      const what = kinds.length ? kinds.join(" and ") : "the value of a secret used elsewhere in the stack";
      const where = COMMAND_TYPES.has(s.type) ? `the command line (\`${path}\`)` : `the input \`${path}\``;
      const plain = view.secretsVisible && !secret ? " in plain state" : "";
      findings.push(
        violation(
          s,
          `${what} is in ${where}${plain}, where logs and process lists show it. Send it on stdin as a 0600 file (a stage2 payload) and keep the value a pulumi.secret.`,
        ),
      );
    }
    if (s.type !== TYPES.command) continue;
    const { files } = filesOf(s);
    for (const file of files.filter((f) => f.via === "payload")) {
      const kinds = secretKinds(file.content);
      const holds = kinds.length > 0 || file.secretFlag;
      if (holds && !ownerOnly(file.mode)) {
        findings.push(violation(s, `${file.path} holds ${kinds.join(" and ") || "a secret"} but has mode ${file.mode}. Give it mode 0600.`));
      }
    }
    if (!view.secretsVisible) continue;
    const stdin = readString(s.props, "stdin");
    const carries = files.filter((f) => f.via === "payload" && (f.secretFlag || secretKinds(f.content).length > 0));
    if (stdin.kind === "known" && !stdin.secret && carries.length > 0) {
      findings.push(
        violation(
          s,
          `stdin carries ${carries.map((f) => f.path).join(", ")} with secrets but is not a secret input, so state keeps it in clear. Wrap it in pulumi.secret().`,
        ),
      );
    }
    for (const path of CREDENTIALS) {
      const read = readString(s.props, path);
      if (read.kind === "known" && !read.secret) {
        findings.push(violation(s, `${path} is not a secret input, so state keeps it in clear. Wrap it in pulumi.secret().`));
      }
    }
  }
  return findings;
}

export const secretsStaySecret: Check = {
  name: "secrets-stay-secret",
  description: "No PSK, EAP password or private key appears in a command line or an unencrypted input, and files holding them are mode 0600.",
  enforcementLevel: "mandatory",
  why:
    "A command line is logged by Pulumi and visible in the host's process list; an input that is not a secret is stored in clear in the state file. " +
    "swanctl secrets and keys belong in a 0600 file that reaches the host on stdin.",
  check,
};
