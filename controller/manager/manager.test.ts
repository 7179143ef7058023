// The manager's decisions, with a fake clock and in-memory Kubernetes: when a
// key is reconciled, polled through the sweeper, retried, requeued after a
// provider's delay, fanned out from a config change, or left alone after a
// finished deletion. The same paths against a real API server are in
// test/e2e/engine.test.ts.
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { describe, it } from "node:test";
import { pino } from "pino";
import { z } from "zod";
import {
  MemoryProvider,
  type WidgetAtProvider,
  WidgetKind,
  type WidgetSpec,
} from "../../test/support/memory-provider.ts";
import type { Managed } from "../api/managed.ts";
import { FINALIZER } from "../api/metadata.ts";
import { defineRegistry, registerKind } from "../api/registration.ts";
import { type ConfigKindDefinition, readTenancy } from "../api/tenancy.ts";
import { FakeClock } from "../clock.ts";
import { Metrics } from "../ops/metrics.ts";
import { type Provider, RetryAfterError } from "../provider.ts";
import { FakeKube } from "./fake-kube.test-util.ts";
import { keyOf } from "./keys.ts";
import { Manager, type ManagerOptions } from "./manager.ts";

const START = Date.parse("2026-01-01T00:00:00Z");
const POLL = { steadyMs: 60_000, convergingMs: 10_000, minMs: 1000 };

function widget(name: string, config = "default"): Managed {
  return {
    apiVersion: "test.setpoint.dev/v1alpha1",
    kind: "Widget",
    metadata: { name, namespace: "team-a", uid: `uid-${name}`, generation: 1 },
    spec: {
      providerConfigRef: { name: config },
      managementPolicies: ["*"],
      deletionPolicy: "Delete",
      forProvider: { size: 1, color: "blue" },
    },
  };
}

function setup(options: Partial<ManagerOptions> = {}) {
  const clock = new FakeClock(START);
  const kube = new FakeKube();
  const provider = new MemoryProvider();
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(l));
      done();
    },
  });
  const metrics = new Metrics({ processMetrics: false });
  const manager = new Manager({
    kube,
    kinds: [registerKind(WidgetKind, provider)],
    log: pino({ level: "debug" }, sink),
    clock,
    metrics,
    poll: POLL,
    sweep: { intervalMs: 5000 },
    ...options,
  });
  const widgets = () => kube.source<Managed>("widgets");
  /** The watch catches up with the server: every stored object is delivered, every deleted one removed. */
  const sync = () => {
    for (const obj of kube.server.objects.values()) widgets().put(obj);
    for (const cached of widgets().list()) {
      if (!kube.server.objects.has(`Widget/${cached.metadata.namespace}/${cached.metadata.name}`))
        widgets().remove(cached);
    }
  };
  const stored = (name: string) => kube.server.objects.get(`Widget/team-a/${name}`);
  const warnings = () => lines.filter((l) => (l.level as number) >= 40);
  /** Creates a widget, reconciles it to Ready, and lets the watch catch up. */
  const ready = async (name: string, config?: string) => {
    widgets().put(kube.server.create(widget(name, config)));
    await clock.settle();
    sync();
    await clock.advance(POLL.convergingMs * 1.2);
    sync();
    assert.equal(stored(name)?.status?.conditions?.find((c) => c.type === "Ready")?.status, "True");
  };
  return {
    clock,
    kube,
    provider,
    cloud: provider.cloud,
    manager,
    metrics,
    widgets,
    sync,
    stored,
    warnings,
    ready,
    lines,
  };
}

