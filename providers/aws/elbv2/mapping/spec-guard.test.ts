import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { spec } from "./fixtures.test-util.ts";
import { specProblems } from "./spec-guard.ts";

describe("specProblems mirrors the CEL rules", () => {
  const cases: { name: string; spec: Record<string, unknown>; problem?: RegExp }[] = [
    { name: "a valid spec has none", spec: {} },
    {
      name: "security groups on a network load balancer",
      spec: { type: "network", listeners: [] },
      problem: /securityGroups are supported only for application/,
    },
    {
      name: "a forward to an unknown target group",
      spec: {
        listeners: [
          { port: 80, protocol: "HTTP", defaultAction: { type: "forward", targetGroupName: "nope" } },
        ],
      },
      problem: /unknown target group "nope"/,
    },
    {
      name: "a TCP listener on an application load balancer",
      spec: {
        listeners: [
          { port: 80, protocol: "TCP", defaultAction: { type: "forward", targetGroupName: "web" } },
        ],
      },
      problem: /HTTP and HTTPS listeners only/,
    },
    {
      name: "a fixed response on a network load balancer",
      spec: {
        type: "network",
        securityGroups: undefined,
        listeners: [
          {
            port: 80,
            protocol: "TCP",
            defaultAction: { type: "fixed-response", fixedResponse: { statusCode: "200" } },
          },
        ],
      },
      problem: /fixed-response actions are supported only by application/,
    },
    {
      name: "an HTTPS listener without a certificate",
      spec: {
        listeners: [
          { port: 443, protocol: "HTTPS", defaultAction: { type: "forward", targetGroupName: "web" } },
        ],
      },
      problem: /HTTPS needs certificateArn/,
    },
    {
      name: "a forward action that also has a fixed response",
      spec: {
        listeners: [
          {
            port: 80,
            protocol: "HTTP",
            defaultAction: { type: "forward", targetGroupName: "web", fixedResponse: { statusCode: "200" } },
          },
        ],
      },
      problem: /forward action needs targetGroupName \(only\)/,
    },
    {
      name: "a non-lambda target group without a port",
      spec: { targetGroups: [{ name: "web", protocol: "HTTP" }], listeners: [] },
      problem: /protocol and port are required/,
    },
    {
      name: "a lambda target group with a port",
      spec: { targetGroups: [{ name: "fn", targetType: "lambda", port: 80 }], listeners: [] },
      problem: /must be left out for lambda/,
    },
  ];

  for (const c of cases) {
    it(c.name, () => {
      const problems = specProblems(spec(c.spec));
      if (c.problem)
        assert.ok(
          problems.some((p) => c.problem!.test(p)),
          problems.join("; "),
        );
      else assert.deepEqual(problems, []);
    });
  }
});
