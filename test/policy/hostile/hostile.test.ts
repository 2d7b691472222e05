import * as assert from "assert";
import { mandatory, programStack } from "../helpers/stacks";
import { BENIGN, SHAPES } from "./shapes";

describe("policy: hostile shapes fail closed (issue 10 §2)", () => {
  for (const shape of SHAPES) {
    it(`${shape.name}: a mandatory ${shape.policy} finding`, async () => {
      const found = mandatory(await programStack(shape.program));
      const hit = found.filter((v) => v.policy === shape.policy && shape.says.test(v.message));
      assert.ok(
        hit.length > 0,
        `no mandatory ${shape.policy} finding matching ${shape.says}; got:\n${found.map((v) => `${v.policy}: ${v.message}`).join("\n")}`,
      );
    });
  }

  for (const benign of BENIGN) {
    it(`passes: ${benign.name}`, async () => {
      assert.deepStrictEqual(
        mandatory(await programStack(benign.program)).map((v) => `${v.policy}: ${v.message}`),
        [],
      );
    });
  }
});
