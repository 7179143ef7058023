import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { FakeClock } from "../clock.ts";
import type { CloudCallKey } from "../provider.ts";
import { budgetKey, CloudBudget, DEFAULT_FALLBACK_LIMITS } from "./cloud-budget.ts";

/** Defaults as two providers would declare them (theirs are tested beside them). */
const DEFAULTS = {
  rds: { burst: 100, ratePerSecond: 10 },
  elbv2: { burst: 20, ratePerSecond: 8 },
};

const rds: CloudCallKey = {
  account: "111122223333",
  region: "us-east-1",
  service: "rds",
  operation: "DescribeDBInstances",
};

/** Starts a take() and reports whether it has been granted yet. */
function start(budget: CloudBudget, key: CloudCallKey) {
  const state = { granted: false };
  const done = budget.take(key).then(() => {
    state.granted = true;
  });
  return { state, done };
}

async function exhaust(budget: CloudBudget, key: CloudCallKey, clock: FakeClock) {
  const { burst } = budget.limitsFor(key.service);
  await Promise.all(Array.from({ length: burst }, () => budget.take(key)));
  await clock.settle();
  assert.ok(budget.available(key) < 1, "the bucket should be empty");
}

describe("CloudBudget", () => {
  test("once a bucket is empty, the next call waits for the refill", async () => {
    const clock = new FakeClock();
    const budget = new CloudBudget({ clock, defaults: DEFAULTS });
    await exhaust(budget, rds, clock);
    const next = start(budget, rds);
    await clock.advance(99);
    assert.equal(next.state.granted, false);
    await clock.advance(1); // rds refills at 10/s
    assert.equal(next.state.granted, true);
  });

  const neighbours: { name: string; key: CloudCallKey }[] = [
    { name: "another account", key: { ...rds, account: "444455556666" } },
    { name: "another region", key: { ...rds, region: "eu-west-1" } },
    { name: "another service", key: { ...rds, service: "elbv2", operation: "DescribeLoadBalancers" } },
  ];
  for (const { name, key } of neighbours) {
    test(`an exhausted rds bucket does not hold back a call for ${name}`, async () => {
      const clock = new FakeClock();
      const budget = new CloudBudget({ clock, defaults: DEFAULTS });
      await exhaust(budget, rds, clock);
      const blocked = start(budget, rds);
      const other = start(budget, key);
      await clock.settle();
      assert.equal(other.state.granted, true);
      assert.equal(blocked.state.granted, false);
    });
  }

  test("different operations of one service share its bucket", async () => {
    const clock = new FakeClock();
    const budget = new CloudBudget({ clock, defaults: DEFAULTS });
    await exhaust(budget, rds, clock);
    const modify = start(budget, { ...rds, operation: "ModifyDBInstance" });
    await clock.settle();
    assert.equal(modify.state.granted, false);
    await clock.advance(100);
    assert.equal(modify.state.granted, true);
  });

  test("overrides replace defaults field by field, and unknown services use the fallback", () => {
    const budget = new CloudBudget({
      defaults: DEFAULTS,
      limits: { rds: { burst: 50 }, ec2: { ratePerSecond: 2 } },
      fallback: { burst: 3, ratePerSecond: 1 },
    });
    assert.deepEqual(budget.limitsFor("rds"), { burst: 50, ratePerSecond: 10 });
    assert.deepEqual(budget.limitsFor("elbv2"), DEFAULTS.elbv2);
    assert.deepEqual(budget.limitsFor("ec2"), { burst: 3, ratePerSecond: 2 });
    assert.deepEqual(budget.limitsFor("sts"), { burst: 3, ratePerSecond: 1 });
    assert.deepEqual(new CloudBudget().limitsFor("sts"), DEFAULT_FALLBACK_LIMITS);
  });

  const badOverrides: { name: string; limits: Record<string, { burst?: number; ratePerSecond?: number }> }[] =
    [
      { name: "a zero rate", limits: { rds: { ratePerSecond: 0 } } },
      { name: "a burst below one", limits: { elbv2: { burst: 0 } } },
      { name: "a negative rate for a new service", limits: { ec2: { ratePerSecond: -1 } } },
    ];
  for (const { name, limits } of badOverrides) {
    test(`an override with ${name} is refused at construction`, () => {
      assert.throws(() => new CloudBudget({ limits }), RangeError);
    });
  }

  test("onCall hears each granted call once, with its key and how long it waited", async () => {
    const clock = new FakeClock();
    const calls: string[] = [];
    const budget = new CloudBudget({
      clock,
      limits: { rds: { burst: 1, ratePerSecond: 4 } },
      onCall: (key, waited) => calls.push(`${key.operation} waited ${waited}`),
    });
    void budget.take(rds);
    void budget.take({ ...rds, operation: "ModifyDBInstance" });
    await clock.advance(1000);
    assert.deepEqual(calls, ["DescribeDBInstances waited 0", "ModifyDBInstance waited 250"]);
  });

  test("a throwing onCall hook does not fail the call", async () => {
    const budget = new CloudBudget({
      clock: new FakeClock(),
      defaults: DEFAULTS,
      onCall: () => {
        throw new Error("metrics broke");
      },
    });
    await budget.take(rds);
    assert.ok(budget.available(rds) < DEFAULTS.rds.burst);
  });

  test("the budget key names account, region and service, not the operation", () => {
    assert.equal(budgetKey(rds), "111122223333/us-east-1/rds");
    assert.equal(
      budgetKey({ account: "secret:team-a/aws-creds", region: "eu-west-1", service: "elbv2" }),
      "secret:team-a/aws-creds/eu-west-1/elbv2",
    );
  });
});
