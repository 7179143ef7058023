// Shared fixtures for the ELBv2 mapping's unit tests: a spec, the cloud
// state that matches it exactly, and a runner for tables of drift cases.
import assert from "node:assert/strict";
import { it } from "node:test";
import { LoadBalancerForProvider } from "../../../../apis/aws/v1alpha1/loadbalancer.ts";
import { targetGroupAwsName } from "../names.ts";
import { compare } from "./compare.ts";
import type { ObservedLoadBalancer } from "./load-balancer.ts";
import type { DesiredContext, UpdateOp } from "./plan.ts";

export const UID = "uid-1";
export const OWN = { "setpoint.dev/owner": "team-a/web", "setpoint.dev/uid": UID };
export const FOREIGN = { "setpoint.dev/owner": "team-b/web", "setpoint.dev/uid": "uid-other" };
export const LB_NAME = "team-a-web-12345678";
export const VPC = "vpc-0a";

export function spec(overrides: Record<string, unknown> = {}) {
  return LoadBalancerForProvider.parse({
    subnets: ["subnet-01", "subnet-02"],
    securityGroups: ["sg-01"],
    attributes: { "idle_timeout.timeout_seconds": "120" },
    tags: { team: "a" },
    targetGroups: [
      {
        name: "web",
        protocol: "HTTP",
        port: 80,
        targetType: "ip",
        healthCheck: { path: "/healthz", matcher: "200" },
      },
      { name: "api", protocol: "HTTP", port: 8080 },
    ],
    listeners: [
      { port: 80, protocol: "HTTP", defaultAction: { type: "forward", targetGroupName: "web" } },
      {
        port: 8080,
        protocol: "HTTP",
        defaultAction: { type: "fixed-response", fixedResponse: { statusCode: "404", messageBody: "nope" } },
      },
    ],
    ...overrides,
  });
}

export const ctx = (tags: Record<string, string> = { team: "a" }): DesiredContext => ({
  tags: { ...tags, ...OWN },
  authoritativeTags: true,
  uid: UID,
});

export const tgArn = (n: string) => `arn:tg/${n}`;
export const listenerArn = (p: number) => `arn:listener/${p}`;

/** The cloud state that matches spec() exactly. */
export function inSync(): ObservedLoadBalancer {
  return {
    arn: "arn:lb",
    name: LB_NAME,
    dnsName: "lb.example",
    canonicalHostedZoneId: "Z1",
    vpcId: VPC,
    state: "active",
    type: "application",
    scheme: "internet-facing",
    ipAddressType: "ipv4",
    subnets: ["subnet-02", "subnet-01"],
    securityGroups: ["sg-01"],
    tags: { team: "a", ...OWN },
    attributes: { "idle_timeout.timeout_seconds": "120", "deletion_protection.enabled": "false" },
    targetGroups: [
      {
        name: "web",
        awsName: targetGroupAwsName(LB_NAME, "web"),
        arn: tgArn("web"),
        protocol: "HTTP",
        port: 80,
        targetType: "ip",
        vpcId: VPC,
        healthCheck: { path: "/healthz", matcher: "200", intervalSeconds: 30, protocol: "HTTP" },
        tags: { team: "a", ...OWN },
      },
      {
        name: "api",
        awsName: targetGroupAwsName(LB_NAME, "api"),
        arn: tgArn("api"),
        protocol: "HTTP",
        port: 8080,
        targetType: "instance",
        vpcId: VPC,
        healthCheck: { path: "/" },
        tags: { team: "a", ...OWN },
      },
    ],
    listeners: [
      {
        port: 80,
        arn: listenerArn(80),
        protocol: "HTTP",
        defaultAction: { type: "forward", targetGroupArn: tgArn("web") },
      },
      {
        port: 8080,
        arn: listenerArn(8080),
        protocol: "HTTP",
        sslPolicy: "ELBSecurityPolicy-2016-08",
        defaultAction: { type: "fixed-response", fixedResponse: { statusCode: "404", messageBody: "nope" } },
      },
    ],
  };
}

export const kinds = (ops: UpdateOp[]) => ops.map((o) => o.kind);

/** One drift case: spec() and inSync() with a change, and what compare() must find and plan. */
export interface DriftCase {
  name: string;
  spec?: Record<string, unknown>;
  mutate?: (o: ObservedLoadBalancer) => void;
  paths: string[];
  ops: UpdateOp["kind"][];
}

/** One test per case: the drift paths and the kinds of calls planned, and nothing blocked. */
export function itFindsDrift(cases: readonly DriftCase[]): void {
  for (const c of cases) {
    it(c.name, () => {
      const observed = inSync();
      c.mutate?.(observed);
      const got = compare(spec(c.spec), observed, ctx());
      assert.deepEqual(
        got.drift.map((d) => d.path),
        c.paths,
      );
      assert.deepEqual(kinds(got.ops), c.ops);
      assert.deepEqual(got.blocked, []);
    });
  }
}
