import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compare } from "./compare.ts";
import { ctx, inSync, itFindsDrift, kinds, LB_NAME, OWN, spec, UID } from "./fixtures.test-util.ts";
import { createLoadBalancerInput, observedLoadBalancerFrom } from "./load-balancer.ts";

describe("the load balancer's own fields and tags", () => {
  itFindsDrift([
    {
      name: "a changed tag value is drift on forProvider.tags",
      mutate: (o) => {
        o.tags.team = "b";
      },
      paths: ['forProvider.tags["team"]'],
      ops: ["AddTags"],
    },
    {
      name: "an extra tag is removed when the spec gives tags",
      mutate: (o) => {
        o.tags.extra = "x";
      },
      paths: ['forProvider.tags["extra"]'],
      ops: ["RemoveTags"],
    },
    {
      name: "different subnets are one drift on forProvider.subnets",
      mutate: (o) => {
        o.subnets = ["subnet-01", "subnet-03"];
      },
      paths: ["forProvider.subnets"],
      ops: ["SetSubnets"],
    },
    {
      name: "subnets in another order are not drift",
      mutate: (o) => {
        o.subnets = ["subnet-01", "subnet-02"];
      },
      paths: [],
      ops: [],
    },
    {
      name: "different security groups are drift on forProvider.securityGroups",
      mutate: (o) => {
        o.securityGroups = ["sg-09"];
      },
      paths: ["forProvider.securityGroups"],
      ops: ["SetSecurityGroups"],
    },
    {
      name: "security groups left out of the spec are not compared",
      spec: { securityGroups: undefined },
      mutate: (o) => {
        o.securityGroups = ["sg-default"];
      },
      paths: [],
      ops: [],
    },
    {
      name: "a changed ip address type is fixed by SetIpAddressType",
      mutate: (o) => {
        o.ipAddressType = "dualstack";
      },
      paths: ["forProvider.ipAddressType"],
      ops: ["SetIpAddressType"],
    },
  ]);

  it("blocks a scheme that differs, and still plans the fixable rest", () => {
    const o = inSync();
    o.scheme = "internal";
    o.tags.team = "b";
    const c = compare(spec(), o, ctx());
    assert.equal(c.blocked[0]?.code, "ImmutableFieldChanged");
    assert.deepEqual(kinds(c.ops), ["AddTags"]);
  });

  it("keeps extra tags when the user gave no tags", () => {
    const o = inSync();
    o.tags.extra = "x";
    const c = compare(spec({ tags: undefined }), o, { ...ctx({}), authoritativeTags: false });
    assert.ok(!c.drift.some((d) => d.path === 'forProvider.tags["extra"]'));
  });
});

describe("the load balancer's create input", () => {
  it("a load balancer gets the external name, the spec's settings and the owner tags", () => {
    const input = createLoadBalancerInput(spec(), LB_NAME, { team: "a", ...OWN });
    assert.deepEqual(input, {
      Name: LB_NAME,
      Type: "application",
      Scheme: "internet-facing",
      IpAddressType: "ipv4",
      Subnets: ["subnet-01", "subnet-02"],
      SecurityGroups: ["sg-01"],
      Tags: [
        { Key: "setpoint.dev/owner", Value: "team-a/web" },
        { Key: "setpoint.dev/uid", Value: UID },
        { Key: "team", Value: "a" },
      ],
    });
  });

  it("a network load balancer never sends security groups", () => {
    const s = spec({ type: "network", securityGroups: undefined, listeners: [] });
    assert.equal(createLoadBalancerInput(s, LB_NAME, {}).SecurityGroups, undefined);
  });
});

describe("the load balancer's SDK shape", () => {
  it("reads subnets from availability zones and the state code", () => {
    const o = observedLoadBalancerFrom(
      {
        LoadBalancerArn: "arn:lb",
        LoadBalancerName: "n",
        State: { Code: "provisioning" },
        AvailabilityZones: [
          { ZoneName: "a", SubnetId: "subnet-1" },
          { ZoneName: "b", SubnetId: "subnet-2" },
        ],
        SecurityGroups: ["sg-1"],
        Type: "application",
      },
      {},
    );
    assert.deepEqual(o.subnets, ["subnet-1", "subnet-2"]);
    assert.equal(o.state, "provisioning");
  });
});
