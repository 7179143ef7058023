import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Managed } from "../api/index.ts";
import { FakeClock } from "../clock.ts";
import type { Observation } from "../provider.ts";
import { PollSweeper } from "./sweeper.ts";

const mr = (name: string, group = "g1"): Managed => ({
  apiVersion: "v",
  kind: "K",
  metadata: { name, namespace: group, annotations: { "setpoint.dev/external-name": name } },
  spec: {
    providerConfigRef: { name: "default" },
    managementPolicies: ["*"],
    deletionPolicy: "Delete",
    forProvider: {},
  },
});

const inSync: Observation = {
  exists: true,
  drift: [],
  ready: { status: true, reason: "Available" },
};

function sweeper(
  opts: { batchSize?: number; maxPerTick?: number; fail?: boolean; lookupFails?: string } = {},
) {
  const clock = new FakeClock(0);
  const batches: { group: string; names: string[] }[] = [];
  const delivered: { key: string; observed: boolean }[] = [];
  const failed: string[] = [];
  const dueTimes = new Map<string, number>();
  const objects = new Map<string, Managed>();
  const s = new PollSweeper({
    clock,
    intervalMs: 1000,
    batchSize: opts.batchSize ?? 100,
    maxPerTick: opts.maxPerTick ?? 1000,
    lookup: async (key) => {
      if (key === opts.lookupFails) throw new Error('ProviderConfig "nope" not found');
      const m = objects.get(key);
      return m ? { mr: m, group: m.metadata.namespace ?? "" } : undefined;
    },
    observeBatch: async (group, mrs) => {
      if (opts.fail) throw new Error("throttled");
      batches.push({ group, names: mrs.map((m) => m.metadata.name) });
      return new Map(mrs.map((m) => [m.metadata.name, inSync]));
    },
    deliver: (key, observation, _mr, dueAt) => {
      delivered.push({ key, observed: observation !== undefined });
      if (dueAt !== undefined) dueTimes.set(key, dueAt);
    },
    failed: (keys) => failed.push(...keys),
    externalName: (m) => m.metadata.annotations?.["setpoint.dev/external-name"],
  });
  const add = (key: string, m: Managed, dueAt: number) => {
    objects.set(key, m);
    s.schedule(key, dueAt);
  };
  return { clock, s, add, batches, delivered, failed, objects, dueTimes };
}

describe("poll sweeper", () => {
  it("only resources that are due are observed, in one batch per group", async () => {
    const t = sweeper();
    t.add("a", mr("a", "g1"), 0);
    t.add("b", mr("b", "g1"), 0);
    t.add("c", mr("c", "g2"), 0);
    t.add("later", mr("later", "g1"), 5000);
    await t.s.sweep();
    assert.deepEqual(
      t.batches.sort((x, y) => x.group.localeCompare(y.group)),
      [
        { group: "g1", names: ["a", "b"] },
        { group: "g2", names: ["c"] },
      ],
    );
    assert.deepEqual(t.delivered.map((d) => d.key).sort(), ["a", "b", "c"]);
    assert.ok(t.delivered.every((d) => d.observed));
    assert.equal(t.s.size(), 1, "the resource not yet due stays scheduled");
  });

  it("a delivery carries when the poll was due, so the next one is not pushed back by the sweep tick", async () => {
    const t = sweeper();
    t.add("a", mr("a"), 1200);
    await t.clock.advance(4000);
    await t.s.sweep();
    assert.equal(t.dueTimes.get("a"), 1200);
  });

  it("a group larger than the batch size is split into batches", async () => {
    const t = sweeper({ batchSize: 2 });
    for (const n of ["a", "b", "c", "d", "e"]) t.add(n, mr(n), 0);
    await t.s.sweep();
    assert.deepEqual(
      t.batches.map((b) => b.names.length),
      [2, 2, 1],
    );
  });

  it("one tick observes at most maxPerTick resources, the most overdue first", async () => {
    const t = sweeper({ maxPerTick: 2 });
    t.add("newest", mr("newest"), 30);
    t.add("oldest", mr("oldest"), 10);
    t.add("middle", mr("middle"), 20);
    await t.clock.advance(100);
    await t.s.sweep();
    assert.deepEqual(t.batches[0]?.names, ["oldest", "middle"]);
    assert.equal(t.s.size(), 1);
  });

  it("a failed batch hands its resources back for a per-key retry", async () => {
    const t = sweeper({ fail: true });
    t.add("a", mr("a"), 0);
    t.add("b", mr("b"), 0);
    await t.s.sweep();
    assert.deepEqual(t.failed.sort(), ["a", "b"]);
    assert.equal(t.delivered.length, 0);
  });

  it("a resource deleted while scheduled is skipped", async () => {
    const t = sweeper();
    t.add("gone", mr("gone"), 0);
    t.objects.delete("gone");
    await t.s.sweep();
    assert.equal(t.batches.length, 0);
    assert.equal(t.delivered.length, 0);
  });

  it("a resource whose lookup fails is handed to the queue without an observation, not dropped", async () => {
    const t = sweeper({ lookupFails: "broken" });
    t.add("broken", mr("broken"), 0);
    t.add("fine", mr("fine"), 0);
    await t.s.sweep();
    assert.deepEqual(t.batches, [{ group: "g1", names: ["fine"] }]);
    assert.deepEqual(
      t.delivered.sort((a, b) => a.key.localeCompare(b.key)),
      [
        { key: "broken", observed: false },
        { key: "fine", observed: true },
      ],
    );
  });

  it("a cancelled resource is not observed", async () => {
    const t = sweeper();
    t.add("a", mr("a"), 0);
    t.s.cancel("a");
    await t.s.sweep();
    assert.equal(t.batches.length, 0);
  });

  it("the timer drives sweeps once started, and stops with stop()", async () => {
    const t = sweeper();
    t.add("a", mr("a"), 500);
    t.s.start();
    await t.clock.advance(1000);
    await t.clock.settle();
    assert.equal(t.batches.length, 1);
    await t.s.stop();
    t.add("b", mr("b"), 1500);
    await t.clock.advance(5000);
    assert.equal(t.batches.length, 1);
  });
});
