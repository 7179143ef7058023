// The shipped IAM policies name exactly the AWS calls the providers make: every SDK command sent under
// providers/aws/ (found in the source, so a new call fails this test until the policy has it) and
// nothing else. The owner-tag variant is checked for its shape: which condition each kind of call gets.
import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { describe, it } from "node:test";
import { ROOT } from "../generate.ts";
import { ACTIONS, basePolicy, OWNER_TAG, ownerTagPolicy, type PolicyDocument } from "./policy.ts";

/** The IAM service prefix of each AWS SDK client package the providers may use. */
const IAM_PREFIX: Record<string, string> = {
  "@aws-sdk/client-rds": "rds",
  "@aws-sdk/client-elastic-load-balancing-v2": "elasticloadbalancing",
  "@aws-sdk/client-ec2": "ec2",
  "@aws-sdk/client-resource-groups-tagging-api": "tag",
};

const NOT_SHIPPED = /\.(test|test-fixture|test-helper|test-util)\.ts$|\/fake\.[^/]*$/;

/** "rds:CreateDBInstance" for every `new CreateDBInstanceCommand(` in shipped provider code. */
async function actionsTheCodeCalls(): Promise<Map<string, string[]>> {
  const dir = join(ROOT, "providers", "aws");
  const found = new Map<string, string[]>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name);
    if (!entry.isFile() || !path.endsWith(".ts") || NOT_SHIPPED.test(path)) continue;
    const text = await readFile(path, "utf8");
    for (const imp of text.matchAll(/import\s*\{([^}]*)\}\s*from\s*"(@aws-sdk\/client-[^"]+)"/g)) {
      const pkg = imp[2] as string;
      const prefix = IAM_PREFIX[pkg];
      const commands = (imp[1] as string)
        .split(",")
        .map((n) => n.trim())
        .filter((n) => !n.startsWith("type ") && n.endsWith("Command"));
      for (const command of commands) {
        if (!new RegExp(`new ${command}\\(`).test(text)) continue;
        assert.ok(prefix, `${relative(ROOT, path)} calls ${command} of ${pkg}, which has no IAM prefix here`);
        const action = `${prefix}:${command.slice(0, -"Command".length)}`;
        found.set(action, [...(found.get(action) ?? []), relative(ROOT, path)]);
      }
    }
  }
  return found;
}

const allowed = (doc: PolicyDocument) => new Set(doc.Statement.flatMap((s) => s.Action));

describe("the shipped IAM policy", () => {
  it("allows every AWS call the providers make", async () => {
    const called = await actionsTheCodeCalls();
    assert.ok(called.size >= 20, `found only ${called.size} calls: is the scan still finding commands?`);
    for (const doc of [basePolicy(), ownerTagPolicy()]) {
      const missing = [...called.keys()].filter((a) => !allowed(doc).has(a));
      assert.deepEqual(
        missing,
        [],
        `add to deploy/iam/policy.ts: ${missing.map((a) => `${a} (${called.get(a)})`)}`,
      );
    }
  });

  it("allows nothing the providers do not call", async () => {
    const called = await actionsTheCodeCalls();
    const unused = ACTIONS.map((a) => a.action).filter((a) => !called.has(a));
    assert.deepEqual(unused, [], "remove from deploy/iam/policy.ts, or say why the call needs it");
  });

  it("has no wildcard action", () => {
    for (const a of allowed(basePolicy())) assert.doesNotMatch(a, /\*/);
  });
});

describe("the owner-tag IAM policy", () => {
  const doc = ownerTagPolicy();
  const statementsFor = (action: string) => doc.Statement.filter((s) => s.Action.includes(action));

  it("lets every change and delete touch only a resource that carries the owner tag", () => {
    for (const a of ACTIONS.filter((x) => x.use === "change")) {
      const statements = statementsFor(a.action);
      assert.ok(statements.length > 0, a.action);
      for (const s of statements) {
        assert.equal(s.Condition?.Null?.[`aws:ResourceTag/${OWNER_TAG}`], "false", `${a.action} in ${s.Sid}`);
      }
    }
  });

  it("lets a create happen only with both ownership tags in the request", () => {
    for (const a of ACTIONS.filter((x) => x.use === "create")) {
      for (const s of statementsFor(a.action)) {
        assert.equal(s.Condition?.Null?.[`aws:RequestTag/${OWNER_TAG}`], "false", `${a.action} in ${s.Sid}`);
        assert.equal(
          s.Condition?.Null?.["aws:RequestTag/setpoint.dev/uid"],
          "false",
          `${a.action} in ${s.Sid}`,
        );
      }
    }
  });

  it("lets ELB tags onto an untagged resource only during its create", () => {
    const untagged = statementsFor("elasticloadbalancing:AddTags").filter(
      (s) => !s.Condition?.Null?.[`aws:ResourceTag/${OWNER_TAG}`],
    );
    assert.equal(untagged.length, 1);
    assert.deepEqual(untagged[0]?.Condition?.StringEquals?.["elasticloadbalancing:CreateAction"], [
      "CreateListener",
      "CreateLoadBalancer",
      "CreateTargetGroup",
    ]);
  });

  it("lets EC2 tags onto an untagged security group only during its create", () => {
    const untagged = statementsFor("ec2:CreateTags").filter(
      (s) => !s.Condition?.Null?.[`aws:ResourceTag/${OWNER_TAG}`],
    );
    assert.equal(untagged.length, 1);
    assert.deepEqual(untagged[0]?.Condition?.StringEquals?.["ec2:CreateAction"], ["CreateSecurityGroup"]);
  });

  it("reads without conditions, since Describe calls take none", () => {
    for (const a of ACTIONS.filter((x) => x.use === "read")) {
      assert.ok(
        statementsFor(a.action).every((s) => s.Condition === undefined),
        a.action,
      );
    }
  });
});
