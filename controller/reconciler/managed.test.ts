// Decisions of the managed reconciler, against the in-memory provider and
// in-memory Kubernetes ports. The real kube-apiserver path is covered by
// test/e2e/engine.test.ts.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  MemoryProvider,
  type WidgetAtProvider,
  WidgetKind,
  type WidgetSpec,
} from "../../test/support/memory-provider.ts";
import { Annotations, FINALIZER, type Managed, type ManagedStatus, Tags } from "../api/index.ts";
import { type Observation, type Provider, RetryAfterError, TerminalError } from "../provider.ts";
import { getCondition } from "./conditions.ts";
import { EventReason, ManagedReconciler, type ReconcileOutcome, type ReconcilerLog } from "./managed.ts";
import {
  type ConnectionSecretWriter,
  type EventRecorder,
  type ManagedStore,
  ObjectGoneError,
  type TenancySource,
} from "./ports.ts";
import { FailureReason, Step } from "./steps.ts";

class InMemoryStore implements ManagedStore {
  statusWrites = 0;
  current: Managed | undefined;
  async patchMetadata(
    mr: Managed,
    patch: { annotations?: Record<string, string | null>; finalizers?: string[] },
  ) {
    const annotations = { ...mr.metadata.annotations };
    for (const [k, v] of Object.entries(patch.annotations ?? {})) {
      if (v === null) delete annotations[k];
      else annotations[k] = v;
    }
    this.current = {
      ...mr,
      metadata: { ...mr.metadata, annotations, finalizers: patch.finalizers ?? mr.metadata.finalizers },
    };
    return this.current;
  }
  async patchForProvider(mr: Managed, values: Record<string, unknown>) {
    this.current = {
      ...mr,
      metadata: { ...mr.metadata, generation: (mr.metadata.generation ?? 1) + 1 },
      spec: { ...mr.spec, forProvider: { ...(mr.spec.forProvider as object), ...values } },
    };
    return this.current;
  }
  async writeStatus(mr: Managed, status: ManagedStatus<unknown>) {
    this.statusWrites++;
    this.current = { ...mr, status: structuredClone(status) };
    return this.current;
  }
}

class RecordedEvents implements EventRecorder {
  readonly list: { type: string; reason: string; message: string }[] = [];
  record(_mr: Managed, type: string, reason: string, message: string) {
    this.list.push({ type, reason, message });
  }
  reasons() {
    return this.list.map((e) => e.reason);
  }
}

class RecordedLog implements ReconcilerLog {
  readonly lines: { level: string; msg: string; fields: Record<string, unknown> }[] = [];
  info(fields: object, msg: string) {
    this.lines.push({ level: "info", msg, fields: fields as Record<string, unknown> });
  }
  warn(fields: object, msg: string) {
    this.lines.push({ level: "warn", msg, fields: fields as Record<string, unknown> });
  }
  debug(fields: object, msg: string) {
    this.lines.push({ level: "debug", msg, fields: fields as Record<string, unknown> });
  }
  at(level: string) {
    return this.lines.filter((l) => l.level === level);
  }
}

class RecordedSecrets implements ConnectionSecretWriter {
  readonly written: Record<string, string>[] = [];
  async write(_mr: Managed, details: Record<string, string>) {
    this.written.push(details);
  }
}

function widget(overrides: Partial<WidgetSpec> = {}, spec: Partial<Managed["spec"]> = {}): Managed {
  return {
    apiVersion: "test.setpoint.dev/v1alpha1",
    kind: "Widget",
    metadata: { name: "w1", namespace: "team-a", uid: "uid-1", generation: 1, annotations: {} },
    spec: {
      providerConfigRef: { name: "default" },
      managementPolicies: ["*"],
      deletionPolicy: "Delete",
      forProvider: { size: 1, color: "blue", ...overrides },
      ...spec,
    },
  };
}

function harness(opts: { tenancy?: TenancySource } = {}) {
  const provider = new MemoryProvider();
  const store = new InMemoryStore();
  const events = new RecordedEvents();
  const secrets = new RecordedSecrets();
  const logs = new RecordedLog();
  let clock = Date.parse("2026-01-01T00:00:00Z");
  const reconciler = new ManagedReconciler({
    kind: WidgetKind,
    provider,
    store,
    events,
    connectionSecrets: secrets,
    connectContext: { kube: undefined as never },
    now: () => clock,
    log: logs,
    ...(opts.tenancy ? { tenancy: opts.tenancy } : {}),
  });
  /** Reconciles the latest stored version of the object, as the controller would. */
  const run = async (mr?: Managed): Promise<ReconcileOutcome> => {
    const target = mr ?? store.current;
    assert.ok(target, "nothing to reconcile");
    store.current = target;
    return reconciler.reconcile(structuredClone(target));
  };
  const tick = (ms: number) => {
    clock += ms;
  };
  const condition = (type: string) => getCondition(store.current?.status?.conditions, type);
  return { provider, cloud: provider.cloud, store, events, secrets, logs, run, tick, condition };
}

