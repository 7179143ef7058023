// The manager's pure parts, one decision per table: keys, dispatch of
// outcomes, our writes over the cache, swept observations waiting for their
// worker, and who uses a config.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { KindDefinition } from "../api/kind.ts";
import type { Managed } from "../api/managed.ts";
import type { KindRegistration } from "../api/registration.ts";
import { FakeClock } from "../clock.ts";
import type { Observation } from "../provider.ts";
import { StepError } from "../reconciler/steps.ts";
import { usersOf } from "./config-fanout.ts";
import { applyNextStep, type NextStep, nextStep } from "./dispatch.ts";
import { cacheKeyOf, decodeKey, encodeKey, keyOf, type ResourceKey } from "./keys.ts";
import { PrefetchedObservations } from "./steady-poll.ts";
import { newerOrSame, WrittenObjects } from "./written.ts";

function mr(name: string, rv = "1", extra: Partial<Managed["spec"]> = {}): Managed {
  return {
    apiVersion: "test.setpoint.dev/v1alpha1",
    kind: "Widget",
    metadata: { name, namespace: "ns", resourceVersion: rv },
    spec: {
      providerConfigRef: { name: "default" },
      managementPolicies: ["*"],
      deletionPolicy: "Delete",
      forProvider: {},
      ...extra,
    },
  };
}

describe("queue keys", () => {
  it("read back the kind, namespace and name they were made of", () => {
    const key = keyOf("Widget", mr("w1"));
    assert.equal(key, "Widget/ns/w1");
    assert.deepEqual(decodeKey(key), { kind: "Widget", namespace: "ns", name: "w1" });
  });

  it("keep a cluster-scoped object's empty namespace, and file it in the cache by name alone", () => {
    const parts = { kind: "TestConfig", namespace: "", name: "a" };
    assert.deepEqual(decodeKey(encodeKey(parts)), parts);
    assert.equal(cacheKeyOf(parts), "a");
    assert.equal(cacheKeyOf({ kind: "Widget", namespace: "ns", name: "w" }), "ns/w");
  });
});

describe("dispatch: where a key goes after its reconcile", () => {
  const ctx = (over: Partial<Parameters<typeof nextStep>[1]> = {}) => ({
    mr: mr("w"),
    batched: true,
    now: 1000,
    poll: { steadyMs: 60_000, convergingMs: 10_000, minMs: 1000 },
    terminalRetryMs: 300_000,
    random: () => 0.5,
    ...over,
  });
  const error = new StepError("create", new Error("x"));
  const cases: { name: string; outcome: Parameters<typeof nextStep>[0]; ctx?: object; expect: NextStep }[] = [
    {
      name: "a steady resource of a batched kind polls through the sweeper",
      outcome: { kind: "poll", ready: true, inProgress: false },
      expect: { to: "sweeper", dueAt: 61_000 },
    },
    {
      name: "a steady resource of a kind without batching polls through the queue",
      outcome: { kind: "poll", ready: true, inProgress: false },
      ctx: { batched: false },
      expect: { to: "later", delayMs: 60_000 },
    },
    {
      name: "spec.pollInterval sets the steady interval",
      outcome: { kind: "poll", ready: true, inProgress: false },
      ctx: { batched: false, mr: mr("w", "1", { pollInterval: "2m" }) },
      expect: { to: "later", delayMs: 120_000 },
    },
    {
      name: "a converging resource polls at the converging interval",
      outcome: { kind: "poll", ready: false, inProgress: true },
      expect: { to: "later", delayMs: 10_000 },
    },
    { name: "a transient error backs off", outcome: { kind: "retry", error }, expect: { to: "backoff" } },
    {
      name: "a provider's retry-after waits exactly its delay",
      outcome: { kind: "retry-after", delayMs: 7000, error },
      expect: { to: "later", delayMs: 7000 },
    },
    {
      name: "a terminal error waits the terminal retry interval",
      outcome: { kind: "terminal", error },
      expect: { to: "later", delayMs: 300_000 },
    },
    { name: "a finished key goes nowhere", outcome: { kind: "done" }, expect: { to: "nowhere" } },
  ];
  for (const c of cases) {
    it(c.name, () => assert.deepEqual(nextStep(c.outcome, ctx(c.ctx)), c.expect));
  }

  const applied: { step: NextStep; calls: string[] }[] = [
    { step: { to: "sweeper", dueAt: 5 }, calls: ["forget", "schedule 5"] },
    { step: { to: "later", delayMs: 7 }, calls: ["cancelSweep", "forget", "addAfter 7"] },
    { step: { to: "backoff" }, calls: ["cancelSweep", "addRateLimited"] },
    { step: { to: "nowhere" }, calls: ["cancelSweep", "forget"] },
  ];
  for (const a of applied) {
    it(`"${a.step.to}" ${a.calls.includes("forget") ? "resets" : "keeps"} the backoff and ${a.step.to === "sweeper" ? "keeps" : "cancels"} any sweep`, () => {
      const calls: string[] = [];
      applyNextStep("k", a.step, {
        forget: () => calls.push("forget"),
        addAfter: (_k, ms) => calls.push(`addAfter ${ms}`),
        addRateLimited: () => calls.push("addRateLimited"),
        schedule: (_k, at) => calls.push(`schedule ${at}`),
        cancelSweep: () => calls.push("cancelSweep"),
      });
      assert.deepEqual(calls, a.calls);
    });
  }
});

