import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { policies } from "../../policy/policies";

describe("docs/policy.md", () => {
  const text = fs.readFileSync(path.resolve(__dirname, "..", "..", "docs", "policy.md"), "utf8");

  it("lists every policy of the pack with its level and its description, in pack order", () => {
    const rows = text.split("\n").filter((l) => /^\| `[a-z-]+` \|/.test(l));
    assert.deepStrictEqual(
      rows,
      policies.map((p) => `| \`${p.name}\` | ${p.enforcementLevel} | ${p.description} |`),
    );
  });

  it("explains why each policy exists", () => {
    for (const p of policies) assert.ok(text.includes(`**\`${p.name}\`**`) || (p.enforcementLevel === "advisory" && text.includes(`\`${p.name}\` (`)), p.name);
  });
});
