import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { deriveGroupName, GROUP_NAME_MAX, groupNameProblem } from "./mapping.ts";

describe("a security group's derived name", () => {
  it("is namespace-name when that fits", () => {
    assert.equal(deriveGroupName("team-a", "db"), "team-a-db");
  });

  it("never starts like a group ID, which EC2 refuses as a name", () => {
    const name = deriveGroupName("sg", "web");
    assert.ok(!name.startsWith("sg-"), name);
    assert.equal(name, deriveGroupName("sg", "web"), "and is deterministic");
  });

  it("is cut to EC2's limit with a hash of the whole name, so two long names stay apart", () => {
    const a = deriveGroupName("n".repeat(63), "a".repeat(253));
    const b = deriveGroupName("n".repeat(63), `${"a".repeat(252)}b`);
    assert.equal(a.length, GROUP_NAME_MAX);
    assert.notEqual(a, b);
  });
});

describe("a security group name given by the external-name annotation", () => {
  const cases: { name: string; value: string; problem: RegExp | undefined }[] = [
    { name: "takes a plain name", value: "shop-db", problem: undefined },
    { name: "takes the punctuation EC2 allows", value: "web (public): 80/443 #1", problem: undefined },
    { name: "refuses a group ID, which is not a name", value: "sg-0123abcd", problem: /group ID/ },
    { name: "refuses a character EC2 does not accept", value: "caf\u00e9", problem: /1 to 255/ },
    { name: "refuses 256 characters", value: "a".repeat(256), problem: /1 to 255/ },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const problem = groupNameProblem(c.value);
      if (c.problem === undefined) assert.equal(problem, undefined);
      else assert.match(problem ?? "", c.problem);
    });
  }
  it("never refuses a derived name", () => {
    for (const [ns, n] of [
      ["sg", "web"],
      ["n".repeat(63), "a".repeat(253)],
      ["team-a", "db"],
    ] as const) {
      assert.equal(groupNameProblem(deriveGroupName(ns, n)), undefined);
    }
  });
});
