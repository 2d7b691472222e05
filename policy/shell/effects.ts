import { Domain, domainOf } from "./paths";
import { commandName, readScript, SimpleCommand, Word } from "./script";

/**
 * What a script does to a gateway, as far as it can be read: the files it writes whole (their text known), the
 * files it hands to a loader (resolved against the stack's files later), and every command whose effect on the
 * gateway's IPsec, firewall, routing or secrets cannot be read. Fail closed: a command that touches those and is
 * not one of the forms below is unreadable.
 */

export interface WrittenFile {
  readonly path: string;
  readonly content: string;
  readonly mode?: string;
}

export interface Unreadable {
  readonly line: number;
  /** What the command does, naming only the tool and paths (never argument values, which may be secrets). */
  readonly what: string;
  readonly domain: Domain | "unknown";
}

/** A file given to a loader: judged when the stack writes it, unreadable otherwise. */
export type Load =
  | { readonly line: number; readonly tool: "nft"; readonly path: string }
  | { readonly line: number; readonly tool: "nft"; readonly path: undefined; readonly text: string }
  | { readonly line: number; readonly tool: "swanctl"; readonly path: string }
  | { readonly line: number; readonly tool: "source"; readonly path: string }
  | { readonly line: number; readonly tool: "wg"; readonly iface: string; readonly path?: string; readonly probe: boolean }
  | { readonly line: number; readonly tool: "route"; readonly iface: string };

export interface ScriptEffects {
  readonly files: WrittenFile[];
  readonly loads: Load[];
  readonly unreadable: Unreadable[];
}

export interface ScriptContext {
  /** Lines (1-based) to leave out: stage2's own payload mechanics (see stage2-apply.ts). */
  readonly skipLines?: ReadonlySet<number>;
  /** The script is a stage2 payload's validate command, run on the staged copy before anything changes. */
  readonly validate?: boolean;
}

const READ_ONLY = new Set([
  "cat",
  "ls",
  "test",
  "[",
  "[[",
  "]]",
  "stat",
  "grep",
  "egrep",
  "fgrep",
  "diff",
  "cmp",
  "head",
  "tail",
  "wc",
  "sha256sum",
  "sha1sum",
  "md5sum",
  "file",
  "readlink",
  "realpath",
  "dirname",
  "basename",
  "echo",
  "printf",
  "true",
  "false",
  ":",
  "exit",
  "return",
  "set",
  "umask",
  "cd",
  "pwd",
  "local",
  "read",
  "shift",
  "sleep",
  "date",
  "id",
  "whoami",
  "hostname",
  "uname",
  "type",
  "which",
  "dpkg-query",
  "apt-get",
  "apt",
  "journalctl",
  "logger",
  "mktemp",
  "mkdir",
  "chmod",
  "chown",
  "touch",
  "wait",
  "trap",
  "unset",
  "declare",
  "sort",
  "uniq",
  "cut",
  "tr",
  "jq",
  "base64",
  "xxd",
  "od",
  "getent",
  "ping",
  "ss",
  "netstat",
  "conntrack",
  "ifquery",
  "bird",
  "sed",
  "awk",
  "gawk",
  "mawk",
  "systemctl",
  "swanctl",
  "continue",
  "break",
]);
const WRAPPERS = new Set(["sudo", "env", "nohup", "nice", "ionice", "stdbuf", "command", "exec", "timeout", "chroot"]);
const SHELLS = new Set(["bash", "sh", "dash", "zsh", "ksh"]);
const INTERPRETERS = new Set(["python", "python2", "python3", "perl", "ruby", "node", "php", "lua", "tclsh"]);
export const REMOTE_TOOLS = new Set(["ssh", "scp", "sftp", "rsync", "ansible", "ansible-playbook", "salt", "salt-call", "puppet", "chef-client", "cloud-init"]);
const LEGACY_IPSEC_LOADS = new Set(["start", "restart", "reload", "update", "rereadall", "rereadsecrets", "up", "route"]);
const SENSITIVE_UNITS =
  /^(nftables|strongswan|strongswan-swanctl|charon-systemd|wg-quick@.*|bird|bird2|systemd-networkd|networking|netfilter-persistent)(\.service)?$/;
