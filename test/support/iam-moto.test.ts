import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { withMotoActionNames } from "./iam-moto.ts";

describe("the IAM policy as moto reads it", () => {
  it("gives each tag: action its tagging: twin, since moto authorises by the signing name", () => {
    const policy = {
      Version: "2012-10-17",
      Statement: [
        { Sid: "A", Effect: "Allow", Action: ["rds:DescribeDBInstances", "tag:GetResources"], Resource: "*" },
        { Sid: "B", Effect: "Allow", Action: "tag:GetResources", Resource: "*" },
        { Sid: "C", Effect: "Allow", Action: ["elasticloadbalancing:AddTags"], Resource: "*" },
      ],
    };
    const read = withMotoActionNames(policy);
    assert.deepEqual(
      read.Statement.map((s) => s.Action),
      [
        ["rds:DescribeDBInstances", "tag:GetResources", "tagging:GetResources"],
        ["tag:GetResources", "tagging:GetResources"],
        ["elasticloadbalancing:AddTags"],
      ],
    );
    assert.deepEqual(policy.Statement[0]?.Action, ["rds:DescribeDBInstances", "tag:GetResources"]);
  });
});