/** Switches a created widget to Observe-only, as a user editing the spec would. */
async function observeOnly(h: ReturnType<typeof harness>) {
  const mr = structuredClone(h.store.current!);
  mr.spec.managementPolicies = ["Observe"];
  mr.metadata.generation = (mr.metadata.generation ?? 1) + 1;
  await h.run(mr);
  assert.equal(h.store.current?.status?.observedGeneration, mr.metadata.generation);
  h.events.list.length = 0;
}

/** Creates the widget and returns the harness with it Ready and in sync. */
async function created(overrides: Partial<WidgetSpec> = {}, spec: Partial<Managed["spec"]> = {}) {
  const h = harness();
  await h.run(widget(overrides, spec));
  await h.run();
  assert.equal(h.condition("Ready")?.status, "True");
  h.events.list.length = 0;
  return h;
}

describe("managed reconciler", () => {
  it("a new resource gets the finalizer, a derived external name, and is created", async () => {
    const h = harness();
    const outcome = await h.run(widget());
    assert.deepEqual(outcome, { kind: "poll", ready: false, inProgress: true });
    const mr = h.store.current!;
    assert.ok(mr.metadata.finalizers?.includes(FINALIZER));
    assert.equal(mr.metadata.annotations?.[Annotations.externalName], "team-a-w1");
    assert.equal(mr.metadata.annotations?.[Annotations.externalNameDerived], "true");
    assert.ok(mr.metadata.annotations?.[Annotations.externalCreateSucceeded]);
    assert.equal(h.cloud.items.get("team-a-w1")?.tags[Tags.uid], "uid-1");
    assert.deepEqual(h.events.reasons(), [EventReason.CreatedExternalResource]);
    assert.equal(h.condition("Ready")?.reason, "Creating");
  });

  it("the next observation makes a created resource Ready, Synced and not Drifted", async () => {
    const h = harness();
    await h.run(widget());
    const outcome = await h.run();
    assert.deepEqual(outcome, { kind: "poll", ready: true, inProgress: false });
    assert.equal(h.condition("Ready")?.status, "True");
    assert.equal(h.condition("Synced")?.reason, "ReconcileSuccess");
    assert.equal(h.condition("Drifted")?.status, "False");
    assert.equal(h.store.current?.status?.observedGeneration, 1);
  });

  it("a resource in sync causes no status write on the next poll", async () => {
    const h = await created();
    const writes = h.store.statusWrites;
    h.tick(60_000);
    await h.run();
    await h.run();
    assert.equal(h.store.statusWrites, writes);
    assert.equal(h.cloud.calls.update, 0);
  });

  it("out-of-band drift is reported as Drifted, corrected, counted and recorded in history", async () => {
    const h = await created({ size: 2 });
    h.cloud.items.get("team-a-w1")!.size = 7;
    const transitions: string[] = [];
    const write = h.store.writeStatus.bind(h.store);
    h.store.writeStatus = async (mr, status) => {
      transitions.push(status.conditions?.find((c) => c.type === "Drifted")?.status ?? "?");
      return write(mr, status);
    };
    await h.run();
    assert.deepEqual(transitions, ["True", "False"], "Drifted=True is written before the correction");
    assert.equal(h.cloud.items.get("team-a-w1")?.size, 2);
    const drift = h.store.current?.status?.drift;
    assert.equal(drift?.corrections, 1);
    assert.deepEqual(drift?.fields, []);
    assert.deepEqual(drift?.history[0]?.fields, ["forProvider.size"]);
    assert.equal(drift?.history[0]?.action, "Corrected");
    assert.deepEqual(h.events.reasons(), [EventReason.DriftDetected, EventReason.DriftCorrected]);
    assert.match(h.events.list[0]!.message, /forProvider\.size \(desired 2, observed 7\)/);
    assert.equal(h.condition("Drifted")?.reason, "DriftCorrected");
  });

  it("a spec change is applied as an update, not counted as drift", async () => {
    const h = await created({ size: 2 });
    const mr = structuredClone(h.store.current!);
    mr.spec.forProvider = { ...(mr.spec.forProvider as WidgetSpec), size: 5 };
    mr.metadata.generation = 2;
    await h.run(mr);
    assert.equal(h.cloud.items.get("team-a-w1")?.size, 5);
    assert.equal(h.store.current?.status?.drift?.corrections, 0);
    assert.deepEqual(h.events.reasons(), [EventReason.UpdatedExternalResource]);
    assert.equal(h.store.current?.status?.observedGeneration, 2);
  });

  it("Observe mode reports drift, never mutates, and reports it once", async () => {
    const h = await created({ size: 2 });
    await observeOnly(h);
    h.cloud.items.get("team-a-w1")!.size = 9;
    await h.run();
    await h.run();
    assert.equal(h.cloud.items.get("team-a-w1")?.size, 9);
    assert.equal(h.cloud.calls.update, 0);
    assert.equal(h.condition("Drifted")?.status, "True");
    assert.deepEqual(h.store.current?.status?.drift?.fields, [
      { path: "forProvider.size", desired: "2", observed: "9" },
    ]);
    assert.deepEqual(h.events.reasons(), [EventReason.DriftDetected]);
    assert.equal(h.store.current?.status?.drift?.history.length, 1);
  });

  it("Observe mode never creates a missing resource", async () => {
    const h = harness();
    await h.run(widget({}, { managementPolicies: ["Observe"] }));
    assert.equal(h.cloud.calls.create, 0);
    assert.equal(h.condition("Ready")?.reason, "Unavailable");
  });

  it("a resource deleted out of band is recreated and counted", async () => {
    const h = await created();
    h.cloud.items.delete("team-a-w1");
    await h.run();
    assert.ok(h.cloud.items.has("team-a-w1"));
    assert.equal(h.store.current?.status?.drift?.recreations, 1);
    assert.equal(h.store.current?.status?.drift?.history[0]?.action, "Recreated");
    assert.deepEqual(h.events.reasons(), [EventReason.DriftDetected, EventReason.ExternalResourceRecreated]);
  });

  it("a resource deleted out of band in Observe mode is reported missing, not recreated", async () => {
    const h = await created();
    await observeOnly(h);
    h.cloud.items.delete("team-a-w1");
    await h.run();
    assert.equal(h.cloud.calls.create, 1);
    assert.equal(h.condition("Drifted")?.reason, "ExternalResourceMissing");
    assert.deepEqual(h.events.reasons(), [EventReason.ExternalResourceMissing]);
  });

  it("a create whose response was lost is found by its derived name, not repeated", async () => {
    const h = harness();
    // The controller died after the cloud created the resource but before
    // it recorded the create: the resource exists, tagged with our uid.
    const mr = widget();
    await h.run(mr);
    const lost = structuredClone(h.store.current!);
    delete lost.metadata.annotations?.[Annotations.externalCreateSucceeded];
    await h.run(lost);
    assert.equal(h.cloud.calls.create, 1);
    assert.equal(h.cloud.items.size, 1);
    assert.equal(h.condition("Synced")?.status, "True");
  });

  it("a spec change made while the cloud is busy is applied later as a change, not counted as drift", async () => {
    const h = await created({ size: 2 });
    h.cloud.items.get("team-a-w1")!.state = "deleting";
    const mr = structuredClone(h.store.current!);
    mr.spec.forProvider = { ...(mr.spec.forProvider as WidgetSpec), size: 5 };
    mr.metadata.generation = 2;
    await h.run(mr);
    assert.equal(h.cloud.calls.update, 0, "no update while the cloud is busy");
    assert.equal(h.store.current?.status?.observedGeneration, 1, "the change is not applied yet");
    h.cloud.items.get("team-a-w1")!.state = "available";
    await h.run();
    assert.equal(h.cloud.items.get("team-a-w1")?.size, 5);
    assert.equal(h.store.current?.status?.drift?.corrections, 0);
    assert.ok(!h.events.reasons().includes(EventReason.DriftDetected), `events: ${h.events.reasons()}`);
  });

  it("a resource found to be ours without a recorded create is marked, so its later deletion counts as a recreation", async () => {
    const h = await created();
    const lost = structuredClone(h.store.current!);
    delete lost.metadata.annotations?.[Annotations.externalCreateSucceeded];
    await h.run(lost);
    assert.ok(h.store.current?.metadata.annotations?.[Annotations.externalCreateSucceeded]);
    h.cloud.items.delete("team-a-w1");
    await h.run();
    assert.equal(h.store.current?.status?.drift?.recreations, 1);
  });

  it("a recreate that fails and is retried reports the deletion once", async () => {
    const h = await created();
    h.cloud.items.delete("team-a-w1");
    h.cloud.failNext("create", new Error("throttled"));
    await h.run();
    await h.run();
    assert.equal(h.events.list.filter((e) => e.reason === EventReason.DriftDetected).length, 1);
    assert.equal(h.store.current?.status?.drift?.recreations, 1);
  });

  it("a cloud resource tagged with another owner's uid is refused and left untouched", async () => {
    const h = harness();
    h.cloud.put("team-a-w1", {
      size: 99,
      color: "red",
      tags: { [Tags.owner]: "team-b/w1", [Tags.uid]: "uid-other" },
      state: "available",
    });
    const outcome = await h.run(widget());
    assert.equal(outcome.kind, "terminal");
    assert.equal(h.condition("Synced")?.reason, "ReconcileTerminal");
    assert.match(h.condition("Synced")?.message ?? "", /owned by team-b\/w1/);
    assert.equal(h.cloud.items.get("team-a-w1")?.size, 99);
    assert.equal(h.cloud.calls.update + h.cloud.calls.create, 0);
  });

  /** The administrator's word, as a ProviderConfig "default" would hold it. */
  const config = (adoption: "Allow" | "Forbid", namespaceSelector?: object): TenancySource => ({
    read: () => ({
      config: { kind: "ProviderConfig", name: "default" },
      policy: { adoption: { policy: adoption }, ...(namespaceSelector ? { namespaceSelector } : {}) },
      namespaceLabels: {},
    }),
  });
  const untagged = { size: 3, color: "red", tags: {}, state: "available" as const };
  const legacy = (spec: Partial<Managed["spec"]> = {}) => {
    const mr = widget({ size: 5, color: "red" }, spec);
    mr.metadata.annotations = { [Annotations.externalName]: "legacy" };
    return mr;
  };

  it("an untagged existing resource is refused when its external name was derived, not chosen", async () => {
    const h = harness({ tenancy: config("Allow") });
    h.cloud.put("team-a-w1", { ...untagged });
    assert.equal((await h.run(widget())).kind, "terminal");
    assert.equal(h.condition("Synced")?.reason, "ReconcileTerminal");
    assert.match(h.condition("Synced")?.message ?? "", /UntaggedResourceExists/);
  });

  it("refuses an untagged resource that the ProviderConfig does not allow adopting, and writes nothing", async () => {
    const h = harness({ tenancy: config("Forbid") });
    h.cloud.put("legacy", { ...untagged });
    assert.equal((await h.run(legacy({ managementPolicies: ["Observe", "Update"] }))).kind, "terminal");
    const synced = h.condition("Synced");
    assert.equal(synced?.reason, "ReconcileTerminal");
    assert.match(synced?.message ?? "", /^cannot manage external resource: AdoptionNotAllowed: /);
    assert.match(synced?.message ?? "", /spec\.adoption\.policy: Allow on ProviderConfig "default"/);
    assert.deepEqual(h.events.list.at(-1)?.type, "Warning");
    assert.equal(h.events.list.at(-1)?.reason, FailureReason[Step.Ownership]);
    assert.deepEqual(h.cloud.items.get("legacy"), untagged, "not changed, not tagged");
    assert.equal(h.cloud.calls.update + h.cloud.calls.create + h.cloud.calls.delete, 0);
    assert.equal(h.secrets.written.length, 0, "no connection Secret");
  });

  it("adopts an untagged resource the ProviderConfig allows, and applies the spec", async () => {
    const h = harness({ tenancy: config("Allow") });
    h.cloud.put("legacy", { ...untagged });
    assert.equal((await h.run(legacy())).kind, "poll");
    assert.equal(h.condition("Synced")?.status, "True");
    assert.equal(h.cloud.items.get("legacy")?.size, 5);
  });

  it("refuses every resource of a namespace outside the selector before any cloud call or write", async () => {
    const h = harness({ tenancy: config("Allow", { matchLabels: { team: "a" } }) });
    assert.equal((await h.run(widget())).kind, "terminal");
    const synced = h.condition("Synced");
    assert.match(
      synced?.message ?? "",
      /^cannot use provider config: NamespaceNotAllowed: namespace "team-a"/,
    );
    assert.match(synced?.message ?? "", /spec\.namespaceSelector of ProviderConfig "default"/);
    assert.equal(h.events.list.at(-1)?.reason, "CannotUseProviderConfig");
    assert.equal(h.cloud.totalCalls(), 0);
    assert.equal(h.store.current?.metadata.finalizers, undefined);
  });

  it("keeps the finalizer and the cloud resource when a namespace no longer allowed deletes its resource", async () => {
    const h = await created();
    const mr = structuredClone(h.store.current!);
    mr.metadata.deletionTimestamp = "2026-01-01T00:05:00Z";
    const refusing = harness({ tenancy: config("Forbid", { matchLabels: { team: "a" } }) });
    refusing.cloud.items.set("team-a-w1", h.cloud.items.get("team-a-w1")!);
    assert.equal((await refusing.run(mr)).kind, "terminal");
    assert.ok(refusing.store.current?.metadata.finalizers?.includes(FINALIZER));
    assert.ok(refusing.cloud.items.has("team-a-w1"));
    assert.equal(refusing.cloud.totalCalls(), 0);
  });

  it("removes the finalizer of a refused adoption without deleting anything, and says so", async () => {
    const h = harness({ tenancy: config("Forbid") });
    h.cloud.put("legacy", { ...untagged });
    const mr = legacy();
    mr.metadata.finalizers = [FINALIZER];
    mr.metadata.deletionTimestamp = "2026-01-01T00:05:00Z";
    assert.equal((await h.run(mr)).kind, "done");
    assert.deepEqual(h.store.current?.metadata.finalizers, []);
    assert.ok(h.cloud.items.has("legacy"));
    assert.equal(h.cloud.calls.delete, 0);
    const event = h.events.list.at(-1);
    assert.equal(event?.reason, EventReason.OrphanedExternalResource);
    assert.match(event?.message ?? "", /setpoint did not create it .* stays in the cloud/);
  });

  for (const [name, err, outcome, reason] of [
    ["a transient cloud error is retried with backoff", new Error("throttled"), "retry", "ReconcileError"],
    [
      "a terminal cloud error is not retried hot",
      new TerminalError("InvalidParameterValue", "size too big"),
      "terminal",
      "ReconcileTerminal",
    ],
  ] as const) {
    it(`${name} and sets Synced=False with reason ${reason}`, async () => {
      const h = harness();
      h.cloud.failNext("create", err);
      const result = await h.run(widget());
      assert.equal(result.kind, outcome);
      assert.equal(h.condition("Synced")?.status, "False");
      assert.equal(h.condition("Synced")?.reason, reason);
      assert.match(h.condition("Synced")?.message ?? "", new RegExp(err.message));
    });
  }

  it("the same error twice records one event, not two", async () => {
    const h = harness();
    h.cloud.failNext("create", new Error("boom"));
    h.cloud.failNext("create", new Error("boom"));
    await h.run(widget());
    await h.run();
    assert.equal(h.events.list.filter((e) => e.reason === FailureReason[Step.Create]).length, 1);
  });

  it("a paused resource is not observed and says Paused", async () => {
    const h = harness();
    const mr = widget();
    mr.metadata.annotations = { [Annotations.paused]: "true" };
    assert.deepEqual(await h.run(mr), { kind: "done" });
    assert.equal(h.cloud.totalCalls(), 0);
    assert.equal(h.condition("Synced")?.reason, "Paused");
  });

  for (const value of ["banana", "True", "yes", ""]) {
    it(`a paused annotation of ${JSON.stringify(value)} is refused by name, with the values it takes, and nothing is called in the cloud`, async () => {
      const h = harness();
      const mr = widget();
      mr.metadata.annotations = { [Annotations.paused]: value };
      const outcome = await h.run(mr);
      assert.equal(outcome.kind, "terminal");
      assert.equal(h.cloud.totalCalls(), 0);
      const synced = h.condition("Synced");
      assert.equal(synced?.reason, "ReconcileTerminal");
      assert.match(
        synced?.message ?? "",
        /annotation setpoint\.dev\/paused is ".*": use "true" to pause or "false"/,
      );
      assert.deepEqual(h.events.reasons(), [FailureReason[Step.Initialize]]);
      assert.ok(
        !h.store.current?.metadata.finalizers?.includes(FINALIZER),
        "not even the finalizer is added",
      );
    });
  }

  it('a paused annotation of "false" reconciles as usual', async () => {
    const h = harness();
    const mr = widget();
    mr.metadata.annotations = { [Annotations.paused]: "false" };
    await h.run(mr);
    assert.equal(h.cloud.calls.create, 1);
  });

  it("an external name the provider says the cloud would refuse is refused before any cloud call", async () => {
    const h = harness();
    (h.provider as Provider).checkExternalName = (name) =>
      /^[a-z-]+$/.test(name) ? undefined : "only lower-case letters and hyphens";
    const mr = widget();
    mr.metadata.annotations = { [Annotations.externalName]: "Bad_Name!" };
    assert.equal((await h.run(mr)).kind, "terminal");
    assert.equal(h.cloud.totalCalls(), 0);
    assert.match(
      h.condition("Synced")?.message ?? "",
      /external-name is "Bad_Name!", which cannot name a Widget in the cloud: only lower-case letters and hyphens/,
    );
  });

  it("a deletion that cannot go on says it waits and how to orphan, and keeps the finalizer", async () => {
    const h = await created();
    const mr = structuredClone(h.store.current!);
    mr.metadata.deletionTimestamp = "2026-01-01T00:01:00Z";
    h.cloud.failNext("observe", new Error("the cloud is unreachable"));
    assert.equal((await h.run(mr)).kind, "retry");
    const synced = h.condition("Synced");
    assert.match(
      synced?.message ?? "",
      /^cannot observe external resource: the cloud is unreachable; the deletion waits/,
    );
    assert.match(synced?.message ?? "", /set spec\.deletionPolicy: Orphan/);
    assert.ok(
      h.events.list.some((e) => e.reason === FailureReason[Step.Observe] && /deletion waits/.test(e.message)),
    );
    assert.ok(h.store.current?.metadata.finalizers?.includes(FINALIZER));
    assert.ok(h.cloud.items.has("team-a-w1"));
  });

  it("a paused resource being deleted says the deletion waits for the annotation to go", async () => {
    const h = await created();
    const mr = structuredClone(h.store.current!);
    mr.metadata.deletionTimestamp = "2026-01-01T00:01:00Z";
    mr.metadata.annotations = { ...mr.metadata.annotations, [Annotations.paused]: "true" };
    await h.run(mr);
    assert.match(
      h.condition("Synced")?.message ?? "",
      /the deletion waits until setpoint\.dev\/paused is removed/,
    );
    assert.ok(h.store.current?.metadata.finalizers?.includes(FINALIZER));
  });

  it("a deletion whose external-name annotation was removed deletes the resource under the derived name", async () => {
    const h = await created();
    const mr = structuredClone(h.store.current!);
    mr.metadata.deletionTimestamp = "2026-01-01T00:01:00Z";
    delete mr.metadata.annotations?.[Annotations.externalName];
    await h.run(mr);
    assert.equal(h.cloud.calls.delete, 1);
    assert.ok(!h.cloud.items.has("team-a-w1"), "the cloud resource was not left behind");
    assert.ok(!h.store.current?.metadata.finalizers?.includes(FINALIZER));
  });

  it("fields left empty are late-initialized from the cloud and not reported as drift", async () => {
    const h = harness();
    await h.run(widget({ color: undefined }));
    await h.run();
    assert.equal((h.store.current!.spec.forProvider as WidgetSpec).color, "grey");
    assert.equal(h.condition("Drifted")?.status, "False");
    assert.equal(h.store.current?.status?.observedGeneration, h.store.current?.metadata.generation);
  });

  for (const [name, spec, deleted] of [
    ["deletion with the default policy deletes the cloud resource", {}, true],
    [
      "deletion with deletionPolicy Orphan keeps the cloud resource",
      { deletionPolicy: "Orphan" as const },
      false,
    ],
    [
      "deletion under a never-delete policy keeps the cloud resource",
      { managementPolicies: ["Observe", "Create", "Update", "LateInitialize"] as const },
      false,
    ],
  ] as const) {
    it(`${name} and removes the finalizer`, async () => {
      const h = await created({}, spec as Partial<Managed["spec"]>);
      const mr = structuredClone(h.store.current!);
      mr.metadata.deletionTimestamp = "2026-01-01T00:01:00Z";
      assert.deepEqual(await h.run(mr), { kind: "done" });
      assert.equal(h.cloud.items.has("team-a-w1"), !deleted);
      assert.ok(!h.store.current?.metadata.finalizers?.includes(FINALIZER));
    });
  }

  it("deletion never deletes a cloud resource owned by someone else", async () => {
    const h = await created();
    h.cloud.items.get("team-a-w1")!.tags[Tags.uid] = "uid-other";
    const mr = structuredClone(h.store.current!);
    mr.metadata.deletionTimestamp = "2026-01-01T00:01:00Z";
    await h.run(mr);
    assert.ok(h.cloud.items.has("team-a-w1"));
    assert.equal(h.cloud.calls.delete, 0);
    assert.deepEqual(h.events.reasons(), [EventReason.OrphanedExternalResource]);
  });

  it("drift on a sensitive field is reported by path only", async () => {
    const h = await created();
    await observeOnly(h);
    const client = await h.provider.connect();
    const observe = client.observe.bind(client);
    h.provider.connect = async () => ({
      ...client,
      observe: async (mr) => ({
        ...(await observe(mr)),
        drift: [
          { path: "forProvider.password", desired: "hunter2", observed: "old-secret", sensitive: true },
        ],
      }),
    });
    await h.run();
    const text = JSON.stringify(h.store.current?.status) + JSON.stringify(h.events.list);
    assert.doesNotMatch(text, /hunter2|old-secret/);
    assert.deepEqual(h.store.current?.status?.drift?.fields, [
      { path: "forProvider.password", desired: "(redacted)", observed: "(redacted)" },
    ]);
  });

  it("connection details are published to the connection secret", async () => {
    const h = harness();
    await h.run(widget({}, { writeConnectionSecretToRef: { name: "w1-conn" } }));
    await h.run();
    assert.deepEqual(h.secrets.written.at(-1), { id: "team-a-w1" });
  });

  it("history keeps at most ten entries, newest first", async () => {
    const h = await created({ size: 1 });
    for (let i = 0; i < 12; i++) {
      h.cloud.items.get("team-a-w1")!.size = 100 + i;
      h.tick(1000);
      await h.run();
    }
    const drift = h.store.current?.status?.drift;
    assert.equal(drift?.corrections, 12);
    assert.equal(drift?.history.length, 10);
    assert.ok((drift?.history[0]?.time ?? "") > (drift?.history[9]?.time ?? ""));
  });

  describe("a failure names its step", () => {
    const failing: {
      step: string;
      reason: string;
      prefix: string;
      arrange(h: ReturnType<typeof harness>): void;
    }[] = [
      {
        step: "connect",
        reason: "CannotConnectToProvider",
        prefix: "cannot connect to provider",
        arrange: (h) => {
          h.provider.connect = async () => {
            throw new Error("no credentials");
          };
        },
      },
      {
        step: "observe",
        reason: "CannotObserveExternalResource",
        prefix: "cannot observe external resource",
        arrange: (h) => h.cloud.failNext("observe", new Error("timeout")),
      },
      {
        step: "create",
        reason: "CannotCreateExternalResource",
        prefix: "cannot create external resource",
        arrange: (h) => h.cloud.failNext("create", new Error("quota")),
      },
      {
        step: "write status",
        reason: "CannotWriteStatus",
        prefix: "cannot write status",
        arrange: (h) => {
          const write = h.store.writeStatus.bind(h.store);
          let first = true;
          h.store.writeStatus = async (mr, status) => {
            if (first) {
              first = false;
              throw new Error("etcd is slow");
            }
            return write(mr, status);
          };
        },
      },
    ];
    for (const f of failing) {
      it(`a failed ${f.step} says so in Synced, in a ${f.reason} event and in the log line`, async () => {
        const h = harness();
        f.arrange(h);
        const outcome = await h.run(widget());
        assert.equal(outcome.kind, "retry");
        assert.equal(h.condition("Synced")?.reason, "ReconcileError");
        assert.match(h.condition("Synced")?.message ?? "", new RegExp(`^${f.prefix}: `));
        const event = h.events.list.find((e) => e.reason === f.reason);
        assert.equal(event?.type, "Warning");
        assert.match(event?.message ?? "", new RegExp(`^${f.prefix}: `));
        const warn = h.logs.at("warn").find((l) => l.msg === "reconcile failed");
        assert.equal(warn?.fields.step, f.step);
      });
    }

    it("a terminal cloud error keeps its code and the ReconcileTerminal reason, behind the step", async () => {
      const h = harness();
      h.cloud.failNext("create", new TerminalError("InvalidParameterValue", "size too big"));
      assert.equal((await h.run(widget())).kind, "terminal");
      assert.equal(h.condition("Synced")?.reason, "ReconcileTerminal");
      assert.equal(
        h.condition("Synced")?.message,
        "cannot create external resource: InvalidParameterValue: size too big",
      );
    });

    it("a resource owned by someone else is refused at the ownership step", async () => {
      const h = harness();
      h.cloud.put("team-a-w1", {
        size: 1,
        color: "red",
        tags: { [Tags.uid]: "uid-other" },
        state: "available",
      });
      await h.run(widget());
      assert.match(h.condition("Synced")?.message ?? "", /^cannot manage external resource: ForeignOwner: /);
      assert.ok(h.events.reasons().includes(FailureReason[Step.Ownership]));
    });
  });

  it("a provider's retry-after becomes a wait of exactly that delay, with a clear condition and no warning", async () => {
    const h = harness();
    h.cloud.failNext("create", new RetryAfterError("not visible yet", 7));
    const outcome = await h.run(widget());
    assert.equal(outcome.kind, "retry-after");
    assert.ok(outcome.kind === "retry-after");
    assert.equal(outcome.delayMs, 7000);
    assert.equal(h.condition("Synced")?.status, "False");
    assert.equal(
      h.condition("Synced")?.message,
      "cannot create external resource: not visible yet (retrying in 7s)",
    );
    assert.deepEqual(
      h.events.list.filter((e) => e.reason === FailureReason[Step.Create]).map((e) => e.type),
      ["Normal"],
    );
    assert.deepEqual(h.logs.at("warn"), []);
  });

  it("a write that finds the resource gone ends the reconcile quietly: no failure, no event, no warning", async () => {
    const h = await created();
    const mr = structuredClone(h.store.current!);
    mr.metadata.deletionTimestamp = "2026-01-01T00:01:00Z";
    h.store.patchMetadata = async () => {
      throw new ObjectGoneError("Widget team-a/w1 is gone");
    };
    h.store.writeStatus = async () => {
      throw new ObjectGoneError("Widget team-a/w1 is gone");
    };
    assert.deepEqual(await h.run(mr), { kind: "done" });
    assert.deepEqual(h.logs.at("warn"), []);
    assert.ok(!h.events.list.some((e) => e.type === "Warning"), JSON.stringify(h.events.list));
    assert.equal(h.logs.at("debug").at(-1)?.fields.decision, "gone");
  });

  it("a name taken by its own lost create is found by observing again, and marked created", async () => {
    const h = harness();
    await h.run(widget());
    const lost = structuredClone(h.store.current!);
    delete lost.metadata.annotations?.[Annotations.externalCreateSucceeded];
    // The first observe misses it (eventual consistency); create then finds the name taken.
    h.provider.connect = wrapObserve(h.provider, (o, n) => (n === 1 ? { ...o, exists: false } : o));
    const outcome = await h.run(lost);
    assert.equal(outcome.kind, "poll");
    assert.equal(h.cloud.items.size, 1);
    assert.ok(h.store.current?.metadata.annotations?.[Annotations.externalCreateSucceeded]);
    assert.equal(h.condition("Synced")?.status, "True");
  });

  it("a name taken by someone else's resource is refused after observing it again, and left untouched", async () => {
    const h = harness();
    h.cloud.put("team-a-w1", {
      size: 9,
      color: "red",
      tags: { [Tags.uid]: "uid-other" },
      state: "available",
    });
    h.provider.connect = wrapObserve(h.provider, (o, n) => (n === 1 ? { ...o, exists: false } : o));
    assert.equal((await h.run(widget())).kind, "terminal");
    assert.match(h.condition("Synced")?.message ?? "", /^cannot manage external resource: ForeignOwner/);
    assert.equal(h.cloud.items.get("team-a-w1")?.size, 9);
    assert.equal(h.cloud.calls.update, 0);
  });

  describe("deletion protection is the engine's call", () => {
    const cases: {
      name: string;
      protection: Observation["deletionProtection"];
      deleted: boolean;
      disable?: boolean;
    }[] = [
      {
        name: "refuses, keeping the finalizer, while the spec asks for protection",
        protection: { enabled: true, requested: true, field: "forProvider.protect" },
        deleted: false,
      },
      {
        name: "turns protection off first when the spec says it is not wanted",
        protection: { enabled: true, requested: false, field: "forProvider.protect" },
        deleted: true,
        disable: true,
      },
      {
        name: "deletes without touching protection that is off",
        protection: { enabled: false, requested: false, field: "forProvider.protect" },
        deleted: true,
        disable: false,
      },
    ];
    for (const c of cases) {
      it(c.name, async () => {
        const h = await created();
        const options: unknown[] = [];
        const inner = h.provider.connect.bind(h.provider);
        h.provider.connect = async () => {
          const client = await inner();
          return {
            ...client,
            observe: async (mr) => ({ ...(await client.observe(mr)), deletionProtection: c.protection }),
            delete: async (mr, o, opts) => {
              options.push(opts);
              return client.delete(mr, o, opts);
            },
          };
        };
        const mr = structuredClone(h.store.current!);
        mr.metadata.deletionTimestamp = "2026-01-01T00:01:00Z";
        const outcome = await h.run(mr);
        assert.equal(h.cloud.items.has("team-a-w1"), !c.deleted);
        if (c.deleted) {
          assert.deepEqual(options, [{ disableDeletionProtection: c.disable }]);
          assert.deepEqual(outcome, { kind: "done" });
        } else {
          assert.equal(outcome.kind, "terminal");
          assert.deepEqual(options, []);
          assert.ok(h.store.current?.metadata.finalizers?.includes(FINALIZER));
          assert.match(
            h.condition("Synced")?.message ?? "",
            /^cannot delete external resource: DeletionProtected: /,
          );
        }
      });
    }
  });

  it("waits for a cloud that is deleting the resource, without calling delete again", async () => {
    const h = await created();
    h.cloud.items.get("team-a-w1")!.state = "deleting";
    const mr = structuredClone(h.store.current!);
    mr.metadata.deletionTimestamp = "2026-01-01T00:01:00Z";
    assert.deepEqual(await h.run(mr), { kind: "poll", ready: false, inProgress: true });
    assert.equal(h.cloud.calls.delete, 0);
  });

  it("logs the decision it took at debug on every success path", async () => {
    const h = harness();
    await h.run(widget());
    await h.run();
    h.cloud.items.get("team-a-w1")!.size = 9;
    await h.run();
    const mr = structuredClone(h.store.current!);
    mr.metadata.deletionTimestamp = "2026-01-01T00:01:00Z";
    await h.run(mr);
    assert.deepEqual(
      h.logs.at("debug").map((l) => l.fields.decision),
      ["create", "none", "update", "deleted"],
    );
    assert.deepEqual(h.logs.at("warn"), []);
  });
});

type WidgetObservation = Observation<WidgetAtProvider>;

/** A connect whose observe() passes each observation through `change`, with a count of calls. */
function wrapObserve(
  provider: MemoryProvider,
  change: (o: WidgetObservation, n: number) => WidgetObservation,
) {
  const inner = provider.connect.bind(provider);
  let n = 0;
  return async () => {
    const client = await inner();
    return {
      ...client,
      observe: async (mr: Managed<WidgetSpec, WidgetAtProvider>) => change(await client.observe(mr), ++n),
    };
  };
}
