import * as YAML from "yaml";

/**
 * `YAML.parse`, with its duplicate-key error found in linear time. The yaml package compares each key with every
 * earlier key of its map, so a stack whose `config:` holds 10,000 secret keys spent most of its parse there.
 * Throws a YAMLParseError (with `linePos`) as `YAML.parse` does.
 */
export function parseStackYaml(text: string): unknown {
  // `preview` and `policy` read the stack file twice (to check it, then to run it): the second read is a copy.
  if (last?.text !== text) last = { text, value: parseOnce(text) };
  return structuredClone(last.value);
}

let last: { readonly text: string; readonly value: unknown } | undefined;

function parseOnce(text: string): unknown {
  const lineCounter = new YAML.LineCounter();
  const doc = YAML.parseDocument(text, { uniqueKeys: false, lineCounter });
  if (doc.errors.length === 0) {
    YAML.visit(doc, {
      Map(_, map) {
        const seen = new Set<unknown>();
        for (const pair of map.items) {
          // As the package compares keys: a scalar by its value, any other node by identity.
          const key = YAML.isScalar(pair.key) ? pair.key.value : pair.key;
          if (seen.has(key)) doc.errors.push(duplicateKey(pair.key, lineCounter));
          seen.add(key);
        }
      },
    });
  }
  if (doc.errors.length > 0) throw doc.errors[0];
  return doc.toJS();
}

function duplicateKey(key: unknown, lineCounter: YAML.LineCounter): YAML.YAMLParseError {
  const range = (YAML.isNode(key) && key.range) || [0, 0];
  const err = new YAML.YAMLParseError([range[0], range[1]], "DUPLICATE_KEY", "Map keys must be unique");
  err.linePos = [lineCounter.linePos(range[0]), lineCounter.linePos(range[1])];
  err.message += ` at line ${err.linePos[0].line}, column ${err.linePos[0].col}:`;
  return err;
}
