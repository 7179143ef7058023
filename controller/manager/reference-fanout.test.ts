import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { z } from "zod";
import { defineManagedKind, type Managed } from "../api/index.ts";
import type { ResourceKey } from "./keys.ts";
import { ReferenceIndex } from "./reference-fanout.ts";

const App = {
  ...defineManagedKind({
    group: "test.setpoint.dev",
    version: "v1alpha1",
    kind: "App",
    plural: "apps",
    singular: "app",
    description: "refers to groups",
    forProvider: z.object({}),
    atProvider: z.object({}),
  }),
  references: [
    {
      field: "forProvider.groupRefs",
      selector: "forProvider.groupSelector",
      kind: "Group",
      into: "forProvider.groups",
      from: "status.atProvider.id",
      many: true,
    },
  ],
} as const;

function mr(
  kind: string,
  name: string,
  forProvider: Record<string, unknown> = {},
  extra: Partial<Managed> = {},
): Managed {
  return {
    apiVersion: "test.setpoint.dev/v1alpha1",
    kind,
    metadata: { name, namespace: "ns", ...(extra.metadata ?? {}) },
    spec: {
      providerConfigRef: { name: "default" },
      managementPolicies: ["*"],
      deletionPolicy: "Delete",
      forProvider,
    },
    ...(extra.status ? { status: extra.status } : {}),
  };
}

const group = (name: string, opts: { labels?: Record<string, string>; id?: string } = {}) =>
  mr(
    "Group",
    name,
    {},
    {
      metadata: { name, namespace: "ns", ...(opts.labels ? { labels: opts.labels } : {}) },
      ...(opts.id ? { status: { atProvider: { id: opts.id } } } : {}),
    },
  );

describe("the reference index", () => {
  it("finds the referrers of a target by name and by a selector its labels match, and no others", () => {
    const index = new ReferenceIndex([App]);
    index.track("App", mr("App", "by-name", { groupRefs: [{ name: "db" }] }));
    index.track("App", mr("App", "by-label", { groupSelector: { matchLabels: { tier: "db" } } }));
    index.track("App", mr("App", "other", { groupRefs: [{ name: "web" }] }));
    assert.deepEqual(index.referrersOf("Group", group("db", { labels: { tier: "db" } })), [
      "App/ns/by-label",
      "App/ns/by-name",
    ]);
    assert.deepEqual(index.referrersOf("Group", group("cache", { labels: { tier: "cache" } })), []);
  });

  it("forgets what a referrer named once it stops naming it or is gone, and says which targets that frees", () => {
    const index = new ReferenceIndex([App]);
    index.track("App", mr("App", "a", { groupRefs: [{ name: "db" }, { name: "web" }] }));
    assert.deepEqual(index.track("App", mr("App", "a", { groupRefs: [{ name: "web" }] })), ["Group/ns/db"]);
    assert.deepEqual(index.referrersOf("Group", group("db")), []);
    assert.deepEqual(index.untrack("App", mr("App", "a")), ["Group/ns/web"]);
    assert.deepEqual(index.referrersOf("Group", group("web")), []);
  });

  it("requeues a target's referrers when what they can see of it changes, and not for a drift report", () => {
    const index = new ReferenceIndex([App]);
    const requeued: ResourceKey[][] = [];
    const handlers = index.handlers("Group", {}, (keys) => requeued.push(keys));
    index.track("App", mr("App", "a", { groupRefs: [{ name: "db" }] }));
    const before = group("db", { id: "sg-1" });
    handlers.onUpdate?.(before, {
      ...before,
      status: { ...before.status, drift: { corrections: 1, recreations: 0, fields: [], history: [] } },
    });
    handlers.onUpdate?.(before, group("db", { id: "sg-2" }));
    handlers.onDelete?.(before);
    assert.deepEqual(requeued, [[], ["App/ns/a", "App/ns/a"], ["App/ns/a"]]);
  });

  it("does nothing for kinds that declare no references", () => {
    const index = new ReferenceIndex([]);
    assert.equal(index.empty, true);
    const inner = { onAdd: () => {} };
    assert.equal(
      index.handlers("Group", inner, () => {}),
      inner,
    );
  });
});
