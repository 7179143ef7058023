import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compare } from "./compare.ts";
import { ctx, inSync, kinds, listenerArn, OWN, spec } from "./fixtures.test-util.ts";

describe("compare: the parts joined into one drift list and one ordered plan", () => {
  it("finds nothing to do when the cloud matches the spec", () => {
    const c = compare(spec(), inSync(), ctx());
    assert.deepEqual(c.drift, []);
    assert.deepEqual(c.ops, []);
    assert.deepEqual(c.blocked, []);
  });

  it("reports desired and observed values, sorted for lists", () => {
    const o = inSync();
    o.subnets = ["subnet-09", "subnet-01"];
    o.targetGroups[0]!.healthCheck.path = "/other";
    const drift = compare(spec(), o, ctx()).drift;
    assert.deepEqual(drift, [
      {
        path: "forProvider.subnets",
        desired: ["subnet-01", "subnet-02"],
        observed: ["subnet-01", "subnet-09"],
      },
      {
        path: "forProvider.targetGroups[name=web].healthCheck.path",
        desired: "/healthz",
        observed: "/other",
      },
    ]);
  });

  it("orders a renamed target group: create the new one, repoint the listener, then delete the old one", () => {
    const s = spec({
      targetGroups: [{ name: "web2", protocol: "HTTP", port: 80, targetType: "ip" }],
      listeners: [
        { port: 80, protocol: "HTTP", defaultAction: { type: "forward", targetGroupName: "web2" } },
      ],
    });
    const o = inSync();
    o.targetGroups = o.targetGroups.filter((t) => t.name === "web");
    o.listeners = [...o.listeners.filter((l) => l.port === 80)];
    o.listeners.push({
      port: 8080,
      arn: listenerArn(8080),
      protocol: "HTTP",
      defaultAction: {},
      tags: { ...OWN },
    });
    const { ops } = compare(s, o, ctx());
    assert.deepEqual(kinds(ops), [
      "DeleteListener",
      "CreateTargetGroup",
      "ModifyListener",
      "DeleteTargetGroup",
    ]);
  });

  it("puts load balancer changes first, and listener deletes before target group creates", () => {
    const o = inSync();
    o.subnets = ["subnet-01"];
    o.listeners.push({
      port: 9000,
      arn: listenerArn(9000),
      protocol: "HTTP",
      defaultAction: {},
      tags: { ...OWN },
    });
    o.targetGroups = o.targetGroups.filter((t) => t.name !== "api");
    o.listeners = o.listeners.filter((l) => l.port !== 80);
    const { ops } = compare(spec(), o, ctx());
    assert.deepEqual(kinds(ops), ["SetSubnets", "DeleteListener", "CreateTargetGroup", "CreateListener"]);
  });
});
