/**
 * Files written by a shell script with a here-document: `cat > PATH <<'EOF'`, `cat <<EOF >PATH`,
 * `tee PATH <<-EOF`, `install -m 0600 /dev/stdin PATH <<EOF`. This is how hand-written configs are
 * pushed by plain remote commands in other stacks, so policies must read them like stage2's payloads.
 */
export interface ScriptFile {
  readonly path: string;
  readonly content: string;
  /** The mode set by `chmod`/`install -m` in the same script, if any. */
  readonly mode?: string;
}

const HEREDOC_RE = /<<(-?)\s*(['"]?)([A-Za-z_][A-Za-z0-9_]*)\2/;
const TARGET_RE = /(?:>{1,2}\s*|\btee\s+(?:-a\s+)?|\binstall\s+(?:-[A-Za-z]+\s+\S+\s+)*\/dev\/stdin\s+)(['"]?)(\/[^\s'";&|)]+)\1/;
const CHMOD_RE = /\bchmod\s+(0?[0-7]{3})\s+(['"]?)(\/[^\s'";&|)]+)\2/g;
const INSTALL_MODE_RE = /\binstall\b[^\n]*?-m\s*(0?[0-7]{3})[^\n]*?(\/[^\s'";&|)]+)\s*(?:<<|$)/;

const octal = (mode: string): string => (mode.length === 3 ? `0${mode}` : mode);

export function heredocFiles(script: string): ScriptFile[] {
  const lines = script.split("\n");
  const modes = new Map<string, string>();
  for (const m of script.matchAll(CHMOD_RE)) modes.set(m[3], octal(m[1]));
  const files: ScriptFile[] = [];
  for (let i = 0; i < lines.length; i++) {
    const head = lines[i];
    const doc = HEREDOC_RE.exec(head);
    if (!doc) continue;
    const stripTabs = doc[1] === "-";
    const end = doc[3];
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const line = stripTabs ? lines[j].replace(/^\t+/, "") : lines[j];
      if (line === end) break;
      body.push(line);
    }
    const target = TARGET_RE.exec(head.replace(HEREDOC_RE, " "));
    if (target) {
      const path = target[2];
      const install = INSTALL_MODE_RE.exec(head);
      const mode = install && install[2] === path ? octal(install[1]) : modes.get(path);
      files.push({ path, content: body.length ? body.join("\n") + "\n" : "", mode });
    }
    i = j;
  }
  return files;
}
