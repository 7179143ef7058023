import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Managed } from "../api/managed.ts";
import { needsReconcile } from "./event-handlers.ts";

const base: Managed = {
  apiVersion: "v",
  kind: "K",
  metadata: {
    name: "a",
    namespace: "n",
    generation: 1,
    resourceVersion: "1",
    annotations: { x: "1" },
    finalizers: [],
  },
  spec: {
    providerConfigRef: { name: "default" },
    managementPolicies: ["*"],
    deletionPolicy: "Delete",
    forProvider: {},
  },
};

const change = (meta: Partial<Managed["metadata"]>, status?: Managed["status"]): Managed => ({
  ...base,
  metadata: { ...base.metadata, resourceVersion: "2", ...meta },
  ...(status ? { status } : {}),
});

describe("which watch events cause a reconcile", () => {
  for (const [name, next, expected] of [
    ["a spec change (new generation) does", change({ generation: 2 }), true],
    ["a deletion request does", change({ deletionTimestamp: "2026-01-01T00:00:00Z" }), true],
    [
      "an annotation change (e.g. paused) does",
      change({ annotations: { x: "1", "setpoint.dev/paused": "true" } }),
      true,
    ],
    ["a finalizer change does", change({ finalizers: ["other"] }), true],
    [
      "our own finalizer and derived external name do not: the pass that added them went on",
      change({
        finalizers: ["setpoint.dev/managed"],
        annotations: {
          x: "1",
          "setpoint.dev/external-name": "n-a",
          "setpoint.dev/external-name-derived": "true",
        },
      }),
      false,
    ],
    [
      "our own create-succeeded mark does not",
      change({ annotations: { x: "1", "setpoint.dev/external-create-succeeded": "2026-01-01T00:00:00Z" } }),
      false,
    ],
    [
      "an external name a user chose does",
      change({ annotations: { x: "1", "setpoint.dev/external-name": "mine" } }),
      true,
    ],
    ["our own status write does not", change({}, { observedGeneration: 1 }), false],
    ["a label change does not", change({ labels: { team: "a" } }), false],
  ] as const) {
    it(name, () => assert.equal(needsReconcile(base, next as Managed), expected));
  }

  it("a user replacing a derived external name with their own does", () => {
    const derived = change({
      annotations: { "setpoint.dev/external-name": "n-a", "setpoint.dev/external-name-derived": "true" },
    });
    const chosen = change({ resourceVersion: "3", annotations: { "setpoint.dev/external-name": "mine" } });
    assert.equal(needsReconcile(derived, chosen), true);
  });

  it("our finalizer removed by hand from a live object does", () => {
    const ours = change({ finalizers: ["setpoint.dev/managed"] });
    assert.equal(needsReconcile(ours, change({ resourceVersion: "3", finalizers: [] })), true);
  });
});
