import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { deriveLoadBalancerName, isValidElbName, MAX_NAME_LENGTH, targetGroupAwsName } from "./names.ts";

const long = "a".repeat(63);

describe("deriveLoadBalancerName", () => {
  const cases: { name: string; ns: string; n: string; prefix?: string }[] = [
    { name: "a short namespace and name stay readable", ns: "team-a", n: "web", prefix: "team-a-web-" },
    { name: "names with dots become hyphens", ns: "default", n: "api.v2", prefix: "default-api-v2-" },
    { name: "a long namespace and name are cut to 32 characters", ns: long, n: long },
    {
      name: "a namespace starting with internal- gets a prefix AWS accepts",
      ns: "internal",
      n: "web",
      prefix: "lb-internal-web-",
    },
    { name: "a name ending in a hyphen at the cut is trimmed", ns: "abcdefghijklmnopqrstuv", n: "w-x" },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = deriveLoadBalancerName(c.ns, c.n);
      assert.ok(got.length <= MAX_NAME_LENGTH, `${got} is too long`);
      assert.ok(isValidElbName(got), `${got} is not a valid ELBv2 name`);
      if (c.prefix) assert.ok(got.startsWith(c.prefix), `${got} does not start with ${c.prefix}`);
    });
  }

  it("is deterministic", () => {
    assert.equal(deriveLoadBalancerName("team-a", "web"), deriveLoadBalancerName("team-a", "web"));
  });

  it("gives distinct names to inputs that read the same once joined", () => {
    const pairs: [string, string][] = [
      ["a-b", "c"],
      ["a", "b-c"],
      ["a", "b.c"],
      [long, `${long.slice(1)}x`],
      [long, `${long.slice(1)}y`],
    ];
    const names = pairs.map(([ns, n]) => deriveLoadBalancerName(ns, n));
    assert.equal(new Set(names).size, names.length, names.join(", "));
  });
});

describe("targetGroupAwsName", () => {
  const lb = deriveLoadBalancerName("team-a", "web-frontend");
  it("is valid, at most 32 characters, and keeps the local name readable", () => {
    const got = targetGroupAwsName(lb, "web");
    assert.ok(got.length <= MAX_NAME_LENGTH && isValidElbName(got), got);
    assert.match(got, /-web-[0-9a-f]{8}$/);
  });
  it("is deterministic, so a lost create is found by name", () => {
    assert.equal(targetGroupAwsName(lb, "web"), targetGroupAwsName(lb, "web"));
  });
  it("differs per local name and per load balancer, even when the joined text is equal", () => {
    const names = [
      targetGroupAwsName(lb, "web"),
      targetGroupAwsName(lb, "api"),
      targetGroupAwsName("a-b", "c"),
      targetGroupAwsName("a", "b-c"),
      targetGroupAwsName(lb, "a".repeat(32)),
      targetGroupAwsName(lb, `${"a".repeat(31)}b`),
    ];
    assert.equal(new Set(names).size, names.length, names.join(", "));
    for (const n of names) assert.ok(n.length <= MAX_NAME_LENGTH && isValidElbName(n), n);
  });
  it("stays valid for a 32-character user-chosen load balancer name", () => {
    const got = targetGroupAwsName("x".repeat(32), "backend-service-main");
    assert.ok(got.length <= MAX_NAME_LENGTH && isValidElbName(got), got);
  });
});
