import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { deriveSubnetGroupName, SUBNET_GROUP_NAME_MAX, subnetGroupNameProblem } from "./mapping.ts";

describe("a DB subnet group name given by the external-name annotation", () => {
  const cases: { name: string; value: string; problem: RegExp | undefined }[] = [
    { name: "takes a plain name", value: "shop-db-subnets", problem: undefined },
    { name: "takes periods, underscores and spaces", value: "Shop_DB subnets.v2", problem: undefined },
    { name: "refuses default, which RDS keeps for the default VPC", value: "Default", problem: /reserves/ },
    { name: "refuses a character RDS does not accept", value: "shop/db", problem: /1 to 255/ },
    { name: "refuses 256 characters", value: "a".repeat(256), problem: /1 to 255/ },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const problem = subnetGroupNameProblem(c.value);
      if (c.problem === undefined) assert.equal(problem, undefined);
      else assert.match(problem ?? "", c.problem);
    });
  }
  it("never refuses a derived name, even one cut to the limit", () => {
    const long = deriveSubnetGroupName("n".repeat(63), "a".repeat(253));
    assert.equal(long.length, SUBNET_GROUP_NAME_MAX);
    assert.equal(subnetGroupNameProblem(long), undefined);
    assert.equal(subnetGroupNameProblem(deriveSubnetGroupName("team-a", "db")), undefined);
  });
});
