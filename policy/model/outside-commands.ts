import { REMOTE_TOOLS } from "../shell/effects";
import { domainOf } from "../shell/paths";
import { commandName, readScript } from "../shell/script";
import { Finding } from "./finding";
import { SCRIPT_FIELDS } from "./host-files";
import { Subject, TYPES } from "./subject";
import { readString } from "./values";
import { unreadable } from "./unreadable";

/**
 * Resources that reach a gateway without a readable script: a CopyToRemote of an asset into its configuration,
 * and a local command that runs ssh, scp, rsync or Ansible against some host.
 */
export function outsideCommands(subjects: readonly Subject[]): Finding[] {
  const out: Finding[] = [];
  for (const s of subjects) {
    if (s.type === TYPES.copyToRemote) {
      const path = readString(s.props, "remotePath");
      if (path.kind !== "known") continue;
      const domain = domainOf(path.value);
      if (domain) out.push(unreadable(s, "remotePath", `copies an asset or archive to ${path.value}, and the pack does not read assets`, domain));
    }
    if (s.type !== TYPES.localCommand) continue;
    for (const field of SCRIPT_FIELDS) {
      const script = readString(s.props, field);
      if (script.kind !== "known") continue;
      for (const cmd of readScript(script.value)) {
        const name = commandName(cmd);
        if (name && REMOTE_TOOLS.has(name))
          out.push(unreadable(s, `${field}, line ${cmd.line}`, `\`${name}\` acts on a host in a way the pack does not see`, "unknown"));
      }
    }
  }
  return out;
}