describe("our writes over the watch cache", () => {
  const key = "Widget/ns/w" as ResourceKey;
  it("serve our newer write until the cache catches up, then the cache", () => {
    const written = new WrittenObjects();
    written.remember(key, mr("w", "5"));
    assert.equal(written.current(key, mr("w", "4"))?.metadata.resourceVersion, "5");
    assert.equal(written.current(key, mr("w", "6"))?.metadata.resourceVersion, "6");
    assert.equal(written.size, 0, "caught up: nothing kept");
  });

  it("serve nothing once the object has left the cache", () => {
    const written = new WrittenObjects();
    written.remember(key, mr("w", "5"));
    assert.equal(written.current(key, undefined), undefined);
  });

  it("treat resourceVersions that are not integers as newer", () => {
    assert.equal(newerOrSame("10", "9"), true);
    assert.equal(newerOrSame("9", "10"), false);
    assert.equal(newerOrSame("abc", "10"), true);
    assert.equal(newerOrSame(undefined, "10"), true);
  });
});

describe("swept observations waiting for their worker", () => {
  const key = "Widget/ns/w" as ResourceKey;
  const obs: Observation = { exists: true, drift: [], ready: { status: true, reason: "Available" } };
  const cases: { name: string; age: number; rv: string; used: boolean }[] = [
    { name: "a fresh one for the same version is used", age: 1000, rv: "1", used: true },
    { name: "one older than ten seconds is not trusted", age: 10_001, rv: "1", used: false },
    { name: "one made for an older version of the object is not used", age: 0, rv: "2", used: false },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const clock = new FakeClock();
      const waiting = new PrefetchedObservations(clock, 10_000);
      waiting.put(key, obs, mr("w", "1"));
      await clock.advance(c.age);
      assert.equal(waiting.take(key, mr("w", c.rv)), c.used ? obs : undefined);
      assert.equal(waiting.take(key, mr("w", c.rv)), undefined, "each is used at most once");
    });
  }
});

describe("who uses a config", () => {
  const config = { group: "g", plural: "configs" } as KindDefinition;
  const reg = (kind: string, configKind?: KindDefinition) =>
    ({ def: { kind }, provider: {}, ...(configKind ? { configKind } : {}) }) as unknown as KindRegistration;
  it("is every resource of a kind that uses the config kind and names it, the default name included", () => {
    const users = usersOf(config, "default", [
      {
        reg: reg("Widget", config),
        list: () => [mr("a"), mr("b", "1", { providerConfigRef: { name: "other" } })],
      },
      { reg: reg("Gadget"), list: () => [mr("c")] },
    ]);
    assert.deepEqual(users, ["Widget/ns/a"]);
  });
});
