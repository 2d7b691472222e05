/**
 * A reader for the shell scripts of remote commands: enough of bash's grammar to split a script into simple
 * commands with their words, redirections and here-documents, and to tell a literal word from one whose text
 * only exists at run time ($VAR, $(...), `...`, globs). It never runs anything.
 */

export interface Word {
  /** Quote removal applied; for a word that is not literal, the raw text as written. */
  readonly text: string;
  /** True when the word's text is fixed: no parameter, command or arithmetic expansion. */
  readonly literal: boolean;
  /** True when it holds an unquoted glob character (* ? [). */
  readonly glob: boolean;
  /** `<(...)`: the commands of a process substitution. */
  readonly procSub?: SimpleCommand[];
}

export interface HereDoc {
  /** The body as the command reads it, when that is fixed (quoted delimiter, or no expansion in it). */
  readonly body?: string;
  /** The raw body, for messages. */
  readonly raw: string;
  readonly quoted: boolean;
}

export interface Redirect {
  /** ">", ">>", "<", "<<", "<<<", ">&", "<&", "&>", "&>>", "<>". */
  readonly op: string;
  readonly fd?: number;
  readonly target?: Word;
  readonly heredoc?: HereDoc;
}

export interface SimpleCommand {
  /** `NAME=value` words before the command name. */
  readonly assigns: Word[];
  readonly words: Word[];
  readonly redirects: Redirect[];
  /** 1-based line of the script where the command starts. */
  readonly line: number;
  /** Its stdin is the previous command's stdout (`a | b`). */
  readonly piped: boolean;
  /** Inside `$(...)`, backticks or `<(...)`. */
  readonly nested: boolean;
}

const KEYWORDS = new Set(["if", "then", "else", "elif", "fi", "do", "done", "while", "until", "!", "{", "}", "esac", "time"]);
const META = new Set([";", "&", "|", "(", ")", "<", ">", "\n", " ", "\t"]);

class Reader {
  private i = 0;
  private line = 1;
  readonly commands: SimpleCommand[] = [];
  private pending: { delim: string; strip: boolean; quoted: boolean; set: (h: HereDoc) => void }[] = [];

  constructor(
    private readonly src: string,
    private readonly nested: boolean,
    private readonly lineBase: number,
  ) {}

  read(): SimpleCommand[] {
    let piped = false;
    while (this.i < this.src.length) {
      const op = this.command(piped);
      piped = op === "|" || op === "|&";
    }
    return this.commands;
  }

