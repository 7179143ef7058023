import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { LoadBalancer } from "@aws-sdk/client-elastic-load-balancing-v2";
import { FakeElb } from "./fake.test-helper.ts";
import { LIST_PAGE_SIZE, loadBalancersByName, primaryAndDuplicates } from "./load-balancers-by-name.ts";

describe("loadBalancersByName", () => {
  it("finds every holder of each name across pages, and nothing for names no one holds", async () => {
    const fake = new FakeElb();
    for (let i = 0; i < LIST_PAGE_SIZE + 10; i++) fake.addLoadBalancer(`other-${i}`, {});
    fake.addLoadBalancer("web", {});
    fake.addLoadBalancer("web", {});
    const found = await loadBalancersByName(fake, ["web", "gone"]);
    assert.equal(found.get("web")?.length, 2);
    assert.equal(found.has("gone"), false);
    assert.equal(fake.count("describeLoadBalancers"), 2, "two pages");
  });

  it("stops with an error when the pages come round again, instead of listing forever", async () => {
    const fake = new FakeElb();
    fake.addLoadBalancer("web", {});
    const looping = Object.assign(Object.create(fake) as FakeElb, {
      describeLoadBalancers: async () => ({
        LoadBalancers: [...fake.lbs.values()],
        NextMarker: "web",
        $metadata: {},
      }),
    });
    await assert.rejects(loadBalancersByName(looping, ["web"]), /marker web twice/);
  });

  it("makes no call for no names", async () => {
    const fake = new FakeElb();
    assert.equal((await loadBalancersByName(fake, [])).size, 0);
    assert.equal(fake.calls.length, 0);
  });
});

describe("primaryAndDuplicates", () => {
  const lb = (arn: string, created?: string): LoadBalancer => ({
    LoadBalancerArn: arn,
    ...(created ? { CreatedTime: new Date(created) } : {}),
  });
  const cases: { name: string; lbs: LoadBalancer[]; recorded?: string; primary: string }[] = [
    { name: "a single holder is the resource", lbs: [lb("a")], primary: "a" },
    {
      name: "the one status recorded wins over an older one",
      lbs: [lb("old", "2024-01-01"), lb("recorded", "2024-02-01")],
      recorded: "recorded",
      primary: "recorded",
    },
    {
      name: "without a record the oldest wins, since a re-sent create comes later",
      lbs: [lb("new", "2024-02-01"), lb("old", "2024-01-01")],
      primary: "old",
    },
    {
      name: "a record that no longer exists falls back to the oldest",
      lbs: [lb("new", "2024-02-01"), lb("old", "2024-01-01")],
      recorded: "deleted",
      primary: "old",
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const { primary, duplicates } = primaryAndDuplicates(c.lbs, c.recorded);
      assert.equal(primary.LoadBalancerArn, c.primary);
      assert.equal(duplicates.length, c.lbs.length - 1);
    });
  }
});
