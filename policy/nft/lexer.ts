/** Tokens of the nftables ruleset language (nft(8)): enough for `nft -f` files and `nft list ruleset` output. */
export type Token =
  | { readonly kind: "word"; readonly text: string; readonly line: number }
  | { readonly kind: "string"; readonly text: string; readonly line: number }
  | { readonly kind: "punct"; readonly text: "{" | "}" | ";" | "," | "(" | ")"; readonly line: number }
  | { readonly kind: "eol"; readonly text: "\n"; readonly line: number };

const PUNCT = new Set(["{", "}", ";", ",", "(", ")"]);

export class NftSyntaxError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
    this.name = "NftSyntaxError";
  }
}

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === "\\" && text[i + 1] === "\n") {
      i += 2;
      line++;
      continue;
    }
    if (c === "\n") {
      tokens.push({ kind: "eol", text: "\n", line });
      line++;
      i++;
      continue;
    }
    if (c === " " || c === "\t" || c === "\r") {
      i++;
      continue;
    }
    if (c === "#") {
      while (i < text.length && text[i] !== "\n") i++;
      continue;
    }
    if (c === '"') {
      const end = text.indexOf('"', i + 1);
      if (end < 0 || text.slice(i, end).includes("\n")) throw new NftSyntaxError(line, "unterminated string");
      tokens.push({ kind: "string", text: text.slice(i + 1, end), line });
      i = end + 1;
      continue;
    }
    if (PUNCT.has(c)) {
      tokens.push({ kind: "punct", text: c as "{", line });
      i++;
      continue;
    }
    let j = i;
    while (j < text.length && !/[\s{};,()"#]/.test(text[j])) j++;
    tokens.push({ kind: "word", text: text.slice(i, j), line });
    i = j;
  }
  return tokens;
}
