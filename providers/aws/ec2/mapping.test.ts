import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { deriveGroupName, GROUP_NAME_MAX } from "./mapping.ts";

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
