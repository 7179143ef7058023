// Reference resolution: the pure resolver, and the reconciler's step that
// carries it out (no connect while waiting; a changed value is a spec change).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MemoryProvider, WidgetKind } from "../../test/support/memory-provider.ts";
import type { Managed, ManagedStatus } from "../api/index.ts";
import { Annotations, type ReferenceDeclaration } from "../api/index.ts";
import { TerminalError } from "../provider.ts";
import { getCondition } from "./conditions.ts";
import { ManagedReconciler } from "./managed.ts";
import type { ManagedStore } from "./ports.ts";
import { type ReferenceTargets, resolveReferences } from "./references.ts";

const BY_NAME: ReferenceDeclaration = {
  field: "forProvider.netRef",
  kind: "Net",
  into: "forProvider.net",
  from: "externalName",
};
const MANY: ReferenceDeclaration = {
  field: "forProvider.groupRefs",
  selector: "forProvider.groupSelector",
  kind: "Group",
  into: "forProvider.groups",
  from: "status.atProvider.id",
  many: true,
};

function obj(
  kind: string,
  name: string,
  opts: { ready?: boolean; id?: string; labels?: Record<string, string>; config?: string } = {},
): Managed {
  return {
    apiVersion: "test.setpoint.dev/v1alpha1",
    kind,
    metadata: {
      name,
      namespace: "team-a",
      annotations: { [Annotations.externalName]: `team-a-${name}` },
      ...(opts.labels ? { labels: opts.labels } : {}),
    },
    spec: {
      providerConfigRef: { name: opts.config ?? "default" },
      managementPolicies: ["*"],
      deletionPolicy: "Delete",
      forProvider: {},
    },
    status: {
      conditions: [
        {
          type: "Ready",
          status: opts.ready === false ? "False" : "True",
          reason: "Available",
          lastTransitionTime: "t",
        },
      ],
      ...(opts.id ? { atProvider: { id: opts.id } } : {}),
    },
  };
}

function targets(objects: Managed[]): ReferenceTargets {
  return {
    get: (kind, ns, name) =>
      objects.find((o) => o.kind === kind && o.metadata.namespace === ns && o.metadata.name === name),
    list: (kind, ns) => objects.filter((o) => o.kind === kind && o.metadata.namespace === ns),
    referrersOf: () => [],
  };
}

function referrer(forProvider: Record<string, unknown>, config = "default"): Managed {
  const mr = obj("App", "app", { config });
  return { ...mr, spec: { ...mr.spec, forProvider } };
}

describe("resolving references", () => {
  it("takes a target's external name into the field the reference stands for", () => {
    const r = resolveReferences(
      referrer({ netRef: { name: "net" } }),
      [BY_NAME],
      targets([obj("Net", "net")]),
    );
    assert.deepEqual(r, {
      kind: "resolved",
      values: { net: "team-a-net" },
      changed: ["net"],
      from: ["Net team-a/net"],
    });
  });

  it("reports nothing changed when the spec already holds the resolved values", () => {
    const r = resolveReferences(
      referrer({ netRef: { name: "net" }, net: "team-a-net" }),
      [BY_NAME],
      targets([obj("Net", "net")]),
    );
    assert.equal(r.kind === "resolved" && r.changed.length, 0);
  });

  it("waits, naming each target, while one is missing and another not Ready", () => {
    const r = resolveReferences(
      referrer({ groupRefs: [{ name: "a" }, { name: "b" }] }),
      [MANY],
      targets([obj("Group", "b", { ready: false, id: "sg-b" })]),
    );
    assert.deepEqual(r, {
      kind: "waiting",
      message: "waiting for Group team-a/a (not found), Group team-a/b (not Ready yet)",
    });
  });

  it("waits for a Ready target that has no value to give yet", () => {
    const r = resolveReferences(
      referrer({ groupRefs: [{ name: "a" }] }),
      [MANY],
      targets([obj("Group", "a")]),
    );
    assert.equal(r.kind, "waiting");
  });

  it("chooses a selector's targets by label, in name order, and waits while none matches", () => {
    const groups = [
      obj("Group", "z", { id: "sg-z", labels: { app: "web" } }),
      obj("Group", "a", { id: "sg-a", labels: { app: "web" } }),
      obj("Group", "m", { id: "sg-m", labels: { app: "db" } }),
    ];
    const chosen = resolveReferences(
      referrer({ groupSelector: { matchLabels: { app: "web" } } }),
      [MANY],
      targets(groups),
    );
    assert.equal(chosen.kind === "resolved" && JSON.stringify(chosen.values.groups), '["sg-a","sg-z"]');
    const none = resolveReferences(
      referrer({ groupSelector: { matchLabels: { app: "cache" } } }),
      [MANY],
      targets(groups),
    );
    assert.deepEqual(none, {
      kind: "waiting",
      message: 'waiting for a Group in team-a with labels {"app":"cache"}',
    });
  });

  it("lets a selector choose only in the resource's own namespace, however well another namespace's labels match", () => {
    const theirs = obj("Group", "web", { id: "sg-theirs", labels: { app: "web" } });
    theirs.metadata.namespace = "team-b";
    const named = obj("Net", "net");
    named.metadata.namespace = "team-b";
    const bySelector = resolveReferences(
      referrer({ groupSelector: { matchLabels: { app: "web" } } }),
      [MANY],
      targets([theirs]),
    );
    assert.deepEqual(bySelector, {
      kind: "waiting",
      message: 'waiting for a Group in team-a with labels {"app":"web"}',
    });
    const byName = resolveReferences(referrer({ netRef: { name: "net" } }), [BY_NAME], targets([named]));
    assert.deepEqual(byName, { kind: "waiting", message: "waiting for Net team-a/net (not found)" });
  });

  it("refuses a target served by another ProviderConfig: its IDs belong to another account or region", () => {
    assert.throws(
      () =>
        resolveReferences(
          referrer({ netRef: { name: "net" } }, "prod"),
          [BY_NAME],
          targets([obj("Net", "net")]),
        ),
      (err: unknown) => err instanceof TerminalError && err.code === "ReferenceAcrossProviderConfigs",
    );
  });

  it("ignores declarations whose fields the spec leaves empty", () => {
    assert.deepEqual(resolveReferences(referrer({}), [BY_NAME, MANY], targets([])), {
      kind: "resolved",
      values: {},
      changed: [],
      from: [],
    });
  });
});

