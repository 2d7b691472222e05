import { Finding, note, violation } from "../model/finding";
import { StackView } from "../model/gateways";
import { isRemoteCommand } from "../model/host-files";
import { lookup, readString } from "../model/values";
import { Check } from "./check";
import { showValue } from "../../components/util/show-value";

const HOST_KEY_RE = /^(ssh-(ed25519|rsa|dss)|ecdsa-sha2-nistp(256|384|521)|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com) [A-Za-z0-9+/]+={0,3}$/;

function check(view: StackView): Finding[] {
  const findings: Finding[] = [];
  for (const s of view.subjects.filter(isRemoteCommand)) {
    const hops = ["connection", ...(lookup(s.props, "connection.proxy").kind === "known" ? ["connection.proxy"] : [])];
    for (const hop of hops) {
      const key = readString(s.props, `${hop}.hostKey`);
      if (key.kind === "unknown") {
        findings.push(note(s, `${hop}.hostKey is unknown at preview; it is checked once known`));
      } else if (key.kind === "absent" || key.value.trim() === "") {
        findings.push(
          violation(
            s,
            `${hop} has no hostKey, so the SSH host key is not checked and anyone on the path can answer as the host. Set ${hop}.hostKey to the server's public host key ("ssh-ed25519 AAAA...").`,
          ),
        );
      } else if (!HOST_KEY_RE.test(key.value.trim())) {
        findings.push(
          violation(
            s,
            `${hop}.hostKey ${showValue(key.value, 160)} is not a public host key. Set it to "TYPE BASE64", e.g. the output of \`ssh-keyscan -t ed25519 HOST\` without the host name.`,
          ),
        );
      }
    }
  }
  return findings;
}

export const sshHostKeyPinned: Check = {
  name: "ssh-host-key-pinned",
  description: "Every remote command's SSH connection pins the host's public key (connection.hostKey).",
  enforcementLevel: "mandatory",
  why: "Without connection.hostKey, @pulumi/command does not check the host key at all: the commands (and the secrets on their stdin) go to whoever answers on the address.",
  check,
};
