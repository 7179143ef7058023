import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { CoreV1Event } from "@kubernetes/client-node";
import type { Managed } from "../api/index.ts";
import { FakeClock } from "../clock.ts";
import {
  type EventSink,
  eventKey,
  eventName,
  KubeEventRecorder,
  SpamFilter,
  truncateMessage,
} from "./events.ts";
import type { KubeLogger } from "./log.ts";

function mr(name: string, uid = `uid-${name}`): Managed {
  return {
    apiVersion: "aws.setpoint.dev/v1alpha1",
    kind: "SqlInstance",
    metadata: { name, namespace: "team-a", uid, resourceVersion: "42" },
    spec: {
      providerConfigRef: { name: "default" },
      managementPolicies: ["*"],
      deletionPolicy: "Delete",
      forProvider: {},
    },
  };
}

class FakeSink implements EventSink {
  events = new Map<string, CoreV1Event>();
  calls: string[] = [];
  fail: unknown;

  async create(namespace: string, event: CoreV1Event): Promise<void> {
    this.calls.push(`create ${event.reason} count=${event.count}`);
    if (this.fail) throw this.fail;
    this.events.set(`${namespace}/${event.metadata.name}`, structuredClone(event));
  }

  async patch(
    namespace: string,
    name: string,
    patch: { count: number; lastTimestamp: string },
  ): Promise<void> {
    this.calls.push(`patch count=${patch.count}`);
    if (this.fail) throw this.fail;
    const e = this.events.get(`${namespace}/${name}`);
    if (!e) throw Object.assign(new Error("not found"), { code: 404 });
    e.count = patch.count;
    e.lastTimestamp = new Date(patch.lastTimestamp);
  }
}

function capture(): KubeLogger & { lines: string[] } {
  const lines: string[] = [];
  const push = (_o: object, msg: string) => lines.push(msg);
  return { lines, debug: push, info: push, warn: push, error: push };
}