  /** Reads one simple command and the operator that ends it. */
  private command(piped: boolean): string {
    const assigns: Word[] = [];
    const words: Word[] = [];
    const redirects: Redirect[] = [];
    const startLine = this.line;
    let skipRest = false;
    for (;;) {
      this.blanks();
      if (this.i >= this.src.length) break;
      const c = this.src[this.i];
      if (c === "#" && this.atWordStart()) {
        while (this.i < this.src.length && this.src[this.i] !== "\n") this.i++;
        continue;
      }
      if (c === "\n" || c === ";" || c === "&" || c === "|" || c === "(" || c === ")") {
        const op = this.operator();
        if (op === "\n") this.heredocBodies();
        if ((op === "(" || op === ")") && words.length === 0 && assigns.length === 0 && redirects.length === 0) return op;
        this.emit(assigns, words, redirects, startLine, piped, skipRest);
        return op;
      }
      const redirect = this.redirect();
      if (redirect) {
        redirects.push(redirect);
        continue;
      }
      const word = this.word();
      if (words.length === 0 && /^[A-Za-z_][A-Za-z0-9_]*(\[[^\]]*\])?\+?=/.test(word.raw)) {
        assigns.push(word.word);
        continue;
      }
      if (words.length === 0 && word.word.literal && KEYWORDS.has(word.word.text)) continue;
      if (words.length === 0 && word.word.literal && (word.word.text === "for" || word.word.text === "case" || word.word.text === "select")) skipRest = true;
      words.push(word.word);
    }
    this.emit(assigns, words, redirects, startLine, piped, skipRest);
    return "";
  }

  private emit(assigns: Word[], words: Word[], redirects: Redirect[], line: number, piped: boolean, skip: boolean): void {
    if (skip) words.length = 0;
    // `case` patterns (`a|b)`) and `for x in ...` carry no effect of their own.
    if (words.length || assigns.length || redirects.length) {
      this.commands.push({ assigns, words, redirects, line: line + this.lineBase, piped, nested: this.nested });
    }
  }

  private atWordStart(): boolean {
    return this.i === 0 || META.has(this.src[this.i - 1]);
  }

  private blanks(): void {
    for (;;) {
      const c = this.src[this.i];
      if (c === " " || c === "\t") this.i++;
      else if (c === "\\" && this.src[this.i + 1] === "\n") {
        this.i += 2;
        this.line++;
      } else return;
    }
  }

  private operator(): string {
    const two = this.src.slice(this.i, this.i + 2);
    if (two === "&&" || two === "||" || two === ";;" || two === "|&" || two === ";&") {
      this.i += 2;
      return two;
    }
    const c = this.src[this.i++];
    if (c === "\n") this.line++;
    return c;
  }

  /** `[n]>`, `>>`, `<`, `<<[-]DELIM`, `<<<`, `&>`, `>&n`, ... with its target. */
  private redirect(): Redirect | undefined {
    const m = /^(\d*)(&>>|&>|<<<|<<-|<<|>>|>\||>&|<&|<>|>|<)/.exec(this.src.slice(this.i, this.i + 8));
    if (!m) return undefined;
    if (m[1] === "" && (m[2] === "<" || m[2] === ">") && this.src[this.i + 1] === "(") return undefined;
    this.i += m[0].length;
    const fd = m[1] === "" ? undefined : Number(m[1]);
    const op = m[2] === ">|" ? ">" : m[2];
    this.blanks();
    if (op === "<<" || op === "<<-") {
      const delim = this.word();
      const quoted = /['"\\]/.test(delim.raw);
      const holder: { heredoc?: HereDoc } = {};
      this.pending.push({ delim: delim.raw.replace(/['"\\]/g, ""), strip: op === "<<-", quoted, set: (h) => (holder.heredoc = h) });
      return {
        op: "<<",
        fd,
        get heredoc() {
          return holder.heredoc;
        },
      };
    }
    if ((op === ">&" || op === "<&") && /^[0-9-]/.test(this.src[this.i] ?? "")) {
      this.word();
      return { op: "dup", fd };
    }
    return { op, fd, target: this.word().word };
  }

  /** Reads the bodies of the here-documents opened on the line just ended. */
  private heredocBodies(): void {
    for (const doc of this.pending) {
      const body: string[] = [];
      while (this.i < this.src.length) {
        const end = this.src.indexOf("\n", this.i);
        const raw = this.src.slice(this.i, end < 0 ? this.src.length : end);
        this.i = end < 0 ? this.src.length : end + 1;
        this.line++;
        const text = doc.strip ? raw.replace(/^\t+/, "") : raw;
        if (text === doc.delim) break;
        body.push(text);
      }
      const raw = body.length ? body.join("\n") + "\n" : "";
      doc.set({ raw, quoted: doc.quoted, body: doc.quoted ? raw : expandFree(raw) });
    }
    this.pending = [];
  }

  /** One word: quotes removed, expansions noted, nested commands read. */
  private word(): { word: Word; raw: string } {
    const start = this.i;
    let text = "";
    let literal = true;
    let glob = false;
    let procSub: SimpleCommand[] | undefined;
    while (this.i < this.src.length) {
      const c = this.src[this.i];
      if (META.has(c)) {
        if (c === "(" && /^[A-Za-z_][A-Za-z0-9_]*\+?=$/.test(this.src.slice(start, this.i))) {
          // An array assignment `a=(x y)`: its elements are words of no command.
          const inner = this.balanced(this.i, "(", ")");
          this.nestedRead(inner.body.replace(/[<>]/g, " "));
          text += `(${inner.body})`;
          this.i = inner.end;
          literal = false;
          continue;
        }
        if ((c === "<" || c === ">") && this.src[this.i + 1] === "(" && text === "") {
          const inner = this.balanced(this.i + 1, "(", ")");
          procSub = this.nestedRead(inner.body);
          this.i = inner.end;
          literal = false;
          continue;
        }
        break;
      }
      if (c === "\\") {
        if (this.src[this.i + 1] === "\n") {
          this.i += 2;
          this.line++;
          continue;
        }
        text += this.src[this.i + 1] ?? "";
        this.i += 2;
        continue;
      }
      if (c === "'") {
        const end = this.src.indexOf("'", this.i + 1);
        const stop = end < 0 ? this.src.length : end;
        text += this.src.slice(this.i + 1, stop);
        this.countLines(this.i, stop);
        this.i = stop + 1;
        continue;
      }
      if (c === '"') {
        this.i++;
        while (this.i < this.src.length && this.src[this.i] !== '"') {
          const d = this.src[this.i];
          if (d === "\\" && /["\\$`\n]/.test(this.src[this.i + 1] ?? "")) {
            if (this.src[this.i + 1] !== "\n") text += this.src[this.i + 1];
            this.i += 2;
            continue;
          }
          if (d === "$" || d === "`") {
            literal = false;
            text += this.expansion();
            continue;
          }
          if (d === "\n") this.line++;
          text += d;
          this.i++;
        }
        this.i++;
        continue;
      }
      if (c === "$" || c === "`") {
        literal = false;
        text += this.expansion();
        continue;
      }
      if (c === "*" || c === "?" || c === "[") glob = true;
      text += c;
      this.i++;
    }
    const raw = this.src.slice(start, this.i);
    return { word: { text: literal ? text : raw, literal, glob, ...(procSub ? { procSub } : {}) }, raw };
  }

  /** `$x`, `${...}`, `$(...)`, `$((...))`, `` `...` ``: returns the raw text; nested commands are read too. */
  private expansion(): string {
    const start = this.i;
    const c = this.src[this.i];
    if (c === "`") {
      let j = this.i + 1;
      while (j < this.src.length && this.src[j] !== "`") j += this.src[j] === "\\" ? 2 : 1;
      this.nestedRead(this.src.slice(this.i + 1, j).replace(/\\([`$\\])/g, "$1"));
      this.i = j + 1;
    } else if (this.src[this.i + 1] === "(") {
      const inner = this.balanced(this.i + 1, "(", ")");
      if (!inner.body.startsWith("(")) this.nestedRead(inner.body);
      this.i = inner.end;
    } else if (this.src[this.i + 1] === "{") {
      this.i = this.balanced(this.i + 1, "{", "}").end;
    } else {
      const m = /^\$([A-Za-z_][A-Za-z0-9_]*|[0-9#?$!@*-])?/.exec(this.src.slice(this.i));
      this.i += m ? m[0].length : 1;
    }
    this.countLines(start, this.i);
    return this.src.slice(start, this.i);
  }

  private balanced(at: number, open: string, close: string): { body: string; end: number } {
    let depth = 0;
    let j = at;
    for (; j < this.src.length; j++) {
      const c = this.src[j];
      if (c === "\\") {
        j++;
        continue;
      }
      if (c === "'") {
        const e = this.src.indexOf("'", j + 1);
        j = e < 0 ? this.src.length : e;
        continue;
      }
      if (c === open) depth++;
      else if (c === close && --depth === 0) break;
    }
    return { body: this.src.slice(at + 1, j), end: Math.min(j + 1, this.src.length) };
  }

  private nestedRead(text: string): SimpleCommand[] {
    const inner = new Reader(text, true, this.line - 1).read();
    this.commands.push(...inner);
    return inner;
  }

  private countLines(from: number, to: number): void {
    for (let k = from; k < to; k++) if (this.src[k] === "\n") this.line++;
  }
}

/** An unquoted here-document's text when nothing in it is expanded: `\$`, `` \` `` and `\\` unescaped. */
function expandFree(raw: string): string | undefined {
  let out = "";
  for (let k = 0; k < raw.length; k++) {
    const c = raw[k];
    if (c === "\\" && /[$`\\]/.test(raw[k + 1] ?? "")) {
      out += raw[++k];
      continue;
    }
    if (c === "\\" && raw[k + 1] === "\n") {
      k++;
      continue;
    }
    if (c === "`" || (c === "$" && /[A-Za-z_{(0-9#?$!@*-]/.test(raw[k + 1] ?? ""))) return undefined;
    out += c;
  }
  return out;
}

/** The simple commands of a script, in order, those inside `$(...)` and `<(...)` included. */
export function readScript(script: string): SimpleCommand[] {
  return new Reader(script, false, 0).read();
}

/** The command name and arguments as plain text, for messages (never a secret: callers show only names and paths). */
export const commandName = (cmd: SimpleCommand): string | undefined => (cmd.words[0]?.literal ? cmd.words[0].text.replace(/^.*\//, "") : undefined);