const IP_OBJECT = /^(a|addr|address|r|ro|route|rule|ru|l|link|x|xfrm|n|neigh|tunnel|tun|nexthop|nh)$/;
const SWANCTL_ENV = /^(SWANCTL_DIR|STRONGSWAN_CONF)=/;

const shown = (w: Word): string => (w.literal ? w.text : /^[\w$"{}/.@*-]{1,60}$/.test(w.text) ? w.text : "a path built at run time");
const octal = (mode: string): string | undefined => (/^0?[0-7]{3}$/.test(mode) ? (mode.length === 3 ? `0${mode}` : mode) : undefined);

class Effects {
  readonly files: WrittenFile[] = [];
  readonly loads: Load[] = [];
  readonly unreadable: Unreadable[] = [];
  /** Files this script wrote, by path: what `cp`, `mv` and `cat SRC >` copy. `undefined`: a generated key. */
  private readonly written = new Map<string, string | undefined>();
  private swanctlEnv = false;

  constructor(private readonly ctx: ScriptContext) {}

  run(script: string, lineOffset = 0, top = false): void {
    const commands = readScript(script);
    this.swanctlEnv ||= commands.some(
      (c) => c.assigns.some((a) => SWANCTL_ENV.test(a.text)) || (commandName(c) === "export" && c.words.some((w) => SWANCTL_ENV.test(w.text))),
    );
    for (const cmd of commands) {
      if (top && this.ctx.skipLines?.has(cmd.line)) continue;
      this.command(cmd, cmd.words, lineOffset);
    }
  }

  private flag(line: number, what: string, domain: Domain | "unknown"): void {
    this.unreadable.push({ line, what, domain });
  }

  private write(path: string, content: string | undefined, mode?: string): void {
    this.written.set(path, content);
    if (content !== undefined) this.files.push({ path, content, mode });
  }

  private command(cmd: SimpleCommand, words: readonly Word[], offset: number): void {
    const line = cmd.line + offset;
    const head = words[0];
    if (head && !head.literal) return this.flag(line, `runs a command named at run time (${shown(head)})`, "unknown");
    const name = head?.text.replace(/^.*\//, "");
    if (name && WRAPPERS.has(name)) {
      let rest = words.slice(1);
      while (rest[0] && (rest[0].text.startsWith("-") || /^[A-Za-z_]\w*=/.test(rest[0].text) || (name === "timeout" && /^\d/.test(rest[0].text)))) {
        if (SWANCTL_ENV.test(rest[0].text)) this.swanctlEnv = true;
        rest = rest.slice(1);
      }
      if (name === "chroot") rest = rest.slice(1);
      return this.command(cmd, rest, offset);
    }
    const args = words.slice(1);
    const literalArgs = args.filter((a) => a.literal).map((a) => a.text);
    const stdinDoc = cmd.redirects.find((r) => r.op === "<<" || r.op === "<<<");
    const heredocText = stdinDoc?.heredoc ? stdinDoc.heredoc.body : stdinDoc?.target?.literal ? `${stdinDoc.target.text}\n` : undefined;

    this.redirects(cmd, name, args, line, heredocText);
    if (!name) return;

    if (SHELLS.has(name)) return this.shell(cmd, args, line, heredocText);
    if (name === "source" || name === ".") return this.source(args[0], line);
    if (name === "eval") {
      if (args.every((a) => a.literal)) return this.run(args.map((a) => a.text).join(" "), line - 1);
      return this.flag(line, "`eval` runs a command built at run time", "unknown");
    }
    if (INTERPRETERS.has(name.replace(/[\d.]+$/, "")) || INTERPRETERS.has(name)) return this.flag(line, `runs ${name} code`, "unknown");
    if (REMOTE_TOOLS.has(name)) return this.flag(line, `\`${name}\` acts on a host or from files the pack does not see`, "unknown");
    if (name === "nsenter" || name === "unshare") return this.flag(line, `\`${name}\` runs a command in another namespace`, "unknown");
    if (name === "xargs") return this.flag(line, "`xargs` runs a command with arguments read at run time", "unknown");
    if (name === "crontab" || name === "at" || name === "batch")
      return this.flag(line, `\`${name}\` schedules commands the pack does not read`, "code run later");
    if (name === "systemd-run")
      return this.command(
        cmd,
        args.filter((a, i) => !(a.text.startsWith("-") && i < args.findIndex((b) => !b.text.startsWith("-")))),
        offset,
      );

    switch (name) {
      case "swanctl":
        return this.swanctl(args, line);
      case "ipsec":
        if (LEGACY_IPSEC_LOADS.has(literalArgs[0] ?? ""))
          this.flag(line, `\`ipsec ${literalArgs[0]}\` loads the legacy starter's ipsec.conf, which the pack does not evaluate`, "IPsec");
        return;
      case "nft":
        return this.nft(args, line, heredocText, cmd.piped);
      case "iptables":
      case "ip6tables":
      case "iptables-nft":
      case "iptables-legacy":
      case "ebtables":
      case "arptables":
      case "ipset":
      case "ufw":
      case "firewall-cmd":
      case "iptables-restore":
      case "ip6tables-restore":
        if (args.some((a) => /^-[a-zA-Z]*[LS]|^--list|^status$|^--state$/.test(a.text))) return;
        return this.flag(line, `\`${name}\` changes the live firewall; the pack evaluates nftables ruleset files only`, "firewall");
      case "ip":
        return this.ip(args, line);
      case "route":
        if (literalArgs.some((a) => a === "add" || a === "del")) this.flag(line, "`route` changes the live routing table", "routing");
        return;
      case "wg":
        return this.wg(args, line, cmd.piped);
      case "wg-quick":
        return this.wgQuick(args, line);
      case "sysctl":
        if (args.some((a, i) => !a.literal && (args[i - 1]?.text === "-p" || args[i - 1]?.text === "--load")))
          this.flag(line, "`sysctl -p` loads a file named at run time", "routing");
        return;
      case "birdc":
      case "birdcl":
        if (
          literalArgs[0] === "configure" &&
          args.slice(1).some((a) => a.text !== "soft" && a.text !== "check" && a.text !== "timeout" && !/^\d+$/.test(a.text))
        ) {
          this.flag(line, "`birdc configure` loads a file the pack does not read", "routing");
        }
        return;
      case "systemctl":
        return this.systemctl(literalArgs, line);
      case "docker":
      case "podman":
        if (args.some((a) => /^--(net(work)?=host|privileged|cap-add)|^-v$|^--volume/.test(a.text)))
          this.flag(line, `\`${name}\` runs a container with the host's network or files`, "unknown");
        return;
      case "sed":
        if (args.some((a) => /^-[a-zA-Z]*i|^--in-place/.test(a.text)))
          return this.writesArgs(name, args.filter((a) => !a.text.startsWith("-")).slice(1), line, "edits in place");
        return;
      case "awk":
      case "gawk":
      case "mawk":
        if (args.some((a) => a.text === "inplace"))
          return this.writesArgs(
            name,
            args.filter((a) => !a.text.startsWith("-")),
            line,
            "edits in place",
          );
        if (args.some((a) => /system\s*\(|print[^;}]*[>|]|getline[^;}]*\|/.test(a.text) || a.text === "-f"))
          return this.flag(line, `\`${name}\` runs a program that writes files or runs commands`, "unknown");
        return;
      case "chmod": {
        const mode = octal(literalArgs[0] ?? "");
        for (const a of args.slice(1)) {
          if (!a.literal) continue;
          this.chmod(a.text, mode);
          if (domainOf(a.text) === "secrets" && !(mode && /^0?[0-7]00$/.test(mode)))
            this.flag(line, `\`chmod ${literalArgs[0] ?? ""}\` may open ${a.text} to other users`, "secrets");
        }
        return;
      }
      case "cp":
      case "mv":
      case "install":
      case "ln":
        return this.copy(name, args, line, heredocText);
      case "tee":
        return this.tee(args, line, heredocText, cmd.piped);
    }
    if (READ_ONLY.has(name)) return;
    // Any other tool given a path of the gateway's configuration: the pack cannot know what it does to it.
    for (const a of args) {
      // `of=/etc/x`, `--output=/etc/x`: the value is the path.
      const path = a.literal ? a.text.replace(/^-{0,2}[\w-]+=/, "") : undefined;
      const domain = path !== undefined ? domainOf(path) : undefined;
      if (domain) return this.flag(line, `\`${name}\` is given ${path}, and the pack does not know what it does to it`, domain);
    }
  }

  /** Output redirections: only a here-document written whole by `cat` (or a copy of a file this script wrote) is readable. */
  private redirects(cmd: SimpleCommand, name: string | undefined, args: readonly Word[], line: number, heredocText: string | undefined): void {
    for (const r of cmd.redirects) {
      if (r.op !== ">" && r.op !== ">>" && r.op !== "&>" && r.op !== "&>>" && r.op !== "<>") continue;
      if (r.fd !== undefined && r.fd !== 1 && r.fd !== 2) continue;
      const target = r.target;
      if (!target) continue;
      if (!target.literal) {
        this.flag(line, `\`${name ?? "a command"}\` writes to a path built at run time (${shown(target)})`, "unknown");
        continue;
      }
      const path = target.text;
      if (path === "/dev/null" || path === "/dev/stdout" || path === "/dev/stderr") continue;
      const domain = domainOf(path);
      const append = r.op === ">>" || r.op === "&>>";
      const catFromStdin = name === "cat" && args.length === 0 && !cmd.piped;
      const catOf = name === "cat" && args.length === 1 && args[0].literal && this.written.has(args[0].text) ? this.written.get(args[0].text) : null;
      let content: string | undefined | null = null;
      if (catFromStdin && heredocText !== undefined) content = heredocText;
      else if (catOf !== null) content = catOf;
      else if (name === "wg" && ["genkey", "genpsk", "pubkey"].includes(args[0]?.text ?? "")) content = undefined;
      if (content === null || (content === undefined && !domain?.startsWith("secrets") && domain !== "WireGuard")) {
        if (domain) this.flag(line, `${this.writer(name, catFromStdin, cmd)} writes ${path} with text the pack cannot read`, domain);
        this.written.delete(path);
        continue;
      }
      if (append) {
        const before = this.written.get(path);
        if (!this.written.has(path) || before === undefined || content === undefined) {
          if (domain) this.flag(line, `\`${name}\` appends to ${path}, whose text on the host the pack does not have`, domain);
          continue;
        }
        content = before + content;
      }
      this.write(path, content);
    }
  }

  private writer(name: string | undefined, catFromStdin: boolean, cmd: SimpleCommand): string {
    if (!name) return "a redirection";
    if (catFromStdin) {
      const doc = cmd.redirects.find((r) => r.op === "<<");
      if (doc?.heredoc && doc.heredoc.body === undefined) return "an unquoted here-document whose text is expanded at run time";
      return "`cat` (reading its input, not a here-document)";
    }
    return `\`${name}\``;
  }

  private chmod(path: string, mode: string | undefined): void {
    if (!mode) return;
    for (let i = this.files.length - 1; i >= 0; i--) {
      if (this.files[i].path === path) {
        this.files[i] = { ...this.files[i], mode };
        return;
      }
    }
  }

  private writesArgs(name: string, targets: readonly Word[], line: number, verb: string): void {
    for (const t of targets) {
      if (!t.literal) {
        this.flag(line, `\`${name}\` ${verb} a path built at run time (${shown(t)})`, "unknown");
        continue;
      }
      const domain = domainOf(t.text);
      if (domain) this.flag(line, `\`${name}\` ${verb} ${t.text}, so the host does not get the text the policies judged`, domain);
      this.written.delete(t.text);
    }
  }

  private shell(cmd: SimpleCommand, args: readonly Word[], line: number, heredocText: string | undefined): void {
    const c = args.findIndex((a) => a.literal && /^-[a-z]*c$/.test(a.text));
    if (c >= 0) {
      const code = args[c + 1];
      if (code?.literal) return this.run(code.text, line - 1);
      return this.flag(line, "runs a shell script built at run time", "unknown");
    }
    const file = args.find((a) => !a.text.startsWith("-"));
    if (file) return this.source(file, line);
    if (heredocText !== undefined && !cmd.piped) return this.run(heredocText, line);
    this.flag(line, "runs a shell script read from its input", "unknown");
  }

  private source(file: Word | undefined, line: number): void {
    if (!file) return;
    if (!file.literal) return this.flag(line, `runs a script named at run time (${shown(file)})`, "unknown");
    const mine = this.written.get(file.text);
    if (mine !== undefined) return this.run(mine, line - 1);
    this.loads.push({ line, tool: "source", path: file.text });
  }

  private swanctl(args: readonly Word[], line: number): void {
    const texts = args.map((a) => a.text);
    const loads = texts.some((t) => /^--load-|^-[qcsapx]$|^--file$|^-f$/.test(t));
    if (this.swanctlEnv && loads)
      return this.flag(line, "`swanctl` loads with SWANCTL_DIR or STRONGSWAN_CONF set, so it reads files the pack does not", "IPsec");
    const f = texts.findIndex((t) => t === "--file" || t === "-f");
    if (f < 0) return;
    const file = args[f + 1];
    if (!file?.literal) return this.flag(line, `\`swanctl --file\` loads a file named at run time${file ? ` (${shown(file)})` : ""}`, "IPsec");
    this.loads.push({ line, tool: "swanctl", path: file.text });
  }

  private nft(args: readonly Word[], line: number, heredocText: string | undefined, piped: boolean): void {
    const texts = args.map((a) => a.text);
    if (texts.includes("-c") || texts.includes("--check")) return;
    const f = texts.findIndex((t) => t === "-f" || t === "--file" || /^-[a-zA-Z]*f$/.test(t));
    if (f >= 0) {
      const file = args[f + 1];
      if (file?.literal && (file.text === "-" || file.text === "/dev/stdin")) {
        if (heredocText !== undefined && !piped) return void this.loads.push({ line, tool: "nft", path: undefined, text: heredocText });
        return this.flag(line, "`nft -f -` loads a ruleset from its input, which the pack cannot read", "firewall");
      }
      if (!file?.literal) return this.flag(line, "`nft -f` loads a file named at run time", "firewall");
      const mine = this.written.get(file.text);
      if (mine !== undefined && !file.text.startsWith("/etc/")) return void this.loads.push({ line, tool: "nft", path: undefined, text: mine });
      return void this.loads.push({ line, tool: "nft", path: file.text });
    }
    const verb = args.find((a) => !a.text.startsWith("-"));
    if (!verb || ["list", "monitor", "describe"].includes(verb.text) || texts.some((t) => t === "-v" || t === "--version" || t === "-h" || t === "--help"))
      return;
    this.flag(
      line,
      `\`nft ${verb.literal ? verb.text.split(/\s+/)[0] : "…"}\` changes the live ruleset; the pack evaluates the ruleset files only`,
      "firewall",
    );
  }

  private ip(args: readonly Word[], line: number): void {
    const rest = [...args];
    // Options, literal (`-4`, `-o`) or a variable holding one (`ip $f route`), before the object.
    while (rest[0] && (rest[0].text.startsWith("-") || (!rest[0].literal && rest[1]?.literal && IP_OBJECT.test(rest[1].text)))) {
      const opt = rest.shift()!.text;
      if (/^-(n|netns|b|batch|force)$/.test(opt)) return this.flag(line, `\`ip ${opt}\` acts in another namespace or from a batch file`, "routing");
      if (/^-(f|family|rc|rcvbuf|l|loops)$/.test(opt)) rest.shift();
    }
    const object = rest[0]?.text ?? "";
    const verb = (object === "xfrm" || object === "x" ? rest[2]?.text : rest[1]?.text) ?? "show";
    const readVerb = /^(s|sh|sho|show|l|li|lis|list|ls|lst|get|help|save|monitor)$/.test(verb);
    if (readVerb || /^(monitor|mon|help)$/.test(object)) return;
    if (/^(a|ad|add|addr|addre|addres|address)$/.test(object)) return;
    if (/^(l|li|lin|link)$/.test(object)) {
      if (verb === "set" && !rest.some((w) => /^(netns|master|nomaster|type|vrf)$/.test(w.text))) return;
      return this.flag(line, `\`ip link ${verb}\` creates, deletes or moves interfaces`, "routing");
    }
    const isRoute = /^(r|ro|rou|rout|route)$/.test(object);
    const dev = rest.findIndex((w) => w.text === "dev");
    const others = rest.slice(2).filter((w, i) => i + 2 !== dev && i + 2 !== dev + 1 && !/^(proto|scope|table|metric)$/.test(w.text));
    // A route whose only hop is an interface: judged by what that interface is (a WireGuard one is read from its config).
    if (isRoute && dev > 0 && rest[dev + 1]?.literal && !others.some((w) => w.literal && /^(via|nexthop|encap|nhid)$/.test(w.text))) {
      return void this.loads.push({ line, tool: "route", iface: rest[dev + 1].text });
    }
    const domain = /^(x|xf|xfr|xfrm)$/.test(object) ? "IPsec" : "routing";
    this.flag(
      line,
      `\`ip ${object} ${verb}\` changes the live ${domain === "IPsec" ? "IPsec state" : "routing"}; the pack evaluates configuration files only`,
      domain,
    );
  }

  private wg(args: readonly Word[], line: number, piped: boolean): void {
    const verb = args[0]?.text ?? "show";
    if (["show", "showconf", "genkey", "genpsk", "pubkey", "--help", "-h", "--version"].includes(verb)) return;
    const iface = args[1];
    if (verb === "set") {
      const rest = args.slice(2);
      if (iface?.literal && rest.length === 2 && rest[0].text === "private-key" && rest[1].literal) return;
      return this.flag(line, "`wg set` changes the live WireGuard interface; the pack evaluates /etc/wireguard/*.conf only", "WireGuard");
    }
    if (verb === "setconf" || verb === "syncconf" || verb === "addconf") {
      const src = args[2];
      if (!iface?.literal || !src) return this.flag(line, `\`wg ${verb}\` loads an interface named at run time`, "WireGuard");
      const strip = src.procSub?.find((c) => commandName(c) === "wg-quick");
      if (strip && strip.words[1]?.text === "strip" && strip.words[2]?.literal && strip.words[2].text === iface.text) return;
      if (src.literal && src.text !== "/dev/stdin") return void this.loads.push({ line, tool: "wg", iface: iface.text, path: src.text, probe: false });
      if (src.literal && piped) return void this.loads.push({ line, tool: "wg", iface: iface.text, probe: this.ctx.validate === true });
      return this.flag(line, `\`wg ${verb}\` loads a configuration the pack cannot read`, "WireGuard");
    }
    this.flag(line, `\`wg ${verb}\` is not a form the pack reads`, "WireGuard");
  }

  private wgQuick(args: readonly Word[], line: number): void {
    const verb = args[0]?.text ?? "";
    const target = args[1];
    if (verb === "save") return this.flag(line, "`wg-quick save` overwrites the WireGuard config with the live interface's state", "WireGuard");
    if (verb === "strip" || !target) return;
    if (!target.literal) return this.flag(line, `\`wg-quick ${verb}\` is given a config named at run time`, "WireGuard");
    if (target.text.includes("/") && !/^\/etc\/wireguard\/[^/]+\.conf$/.test(target.text)) {
      this.flag(line, `\`wg-quick ${verb}\` loads ${target.text}, which the pack does not read as a WireGuard config`, "WireGuard");
    }
  }

  private systemctl(args: readonly string[], line: number): void {
    const verb = args.find((a) => !a.startsWith("-")) ?? "";
    const units = args.filter((a) => !a.startsWith("-") && a !== verb);
    if (/^(stop|disable|mask|kill|isolate|freeze)$/.test(verb)) {
      const hit = units.find((u) => SENSITIVE_UNITS.test(u));
      if (hit)
        this.flag(
          line,
          `\`systemctl ${verb} ${hit}\` takes down a service whose configuration the policies judged`,
          hit.startsWith("nftables") ? "firewall" : hit.startsWith("wg-quick") ? "WireGuard" : "IPsec",
        );
    }
    if (/^(edit|link|set-property|set-environment|import-environment|revert)$/.test(verb))
      this.flag(line, `\`systemctl ${verb}\` changes units in a way the pack does not read`, "code run later");
  }

  private copy(name: string, args: readonly Word[], line: number, heredocText: string | undefined): void {
    const opts: Word[] = [];
    const paths: Word[] = [];
    let mode: string | undefined;
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      if (a.literal && a.text.startsWith("-") && a.text !== "-") {
        if (name === "install" && (a.text === "-m" || a.text === "-o" || a.text === "-g" || a.text === "-t")) {
          if (a.text === "-m") mode = octal(args[i + 1]?.text ?? "");
          i++;
        } else if (name === "install" && /^--mode=/.test(a.text)) mode = octal(a.text.slice(7));
        opts.push(a);
      } else paths.push(a);
    }
    if (name === "install" && opts.some((o) => o.text === "-d")) return;
    if (paths.length < 2) return;
    const dst = paths[paths.length - 1];
    const sources = paths.slice(0, -1);
    if (!dst.literal) return this.flag(line, `\`${name}\` writes to a path built at run time (${shown(dst)})`, "unknown");
    for (const src of sources) {
      const target = sources.length > 1 || dst.text.endsWith("/") ? `${dst.text.replace(/\/+$/, "")}/${src.text.replace(/^.*\//, "")}` : dst.text;
      const domain = domainOf(target) ?? (name === "mv" && src.literal ? domainOf(src.text) : undefined);
      let content: string | undefined | null = null;
      if (src.literal && (src.text === "/dev/stdin" || src.text === "-") && heredocText !== undefined) content = heredocText;
      else if (src.literal && this.written.has(src.text)) content = this.written.get(src.text);
      if (name === "ln" || content === null) {
        if (domain)
          this.flag(line, `\`${name}\` puts ${src.literal ? src.text : "a file named at run time"} at ${target}, and the pack does not have its text`, domain);
        this.written.delete(target);
        continue;
      }
      if (name === "mv" && src.literal) this.written.delete(src.text);
      this.write(target, content, mode);
    }
  }

  private tee(args: readonly Word[], line: number, heredocText: string | undefined, piped: boolean): void {
    const append = args.some((a) => a.literal && /^-[a-z]*a|^--append$/.test(a.text));
    for (const t of args.filter((a) => !a.text.startsWith("-"))) {
      if (!t.literal) {
        this.flag(line, `\`tee\` writes to a path built at run time (${shown(t)})`, "unknown");
        continue;
      }
      const domain = domainOf(t.text);
      if (heredocText === undefined || piped) {
        if (domain) this.flag(line, `\`tee\` writes ${t.text} with text the pack cannot read`, domain);
        this.written.delete(t.text);
        continue;
      }
      const before = this.written.get(t.text);
      if (append && before === undefined) {
        if (domain) this.flag(line, `\`tee -a\` appends to ${t.text}, whose text on the host the pack does not have`, domain);
        continue;
      }
      this.write(t.text, append ? before + heredocText : heredocText);
    }
  }
}

export function scriptEffects(script: string, ctx: ScriptContext = {}): ScriptEffects {
  const effects = new Effects(ctx);
  effects.run(script, 0, true);
  return { files: effects.files, loads: effects.loads, unreadable: effects.unreadable };
}
