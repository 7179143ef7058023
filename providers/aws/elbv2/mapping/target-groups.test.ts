import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LoadBalancerForProvider } from "../../../../apis/aws/v1alpha1/loadbalancer.ts";
import { targetGroupAwsName } from "../names.ts";
import { compare } from "./compare.ts";
import {
  ctx,
  FOREIGN,
  inSync,
  itFindsDrift,
  kinds,
  LB_NAME,
  OWN,
  spec,
  tgArn,
  UID,
  VPC,
} from "./fixtures.test-util.ts";
import { createTargetGroupInput } from "./target-groups.ts";

describe("target groups, matched by local name", () => {
  itFindsDrift([
    {
      name: "a changed target group tag is drift under the target group",
      mutate: (o) => {
        o.targetGroups[1]!.tags!.team = "z";
      },
      paths: ['forProvider.targetGroups[name=api].tags["team"]'],
      ops: ["AddTags"],
    },
    {
      name: "a missing target group is created",
      mutate: (o) => {
        o.targetGroups = o.targetGroups.filter((t) => t.name !== "api");
      },
      paths: ["forProvider.targetGroups[name=api]"],
      ops: ["CreateTargetGroup"],
    },
    {
      name: "a target group removed from the spec but tagged with our uid is deleted",
      mutate: (o) => {
        o.targetGroups.push({
          name: "old",
          awsName: "x",
          arn: tgArn("old"),
          healthCheck: {},
          tags: { ...OWN },
        });
      },
      paths: ["forProvider.targetGroups[name=old]"],
      ops: ["DeleteTargetGroup"],
    },
    {
      name: "a target group not in the spec and not ours is never deleted",
      mutate: (o) => {
        o.targetGroups.push({ name: "old", awsName: "x", arn: tgArn("old"), healthCheck: {}, tags: FOREIGN });
        o.targetGroups.push({
          name: "untagged",
          awsName: "y",
          arn: tgArn("untagged"),
          healthCheck: {},
          tags: {},
        });
      },
      paths: [],
      ops: [],
    },
  ]);

  it("creates a missing target group with the derived name, the load balancer's VPC and our tags", () => {
    const o = inSync();
    o.targetGroups = o.targetGroups.filter((t) => t.name !== "api");
    const op = compare(spec(), o, ctx()).ops[0];
    assert.ok(op?.kind === "CreateTargetGroup");
    assert.equal(op.input.Name, targetGroupAwsName(LB_NAME, "api"));
    assert.equal(op.input.VpcId, VPC);
    assert.ok(op.input.Tags?.some((t) => t.Key === "setpoint.dev/uid" && t.Value === UID));
  });

  it("refuses to touch a target group tagged with another uid, and a listener forwarding to it", () => {
    const o = inSync();
    o.targetGroups[0]!.tags = { ...FOREIGN };
    o.targetGroups[0]!.healthCheck.path = "/other";
    o.listeners = o.listeners.filter((l) => l.port !== 80);
    const c = compare(spec(), o, ctx());
    assert.deepEqual(kinds(c.ops), []);
    assert.equal(c.blocked[0]?.code, "ForeignOwner");
    assert.deepEqual(
      c.drift.map((d) => d.path),
      ["forProvider.listeners[port=80]"],
    );
  });

  it("blocks a target group whose protocol differs, since AWS cannot change it in place", () => {
    const o = inSync();
    o.targetGroups[1]!.port = 9999;
    const c = compare(spec(), o, ctx());
    assert.deepEqual(
      c.drift.map((d) => d.path),
      ["forProvider.targetGroups[name=api].port"],
    );
    assert.equal(c.blocked[0]?.code, "ImmutableFieldChanged");
    assert.deepEqual(c.ops, []);
  });
});

describe("the target group's create input", () => {
  it("a target group carries its health check, and the spec's VPC wins over the load balancer's", () => {
    const tg = LoadBalancerForProvider.shape.targetGroups.unwrap().element.parse({
      name: "web",
      protocol: "HTTPS",
      port: 443,
      vpcId: "vpc-0b",
      healthCheck: { path: "/h", intervalSeconds: 10, matcher: "200-299", port: "8443" },
    });
    assert.deepEqual(createTargetGroupInput(tg, "tg-name", VPC, {}), {
      Name: "tg-name",
      TargetType: "instance",
      Protocol: "HTTPS",
      Port: 443,
      VpcId: "vpc-0b",
      HealthCheckPath: "/h",
      HealthCheckIntervalSeconds: 10,
      HealthCheckPort: "8443",
      Matcher: { HttpCode: "200-299" },
      Tags: [],
    });
  });

  it("a lambda target group sends neither protocol, port nor VPC", () => {
    const tg = LoadBalancerForProvider.shape.targetGroups
      .unwrap()
      .element.parse({ name: "fn", targetType: "lambda" });
    const input = createTargetGroupInput(tg, "tg-fn", VPC, {});
    assert.deepEqual(input, { Name: "tg-fn", TargetType: "lambda", Tags: [] });
  });
});