describe("KubeEventRecorder", () => {
  test("the first event is created with the object reference and setpoint as reporter", async () => {
    const sink = new FakeSink();
    const rec = new KubeEventRecorder(sink, undefined, {
      clock: new FakeClock(1_700_000_000_000),
      instance: "pod-1",
    });
    rec.record(mr("db"), "Warning", "DriftDetected", "forProvider.allocatedStorage: 20 -> 30");
    await rec.flush();
    const [event] = [...sink.events.values()];
    assert.ok(event);
    assert.deepEqual(event.involvedObject, {
      apiVersion: "aws.setpoint.dev/v1alpha1",
      kind: "SqlInstance",
      name: "db",
      namespace: "team-a",
      uid: "uid-db",
      resourceVersion: "42",
    });
    assert.equal(event.type, "Warning");
    assert.equal(event.count, 1);
    assert.equal(event.reportingComponent, "setpoint");
    assert.equal(event.source?.component, "setpoint");
    assert.equal(event.metadata.namespace, "team-a");
  });

  test("repeats of the same object, reason and message bump count and lastTimestamp on one Event", async () => {
    const sink = new FakeSink();
    const clock = new FakeClock(1_700_000_000_000);
    const rec = new KubeEventRecorder(sink, undefined, { clock });
    rec.record(mr("db"), "Warning", "DriftDetected", "same");
    await rec.flush();
    await clock.advance(5_000);
    rec.record(mr("db"), "Warning", "DriftDetected", "same");
    await rec.flush();
    rec.record(mr("db"), "Warning", "DriftDetected", "same");
    await rec.flush();
    assert.equal(sink.events.size, 1);
    const [event] = [...sink.events.values()];
    assert.equal(event?.count, 3);
    assert.equal(event?.lastTimestamp?.getTime(), 1_700_000_005_000);
    assert.equal(rec.stats.aggregated, 2);
  });

  test("a burst of identical events costs one write carrying the final count", async () => {
    const sink = new FakeSink();
    const rec = new KubeEventRecorder(sink, undefined, { clock: new FakeClock(0) });
    for (let i = 0; i < 5; i++) rec.record(mr("db"), "Normal", "Synced", "ok");
    await rec.flush();
    assert.deepEqual(sink.calls, ["create Synced count=5"]);
    for (let i = 0; i < 3; i++) rec.record(mr("db"), "Normal", "Synced", "ok");
    await rec.flush();
    assert.deepEqual(sink.calls, ["create Synced count=5", "patch count=8"]);
  });

  test("a different message, reason or object is a different Event", async () => {
    const sink = new FakeSink();
    const rec = new KubeEventRecorder(sink, undefined, { clock: new FakeClock(0) });
    rec.record(mr("db"), "Normal", "A", "m1");
    rec.record(mr("db"), "Normal", "A", "m2");
    rec.record(mr("db"), "Normal", "B", "m1");
    rec.record(mr("other"), "Normal", "A", "m1");
    await rec.flush();
    assert.equal(sink.events.size, 4);
  });

  test("an aggregated Event that expired on the server is created again", async () => {
    const sink = new FakeSink();
    const rec = new KubeEventRecorder(sink, undefined, { clock: new FakeClock(0) });
    rec.record(mr("db"), "Normal", "A", "m");
    await rec.flush();
    sink.events.clear(); // the apiserver's event TTL ran out
    rec.record(mr("db"), "Normal", "A", "m");
    await rec.flush();
    assert.deepEqual(sink.calls, ["create A count=1", "patch count=2", "create A count=2"]);
    assert.equal(sink.events.size, 1);
  });

  test("record() never throws and a failing API is logged and dropped", async () => {
    const sink = new FakeSink();
    sink.fail = Object.assign(new Error("HTTP 500"), { code: 500 });
    const log = capture();
    const rec = new KubeEventRecorder(sink, log, { clock: new FakeClock(0) });
    assert.doesNotThrow(() => rec.record(mr("db"), "Normal", "A", "m"));
    await rec.flush();
    assert.equal(rec.stats.failed, 1);
    assert.ok(log.lines.some((l) => l.includes("could not write event")));
  });

  test("the spam filter drops events for one object past its burst, but not for other objects", async () => {
    const sink = new FakeSink();
    const rec = new KubeEventRecorder(sink, undefined, { clock: new FakeClock(0), spam: { burst: 3 } });
    for (let i = 0; i < 10; i++) rec.record(mr("noisy"), "Normal", "Step", `step ${i}`);
    rec.record(mr("quiet"), "Normal", "Step", "step 0");
    await rec.flush();
    assert.equal(rec.stats.dropped, 7);
    assert.equal(sink.events.size, 4);
  });
});

describe("event helpers", () => {
  test("the aggregation key separates object, type, reason and message", () => {
    const keys = new Set([
      eventKey(mr("a"), "Normal", "R", "m"),
      eventKey(mr("a"), "Warning", "R", "m"),
      eventKey(mr("a"), "Normal", "R2", "m"),
      eventKey(mr("a"), "Normal", "R", "m2"),
      eventKey(mr("b"), "Normal", "R", "m"),
    ]);
    assert.equal(keys.size, 5);
    assert.equal(eventKey(mr("a"), "Normal", "R", "m"), eventKey(mr("a"), "Normal", "R", "m"));
  });

  test("a token bucket refills at one event per refill period", () => {
    const f = new SpamFilter({ burst: 2, refillEveryMs: 1_000 });
    assert.deepEqual([f.allow("o", 0), f.allow("o", 0), f.allow("o", 0)], [true, true, false]);
    assert.equal(f.allow("o", 999), false);
    assert.equal(f.allow("o", 1_000), true);
  });

  test("event names are valid and unique per instant and draw", () => {
    const a = eventName("db", 1_700_000_000_000, 0.1);
    const b = eventName("db", 1_700_000_000_000, 0.2);
    assert.match(a, /^db\.[0-9a-f]+$/);
    assert.notEqual(a, b);
    assert.ok(eventName("x".repeat(300), 0, 0).length <= 253);
  });

  test("long messages are cut to 1024 characters", () => {
    assert.equal(truncateMessage("x".repeat(5000)).length, 1024);
    assert.equal(truncateMessage("short"), "short");
  });
});
