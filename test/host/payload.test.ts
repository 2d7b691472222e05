import { strict as assert } from "assert";
import { createHash } from "crypto";
import { decodePayload, encodePayload, payloadDigest } from "../../components/host/payload";
import { HostFile } from "../../components/host/types";

describe("payload: the files of a concern on stdin, with their count, length and digest", () => {
  const files: HostFile[] = [
    { path: "/etc/a.conf", content: "alpha\n", mode: "0644", owner: "root:root", secret: false, validate: 'grep -q alpha "$STAGED"' },
    { path: "/etc/s.secrets", content: 'psk = "x y"\n\u00e9\n', mode: "0600", owner: "root:root", secret: true, validate: undefined },
    { path: "/etc/empty", content: "", mode: "0644", owner: "root:bird", secret: false, validate: undefined },
  ];

  it("decode(encode(files)) gives the files back, and the header counts, measures and hashes the body", () => {
    const text = encodePayload(files);
    assert.deepEqual(decodePayload(text), files);
    const [header, ...rest] = text.split("\n");
    const body = rest.join("\n");
    const sha = createHash("sha256").update(body).digest("hex");
    assert.equal(header, `stage2-payload 2 3 ${Buffer.byteLength(body)} ${sha}`);
    assert.equal(payloadDigest(text), sha);
    assert.deepEqual(decodePayload(encodePayload([])), []);
  });

  it("a payload cut short, altered, or of another version decodes to nothing", () => {
    const text = encodePayload(files);
    assert.equal(decodePayload(text.slice(0, -1)), undefined);
    assert.equal(decodePayload(text.slice(0, text.lastIndexOf("\n", text.length - 2) + 1)), undefined);
    assert.equal(decodePayload(text.replace("YWxwaGEK", "YWxwaGIK")), undefined);
    assert.equal(decodePayload(text.replace("stage2-payload 2 3", "stage2-payload 2 2")), undefined);
    assert.equal(decodePayload(text.replace("stage2-payload 2", "stage2-payload 1")), undefined);
    assert.equal(decodePayload("stage2-payload 1\n"), undefined);
  });
});