describe("manager", () => {
  it("reconciles a new resource once caches are synced, to Ready", async () => {
    const h = setup();
    await h.manager.start();
    await h.ready("w1");
    assert.ok(h.stored("w1")?.metadata.finalizers?.includes(FINALIZER));
    assert.equal(h.cloud.items.get("team-a-w1")?.size, 1);
    await h.manager.stop();
  });

  it("polls a steady resource through the sweeper, with no worker and no status write", async () => {
    const h = setup();
    await h.manager.start();
    await h.ready("w1");
    const writes = h.kube.server.writes;
    await h.clock.advance(3 * POLL.steadyMs);
    assert.ok((await h.metrics.total("setpoint_reconcile_total", { result: "steady" })) >= 2);
    assert.ok(h.cloud.calls.observeMany >= 2, "the polls were batched observations");
    assert.equal(h.kube.server.writes, writes);
    await h.manager.stop();
  });

  it("does not act on the stale cached copy of a resource whose deletion it finished, and logs no failure", async () => {
    const h = setup();
    await h.manager.start();
    await h.ready("w1");
    h.widgets().put(h.kube.server.requestDeletion(h.stored("w1")!)!);
    await h.clock.settle();
    assert.equal(h.stored("w1"), undefined, "the finalizer was released and the object is gone");
    const observed = h.cloud.calls.observe + h.cloud.calls.observeMany;
    // The watch has not reported the deletion yet: the cache still holds the
    // copy with the finalizer. Anything that adds the key now (a sweep, an
    // event) must not start the deletion again.
    h.manager.queue.add(keyOf("Widget", widget("w1")));
    await h.clock.advance(POLL.convergingMs);
    assert.equal(h.cloud.calls.observe + h.cloud.calls.observeMany, observed);
    assert.equal(h.kube.events.filter((e) => e.reason === "DeletedExternalResource").length, 1);
    assert.deepEqual(h.warnings(), []);
    h.sync();
    assert.equal(h.widgets().size, 0);
    await h.manager.stop();
  });

  it("ends quietly when the resource was deleted before its finalizer could be added", async () => {
    const h = setup();
    await h.manager.start();
    // In the cache, but already gone from the server (deleted without finalizers).
    h.widgets().put(widget("w1"));
    await h.clock.settle();
    assert.equal(h.cloud.totalCalls(), 0);
    assert.deepEqual(h.warnings(), []);
    assert.ok(
      h.lines.some((l) => l.decision === "gone"),
      "the debug line says why it stopped",
    );
    await h.manager.stop();
  });

  it("requeues after exactly the delay a provider asks for, without growing its backoff", async () => {
    const h = setup();
    await h.manager.start();
    h.cloud.failNext("create", new RetryAfterError("not visible yet", 30));
    h.widgets().put(h.kube.server.create(widget("w1")));
    await h.clock.settle();
    const key = keyOf("Widget", widget("w1"));
    assert.equal(h.manager.queue.scheduledAt(key), START + 30_000);
    assert.equal(h.manager.queue.retries(key), 0);
    assert.equal(await h.metrics.total("setpoint_reconcile_total", { result: "retry-after" }), 1);
    await h.manager.stop();
  });

  it("retries a transient error with a backoff that grows", async () => {
    const h = setup();
    await h.manager.start();
    h.cloud.failNext("create", new Error("throttled"));
    h.cloud.failNext("create", new Error("throttled"));
    h.widgets().put(h.kube.server.create(widget("w1")));
    await h.clock.settle();
    const key = keyOf("Widget", widget("w1"));
    assert.equal(h.manager.queue.retries(key), 1);
    const first = h.manager.queue.scheduledAt(key)! - h.clock.now();
    await h.clock.advance(first);
    assert.equal(h.manager.queue.retries(key), 2);
    const second = h.manager.queue.scheduledAt(key)! - h.clock.now();
    assert.ok(second > first, `the second wait (${second}ms) is longer than the first (${first}ms)`);
    await h.clock.advance(second);
    assert.equal(h.cloud.items.size, 1, "the third try creates it");
    assert.equal(h.manager.queue.retries(key), 0, "a success forgets the backoff");
    await h.manager.stop();
  });

  it("waits for the Lease before working, and stops acting when it is lost", async () => {
    let lost = 0;
    const h = setup({ leaderElection: { enabled: true }, onLostLeadership: () => lost++ });
    await h.manager.start();
    h.widgets().put(h.kube.server.create(widget("w1")));
    await h.clock.settle();
    assert.equal(h.cloud.totalCalls(), 0, "no work before leading");
    assert.deepEqual(
      [h.kube.elector?.spec.namespace, h.kube.elector?.spec.name],
      ["default", "setpoint-controller"],
    );
    h.kube.elector!.spec.onStartedLeading();
    await h.clock.settle();
    assert.equal(h.cloud.calls.create, 1);
    h.kube.elector!.spec.onStoppedLeading();
    assert.equal(lost, 1);
    await h.manager.stop();
    assert.ok(h.kube.elector?.stopped);
  });
});

