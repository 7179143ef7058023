import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LoadBalancerForProvider } from "../../../apis/aws/v1alpha1/loadbalancer.ts";
import {
  atProviderFrom,
  compare,
  createListenerInput,
  createLoadBalancerInput,
  createTargetGroupInput,
  type DesiredContext,
  type ObservedLoadBalancer,
  observationFrom,
  observedListenerFrom,
  observedLoadBalancerFrom,
  observedTargetGroupFrom,
  readiness,
  specProblems,
  type UpdateOp,
} from "./mapping.ts";
import { targetGroupAwsName } from "./names.ts";

const UID = "uid-1";
const OWN = { "setpoint.dev/owner": "team-a/web", "setpoint.dev/uid": UID };
const FOREIGN = { "setpoint.dev/owner": "team-b/web", "setpoint.dev/uid": "uid-other" };
const LB_NAME = "team-a-web-12345678";
const VPC = "vpc-0a";

function spec(overrides: Record<string, unknown> = {}) {
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

const ctx = (tags: Record<string, string> = { team: "a" }): DesiredContext => ({
  tags: { ...tags, ...OWN },
  authoritativeTags: true,
  uid: UID,
});

const tgArn = (n: string) => `arn:tg/${n}`;
const listenerArn = (p: number) => `arn:listener/${p}`;

/** The cloud state that matches spec() exactly. */
function inSync(): ObservedLoadBalancer {
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

const kinds = (ops: UpdateOp[]) => ops.map((o) => o.kind);

describe("compare: drift paths and the update plan", () => {
  it("finds nothing to do when the cloud matches the spec", () => {
    const c = compare(spec(), inSync(), ctx());
    assert.deepEqual(c.drift, []);
    assert.deepEqual(c.ops, []);
    assert.deepEqual(c.blocked, []);
  });

  const cases: {
    name: string;
    spec?: Record<string, unknown>;
    mutate?: (o: ObservedLoadBalancer) => void;
    paths: string[];
    ops: UpdateOp["kind"][];
  }[] = [
    {
      name: "a changed attribute the spec sets is drift, fixed by ModifyLoadBalancerAttributes",
      mutate: (o) => {
        o.attributes!["idle_timeout.timeout_seconds"] = "60";
      },
      paths: ['forProvider.attributes["idle_timeout.timeout_seconds"]'],
      ops: ["ModifyLoadBalancerAttributes"],
    },
    {
      name: "attributes the spec does not set are ignored",
      mutate: (o) => {
        o.attributes!["deletion_protection.enabled"] = "true";
        o.attributes!["routing.http2.enabled"] = "false";
      },
      paths: [],
      ops: [],
    },
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
      name: "a missing listener is created",
      mutate: (o) => {
        o.listeners = o.listeners.filter((l) => l.port !== 80);
      },
      paths: ["forProvider.listeners[port=80]"],
      ops: ["CreateListener"],
    },
    {
      name: "a changed fixed-response status code is drift on the listener's action",
      mutate: (o) => {
        o.listeners[1]!.defaultAction.fixedResponse!.statusCode = "503";
      },
      paths: ["forProvider.listeners[port=80].defaultAction.fixedResponse.statusCode".replace("80", "8080")],
      ops: ["ModifyListener"],
    },
    {
      name: "a forward to another target group shows the local name of the observed one",
      mutate: (o) => {
        o.listeners[0]!.defaultAction.targetGroupArn = tgArn("api");
      },
      paths: ["forProvider.listeners[port=80].defaultAction.targetGroupName"],
      ops: ["ModifyListener"],
    },
    {
      name: "a listener switched to fixed-response out of band is drift on its action type",
      mutate: (o) => {
        o.listeners[0]!.defaultAction = { type: "fixed-response", fixedResponse: { statusCode: "200" } };
      },
      paths: ["forProvider.listeners[port=80].defaultAction.type"],
      ops: ["ModifyListener"],
    },
    {
      name: "an sslPolicy the spec does not set is not compared",
      mutate: (o) => {
        o.listeners[0]!.sslPolicy = "ELBSecurityPolicy-2016-08";
      },
      paths: [],
      ops: [],
    },
    {
      name: "an extra listener tagged with our uid is deleted",
      mutate: (o) => {
        o.listeners.push({
          port: 9000,
          arn: listenerArn(9000),
          protocol: "HTTP",
          defaultAction: {},
          tags: { ...OWN },
        });
      },
      paths: ["forProvider.listeners[port=9000]"],
      ops: ["DeleteListener"],
    },
    {
      name: "an extra listener without our uid is left alone and not reported",
      mutate: (o) => {
        o.listeners.push({
          port: 9000,
          arn: listenerArn(9000),
          protocol: "HTTP",
          defaultAction: {},
          tags: {},
        });
        o.listeners.push({
          port: 9001,
          arn: listenerArn(9001),
          protocol: "HTTP",
          defaultAction: {},
          tags: FOREIGN,
        });
      },
      paths: [],
      ops: [],
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
  ];
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

  it("marks a missing item as desired present, observed missing", () => {
    const o = inSync();
    o.listeners = [];
    const drift = compare(spec(), o, ctx()).drift;
    assert.deepEqual(drift[0], {
      path: "forProvider.listeners[port=80]",
      desired: "present",
      observed: "missing",
    });
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

describe("create inputs", () => {
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

  it("a listener forwards to the ARN of its named target group", () => {
    const l = spec().listeners![0]!;
    const input = createListenerInput(l, "arn:lb", new Map([["web", tgArn("web")]]), {});
    assert.deepEqual(input?.DefaultActions, [{ Type: "forward", TargetGroupArn: tgArn("web") }]);
    assert.equal(input?.Port, 80);
  });

  it("a listener whose target group has no ARN yet is not created", () => {
    const l = spec().listeners![0]!;
    assert.equal(createListenerInput(l, "arn:lb", new Map(), {}), undefined);
  });

  it("a fixed-response listener sends only the fields the spec gives", () => {
    const l = spec().listeners![1]!;
    const input = createListenerInput(l, "arn:lb", new Map(), {});
    assert.deepEqual(input?.DefaultActions, [
      { Type: "fixed-response", FixedResponseConfig: { StatusCode: "404", MessageBody: "nope" } },
    ]);
  });

  it("an HTTPS listener sends its certificate and policy", () => {
    const l = LoadBalancerForProvider.shape.listeners.unwrap().element.parse({
      port: 443,
      protocol: "HTTPS",
      certificateArn: "arn:cert",
      sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06",
      defaultAction: { type: "fixed-response", fixedResponse: { statusCode: "200" } },
    });
    const input = createListenerInput(l, "arn:lb", new Map(), {});
    assert.deepEqual(input?.Certificates, [{ CertificateArn: "arn:cert" }]);
    assert.equal(input?.SslPolicy, "ELBSecurityPolicy-TLS13-1-2-2021-06");
  });
});

describe("readiness", () => {
  const cases: { state: string | undefined; ready: boolean; reason: string; inProgress: boolean }[] = [
    { state: "provisioning", ready: false, reason: "Creating", inProgress: true },
    { state: "active", ready: true, reason: "Available", inProgress: false },
    { state: "active_impaired", ready: true, reason: "Available", inProgress: false },
    { state: "failed", ready: false, reason: "Unavailable", inProgress: false },
    { state: undefined, ready: false, reason: "Unavailable", inProgress: false },
  ];
  for (const c of cases) {
    it(`${c.state ?? "an unknown state"} means Ready=${c.ready} (${c.reason})`, () => {
      const got = readiness(c.state, "reason");
      assert.equal(got.ready.status, c.ready);
      assert.equal(got.ready.reason, c.reason);
      assert.equal(got.inProgress, c.inProgress);
    });
  }
});

describe("observation", () => {
  it("carries the ARN, DNS name, state, ownership and the dnsName connection detail", () => {
    const obs = observationFrom(spec(), inSync(), ctx());
    assert.equal(obs.exists, true);
    assert.equal(obs.upToDate, true);
    assert.deepEqual(obs.connectionDetails, { dnsName: "lb.example" });
    assert.deepEqual(obs.ownership, { owner: "team-a/web", uid: UID });
    assert.equal(obs.atProvider?.state, "active");
    assert.deepEqual(obs.atProvider?.listeners, [
      { port: 80, arn: listenerArn(80) },
      { port: 8080, arn: listenerArn(8080) },
    ]);
  });

  it("late-initializes the security groups AWS chose when the spec names none", () => {
    const o = inSync();
    o.securityGroups = ["sg-default"];
    const obs = observationFrom(spec({ securityGroups: undefined }), o, ctx());
    assert.deepEqual(obs.lateInit, { securityGroups: ["sg-default"] });
  });

  it("lists in atProvider only the target groups and listeners that are ours", () => {
    const o = inSync();
    o.targetGroups.push({ name: "old", awsName: "x", arn: tgArn("old"), healthCheck: {}, tags: { ...OWN } });
    o.targetGroups.push({
      name: "theirs",
      awsName: "y",
      arn: tgArn("theirs"),
      healthCheck: {},
      tags: FOREIGN,
    });
    o.listeners.push({ port: 9000, arn: listenerArn(9000), defaultAction: {}, tags: {} });
    const at = atProviderFrom(o, spec(), UID);
    assert.deepEqual(
      at.targetGroups?.map((t) => t.name),
      ["api", "old", "web"],
    );
    assert.deepEqual(
      at.listeners?.map((l) => l.port),
      [80, 8080],
    );
  });
});

describe("SDK shapes to observed state", () => {
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

  it("reads a forward given only as a ForwardConfig with one target group", () => {
    const l = observedListenerFrom({
      ListenerArn: "arn:l",
      Port: 80,
      Protocol: "HTTP",
      DefaultActions: [{ Type: "forward", ForwardConfig: { TargetGroups: [{ TargetGroupArn: "arn:tg" }] } }],
    });
    assert.deepEqual(l.defaultAction, { type: "forward", targetGroupArn: "arn:tg" });
  });

  it("reads the last action of a chain that starts with authentication", () => {
    const l = observedListenerFrom({
      ListenerArn: "arn:l",
      Port: 443,
      DefaultActions: [
        { Type: "fixed-response", Order: 2, FixedResponseConfig: { StatusCode: "200" } },
        { Type: "authenticate-oidc", Order: 1 },
      ],
      Certificates: [{ CertificateArn: "arn:c" }],
    });
    assert.equal(l.defaultAction.type, "fixed-response");
    assert.equal(l.certificateArn, "arn:c");
  });

  it("reads health check fields and the matcher", () => {
    const tg = observedTargetGroupFrom(
      { TargetGroupArn: "arn:tg", TargetGroupName: "n", HealthCheckPath: "/h", Matcher: { HttpCode: "200" } },
      "web",
    );
    assert.deepEqual(tg.healthCheck, { path: "/h", matcher: "200" });
    assert.equal(tg.name, "web");
  });
});

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