describe("the reconciler's reference step", () => {
  const kind = {
    ...WidgetKind,
    references: [
      {
        field: "forProvider.colorRef",
        kind: "Widget",
        into: "forProvider.color",
        from: "status.atProvider.id",
      },
    ],
  } as const;

  function harness(targetList: Managed[]) {
    const provider = new MemoryProvider();
    let connects = 0;
    const counted = {
      deriveExternalName: (ns: string, name: string) => provider.deriveExternalName(ns, name),
      connect: () => {
        connects++;
        return provider.connect();
      },
    };
    const store: ManagedStore & { current?: Managed } = {
      async patchMetadata(mr, patch) {
        store.current = {
          ...mr,
          metadata: {
            ...mr.metadata,
            annotations: { ...mr.metadata.annotations, ...(patch.annotations as Record<string, string>) },
            finalizers: patch.finalizers ?? mr.metadata.finalizers,
          },
        };
        return store.current;
      },
      async patchForProvider(mr, values) {
        store.current = {
          ...mr,
          metadata: { ...mr.metadata, generation: (mr.metadata.generation ?? 1) + 1 },
          spec: { ...mr.spec, forProvider: { ...(mr.spec.forProvider as object), ...values } },
        };
        return store.current;
      },
      async writeStatus(mr, status: ManagedStatus<unknown>) {
        store.current = { ...mr, status: structuredClone(status) };
        return store.current;
      },
    };
    const events: string[] = [];
    const reconciler = new ManagedReconciler({
      kind,
      provider: counted as never,
      store,
      events: { record: (_mr, _type, reason, message) => events.push(`${reason}: ${message}`) },
      connectionSecrets: { write: async () => {} },
      connectContext: { kube: undefined as never },
      now: () => Date.parse("2026-01-01T00:00:00Z"),
      references: targets(targetList),
    });
    return { reconciler, store, events, connects: () => connects, cloud: provider.cloud };
  }

  const widget = (): Managed => ({
    ...obj("Widget", "w1"),
    metadata: { name: "w1", namespace: "team-a", uid: "u1", generation: 1, annotations: {} },
    spec: {
      providerConfigRef: { name: "default" },
      managementPolicies: ["*"],
      deletionPolicy: "Delete",
      forProvider: { size: 1, colorRef: { name: "paint" } },
    },
    status: {},
  });

  it("waits with Synced=False ReferenceNotReady and never connects while the target is missing", async () => {
    const h = harness([]);
    const outcome = await h.reconciler.reconcile(widget());
    assert.equal(outcome.kind, "retry-after");
    assert.equal(h.connects(), 0);
    const synced = getCondition(h.store.current?.status?.conditions, "Synced");
    assert.equal(synced?.reason, "ReferenceNotReady");
    assert.match(
      synced?.message ?? "",
      /^cannot resolve references: waiting for Widget team-a\/paint \(not found\)/,
    );
    assert.ok(h.events.some((e) => e.startsWith("CannotResolveResourceReferences: ")));
  });

  it("writes a resolved value into the spec, bumping the generation, and creates with it", async () => {
    const paint = { ...obj("Widget", "paint", { id: "red" }) };
    const h = harness([paint]);
    await h.reconciler.reconcile(widget());
    assert.equal((h.store.current!.spec.forProvider as { color?: string }).color, "red");
    assert.equal(h.store.current?.metadata.generation, 2);
    assert.equal(h.store.current?.status?.observedGeneration, 2);
    assert.equal(h.cloud.items.get("team-a-w1")?.color, "red");
    assert.ok(
      h.events.some((e) => e === "ResolvedReferences: Set forProvider.color from Widget team-a/paint"),
    );
  });

  it("applies a target's new value as a spec change, not as drift", async () => {
    const paint = obj("Widget", "paint", { id: "red" });
    const h = harness([paint]);
    await h.reconciler.reconcile(widget());
    await h.reconciler.reconcile(structuredClone(h.store.current!));
    paint.status = { ...paint.status, atProvider: { id: "green" } };
    await h.reconciler.reconcile(structuredClone(h.store.current!));
    assert.equal(h.cloud.items.get("team-a-w1")?.color, "green");
    assert.equal(h.store.current?.status?.drift?.corrections ?? 0, 0);
    assert.ok(h.events.some((e) => e.startsWith("UpdatedExternalResource: ")));
  });
});
