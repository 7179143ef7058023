import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { HealthCheck } from "../../../../apis/aws/v1alpha1/loadbalancer.ts";
import { itFindsDrift } from "./fixtures.test-util.ts";
import {
  compareHealthCheck,
  HEALTH_CHECK_FIELDS,
  healthCheckInput,
  observedHealthCheckFrom,
} from "./health-check.ts";
import { observedTargetGroupFrom } from "./target-groups.ts";

describe("health checks", () => {
  itFindsDrift([
    {
      name: "a changed health check path is drift on the target group's healthCheck",
      mutate: (o) => {
        o.targetGroups[0]!.healthCheck.path = "/other";
      },
      paths: ["forProvider.targetGroups[name=web].healthCheck.path"],
      ops: ["ModifyTargetGroup"],
    },
    {
      name: "health check fields the spec leaves out are not compared",
      mutate: (o) => {
        o.targetGroups[0]!.healthCheck.intervalSeconds = 10;
        o.targetGroups[1]!.healthCheck.path = "/x";
      },
      paths: [],
      ops: [],
    },
  ]);

  it("reads health check fields and the matcher", () => {
    const tg = observedTargetGroupFrom(
      { TargetGroupArn: "arn:tg", TargetGroupName: "n", HealthCheckPath: "/h", Matcher: { HttpCode: "200" } },
      "web",
    );
    assert.deepEqual(tg.healthCheck, { path: "/h", matcher: "200" });
    assert.equal(tg.name, "web");
  });

  it("reads every field back from the SDK field it is sent in, and compares it as equal", () => {
    const full: HealthCheck = {
      enabled: true,
      protocol: "HTTPS",
      port: "8443",
      path: "/ready",
      intervalSeconds: 15,
      timeoutSeconds: 5,
      healthyThresholdCount: 3,
      unhealthyThresholdCount: 4,
      matcher: "200-299",
    };
    const observed = observedHealthCheckFrom(healthCheckInput(full));
    assert.deepEqual(observed, full);
    assert.deepEqual(compareHealthCheck(full, observed, "p"), []);
    assert.equal(HEALTH_CHECK_FIELDS.length, Object.keys(full).length, "the fixture sets every field");
  });
});