/** A config kind for the fan-out tests, read with the engine's tenancy fields. */
const ConfigKind: ConfigKindDefinition = {
  group: "test.setpoint.dev",
  version: "v1alpha1",
  kind: "TestConfig",
  plural: "testconfigs",
  singular: "testconfig",
  scope: "Cluster",
  managed: false,
  description: "A config kind for the fan-out tests.",
  spec: z.object({}),
  status: z.object({}),
  tenancy: (obj) => readTenancy(obj.spec),
};

describe("the ProviderConfig fan-out", () => {
  it("reconciles exactly the resources that name a changed config, and serves configs from the cache", async () => {
    const memory = new MemoryProvider();
    const connected: string[] = [];
    const provider: Provider<WidgetSpec, WidgetAtProvider> = {
      deriveExternalName: (namespace, name) => memory.deriveExternalName(namespace, name),
      async connect(mr, ctx) {
        connected.push(mr.metadata.name);
        const config = mr.spec.providerConfigRef.name;
        await ctx.kube.getClusterObject("test.setpoint.dev/v1alpha1", "TestConfig", "testconfigs", config);
        return memory.connect();
      },
    };
    const registry = defineRegistry({
      providerConfig: ConfigKind,
      kinds: [registerKind(WidgetKind, provider)],
    });
    const h = setup({ kinds: registry.kinds });
    await h.manager.start();
    await h.ready("w1", "a");
    await h.ready("w2", "b");
    connected.length = 0;
    h.kube.source<{ metadata: { name: string } }>("testconfigs").put({ metadata: { name: "a" } });
    await h.clock.settle();
    assert.deepEqual(connected, ["w1"]);
    assert.equal(h.kube.clusterReads, 0, "configs come from the watch cache, not the API");
    await h.manager.stop();
  });
});

describe("the namespace fan-out", () => {
  const selective = {
    metadata: { name: "default" },
    spec: { namespaceSelector: { matchLabels: { "setpoint.dev/tenant": "yes" } } },
  };

  it("makes no cloud call for a namespace outside the selector, and reconciles it once its labels match", async () => {
    const memory = new MemoryProvider();
    let connects = 0;
    const provider: Provider<WidgetSpec, WidgetAtProvider> = {
      deriveExternalName: (namespace, name) => memory.deriveExternalName(namespace, name),
      async connect() {
        connects++;
        return memory.connect();
      },
    };
    const registry = defineRegistry({
      providerConfig: ConfigKind,
      kinds: [registerKind(WidgetKind, provider)],
    });
    const h = setup({ kinds: registry.kinds });
    h.kube.source<typeof selective>("testconfigs").put(selective);
    const namespaces = h.kube.source<{ metadata: { name: string; labels?: Record<string, string> } }>(
      "namespaces",
    );
    namespaces.put({ metadata: { name: "team-a" } });
    await h.manager.start();
    h.widgets().put(h.kube.server.create(widget("w1")));
    await h.clock.settle();
    const synced = h.stored("w1")?.status?.conditions?.find((c) => c.type === "Synced");
    assert.equal(synced?.reason, "ReconcileTerminal");
    assert.match(
      synced?.message ?? "",
      /NamespaceNotAllowed: namespace "team-a" may not use TestConfig "default"/,
    );
    assert.match(synced?.message ?? "", /spec\.namespaceSelector/);
    assert.equal(connects, 0, "no connect, so no cloud call");
    assert.equal(h.stored("w1")?.metadata.finalizers, undefined, "not even a finalizer");

    namespaces.put({ metadata: { name: "team-a", labels: { "setpoint.dev/tenant": "yes" } } });
    await h.clock.settle();
    h.sync();
    assert.ok(connects > 0, "the new labels were a reason to reconcile at once");
    assert.equal(memory.cloud.items.get("team-a-w1")?.size, 1);
    await h.manager.stop();
  });
});
