import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LoadBalancerForProvider } from "../../../../apis/aws/v1alpha1/loadbalancer.ts";
import { compare } from "./compare.ts";
import { ctx, FOREIGN, inSync, itFindsDrift, listenerArn, OWN, spec, tgArn } from "./fixtures.test-util.ts";
import { createListenerInput, observedListenerFrom } from "./listeners.ts";

describe("listeners, matched by port", () => {
  itFindsDrift([
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
  ]);

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
});

describe("the listener's create input", () => {
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

describe("the listener's SDK shape", () => {
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
});
