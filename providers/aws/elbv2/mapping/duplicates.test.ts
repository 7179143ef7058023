import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compare } from "./compare.ts";
import { ctx, FOREIGN, inSync, kinds, listenerArn, OWN, spec } from "./fixtures.test-util.ts";

describe("duplicates: a second load balancer of the name, or a second listener on a port", () => {
  it("plans to delete a duplicate load balancer carrying our uid before anything else", () => {
    const o = inSync();
    o.duplicates = [{ arn: "arn:lb-2", tags: { ...OWN } }];
    o.subnets = ["subnet-01"];
    const c = compare(spec(), o, ctx());
    assert.deepEqual(c.drift[0], { path: "(duplicates)", desired: [], observed: ["arn:lb-2"] });
    assert.deepEqual(kinds(c.ops), ["DeleteDuplicateLoadBalancer", "SetSubnets"]);
    assert.deepEqual(c.blocked, []);
  });

  it("reports a duplicate load balancer that is not ours, and never plans to delete it", () => {
    for (const tags of [FOREIGN, {}, undefined]) {
      const o = inSync();
      o.duplicates = [{ arn: "arn:lb-2", ...(tags ? { tags } : {}) }];
      const c = compare(spec(), o, ctx());
      assert.deepEqual(kinds(c.ops), []);
      assert.equal(c.blocked[0]?.code, "ForeignOwner");
      assert.match(c.blocked[0]?.message ?? "", /arn:lb-2/);
    }
  });

  it("keeps the first listener on a port and deletes a second one carrying our uid", () => {
    const o = inSync();
    o.listeners.push({ ...o.listeners[0]!, arn: listenerArn(81), tags: { ...OWN } });
    const c = compare(spec(), o, ctx());
    assert.deepEqual(c.drift, [
      { path: "forProvider.listeners[port=80].(duplicates)", desired: [], observed: [listenerArn(81)] },
    ]);
    assert.deepEqual(c.ops, [{ kind: "DeleteListener", port: 80, arn: listenerArn(81) }]);
  });

  it("leaves a second listener on a port alone when it is not ours", () => {
    const o = inSync();
    o.listeners.push({ ...o.listeners[0]!, arn: listenerArn(81), tags: FOREIGN });
    const c = compare(spec(), o, ctx());
    assert.deepEqual(c.ops, []);
    assert.equal(c.blocked[0]?.code, "ForeignOwner");
  });
});
