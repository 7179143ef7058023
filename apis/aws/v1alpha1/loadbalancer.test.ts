import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { z } from "zod";
import { LoadBalancerForProvider, LoadBalancerKind } from "./loadbalancer.ts";

const minimal = { subnets: ["subnet-01", "subnet-02"] };

describe("LoadBalancer forProvider schema", () => {
  it("defaults type, scheme and ip address type", () => {
    const fp = LoadBalancerForProvider.parse(minimal);
    assert.equal(fp.type, "application");
    assert.equal(fp.scheme, "internet-facing");
    assert.equal(fp.ipAddressType, "ipv4");
  });

  it("defaults a target group's targetType to instance", () => {
    const fp = LoadBalancerForProvider.parse({
      ...minimal,
      targetGroups: [{ name: "web", protocol: "HTTP", port: 80 }],
    });
    assert.equal(fp.targetGroups?.[0]?.targetType, "instance");
  });

  const rejected: { name: string; value: Record<string, unknown> }[] = [
    { name: "no subnets", value: { subnets: [] } },
    { name: "a subnet that is not a subnet ID", value: { subnets: ["sn-1"] } },
    { name: "an unknown load balancer type", value: { ...minimal, type: "gateway" } },
    { name: "an unknown scheme", value: { ...minimal, scheme: "public" } },
    {
      name: "more than five security groups",
      value: { ...minimal, securityGroups: ["sg-1", "sg-2", "sg-3", "sg-4", "sg-5", "sg-6"] },
    },
    {
      name: "a listener port of 0",
      value: {
        ...minimal,
        listeners: [{ port: 0, protocol: "HTTP", defaultAction: { type: "forward", targetGroupName: "a" } }],
      },
    },
    {
      name: "an unknown action type",
      value: { ...minimal, listeners: [{ port: 80, protocol: "HTTP", defaultAction: { type: "redirect" } }] },
    },
    {
      name: "a status code outside 2XX-5XX",
      value: {
        ...minimal,
        listeners: [
          {
            port: 80,
            protocol: "HTTP",
            defaultAction: { type: "fixed-response", fixedResponse: { statusCode: "600" } },
          },
        ],
      },
    },
    {
      name: "a target group name with an underscore",
      value: { ...minimal, targetGroups: [{ name: "my_tg", protocol: "HTTP", port: 80 }] },
    },
    {
      name: "a target group name longer than 32",
      value: { ...minimal, targetGroups: [{ name: "a".repeat(33), protocol: "HTTP", port: 80 }] },
    },
    {
      name: "a health check interval below 5 seconds",
      value: {
        ...minimal,
        targetGroups: [{ name: "a", protocol: "HTTP", port: 80, healthCheck: { intervalSeconds: 1 } }],
      },
    },
    {
      name: "a health check path without a leading slash",
      value: {
        ...minimal,
        targetGroups: [{ name: "a", protocol: "HTTP", port: 80, healthCheck: { path: "health" } }],
      },
    },
    {
      name: "a matcher that is not an HTTP code list",
      value: {
        ...minimal,
        targetGroups: [{ name: "a", protocol: "HTTP", port: 80, healthCheck: { matcher: "ok" } }],
      },
    },
    {
      name: "a non-integer port",
      value: { ...minimal, targetGroups: [{ name: "a", protocol: "HTTP", port: 80.5 }] },
    },
  ];
  for (const c of rejected) {
    it(`rejects ${c.name}`, () => {
      assert.equal(LoadBalancerForProvider.safeParse(c.value).success, false);
    });
  }

  it("accepts matchers such as 200, 200-299 and 200,202", () => {
    for (const matcher of ["200", "200-299", "200,202"]) {
      const v = {
        ...minimal,
        targetGroups: [{ name: "a", protocol: "HTTP", port: 80, healthCheck: { matcher } }],
      };
      assert.equal(LoadBalancerForProvider.safeParse(v).success, true, matcher);
    }
  });
});

describe("LoadBalancer CRD schema", () => {
  const json = JSON.stringify(z.toJSONSchema(LoadBalancerKind.spec, { io: "input" }));
  const forProvider = z.toJSONSchema(LoadBalancerForProvider, { io: "input" }) as unknown as {
    properties: Record<string, Record<string, unknown>>;
    "x-kubernetes-validations": { rule: string; message: string }[];
  };

  it("is structural: no unions and no untyped values", () => {
    assert.ok(!/"(anyOf|oneOf|allOf|not)"/.test(json), "union keywords found");
    assert.ok(!json.includes("{}"), "an empty (untyped) schema was found");
  });

  it("keys target groups by name and listeners by port", () => {
    assert.equal(forProvider.properties.targetGroups?.["x-kubernetes-list-type"], "map");
    assert.deepEqual(forProvider.properties.targetGroups?.["x-kubernetes-list-map-keys"], ["name"]);
    assert.deepEqual(forProvider.properties.listeners?.["x-kubernetes-list-map-keys"], ["port"]);
  });

  it("makes scheme and type immutable through CEL", () => {
    for (const f of ["scheme", "type"]) {
      const rules = forProvider.properties[f]?.["x-kubernetes-validations"] as { rule: string }[];
      assert.deepEqual(
        rules.map((r) => r.rule),
        ["self == oldSelf"],
        f,
      );
    }
  });

  it("rejects security groups on network load balancers through CEL, with a clear message", () => {
    const rule = forProvider["x-kubernetes-validations"].find((r) => r.rule.includes("securityGroups"));
    assert.equal(rule?.message, "securityGroups are supported only for application load balancers");
  });

  it("checks through CEL that a forward names a target group of this resource", () => {
    assert.ok(
      forProvider["x-kubernetes-validations"].some((r) =>
        r.rule.includes("self.targetGroups.exists(t, t.name == l.defaultAction.targetGroupName)"),
      ),
    );
  });

  it("describes every field", () => {
    const missing: string[] = [];
    const walk = (s: Record<string, unknown>, path: string) => {
      const props = s.properties as Record<string, Record<string, unknown>> | undefined;
      for (const [k, v] of Object.entries(props ?? {})) {
        if (typeof v.description !== "string") missing.push(`${path}.${k}`);
        walk(v, `${path}.${k}`);
        const items = v.items as Record<string, unknown> | undefined;
        if (items) walk(items, `${path}.${k}[]`);
      }
    };
    walk(forProvider as unknown as Record<string, unknown>, "forProvider");
    assert.deepEqual(missing, []);
  });

  it("bounds every string, so the API server can estimate the cost of the CEL rules", () => {
    const unbounded: string[] = [];
    const walk = (s: Record<string, unknown>, path: string) => {
      if (s.type === "string" && typeof s.maxLength !== "number") unbounded.push(path);
      for (const [k, v] of Object.entries((s.properties as Record<string, Record<string, unknown>>) ?? {})) {
        walk(v, `${path}.${k}`);
      }
      if (s.items) walk(s.items as Record<string, unknown>, `${path}[]`);
      if (typeof s.additionalProperties === "object")
        walk(s.additionalProperties as Record<string, unknown>, `${path}{}`);
    };
    walk(forProvider as unknown as Record<string, unknown>, "forProvider");
    assert.deepEqual(unbounded, []);
  });

  it("uses a short name unlikely to collide", () => {
    assert.deepEqual(LoadBalancerKind.shortNames, ["splb"]);
  });
});
