import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compactForCache, compactWith, StringPool } from "./cache-transform.ts";

const wire = () => ({
  apiVersion: "test.setpoint.dev/v1alpha1",
  kind: "Widget",
  metadata: {
    name: "w-1",
    namespace: "team",
    uid: "u-1",
    resourceVersion: "7",
    generation: 3,
    deletionTimestamp: "2026-12-01T00:00:05Z",
    labels: { team: "payments" },
    ownerReferences: [{ apiVersion: "v1", kind: "ConfigMap", name: "owner", uid: "u-0" }],
    finalizers: ["setpoint.dev/managed"],
    annotations: {
      "setpoint.dev/external-name": "team-w-1",
      "kubectl.kubernetes.io/last-applied-configuration": "{...}",
    },
    managedFields: [{ manager: "kubectl" }],
  },
  spec: {
    deletionPolicy: "Delete",
    managementPolicies: ["*"],
    providerConfigRef: { name: "default" },
    forProvider: { size: 3 },
    writeConnectionSecretToRef: { name: "w-1-conn" },
  },
  status: {
    conditions: [
      { type: "Ready", status: "True", reason: "Available", lastTransitionTime: "2026-12-01T00:00:00Z" },
      {
        type: "Synced",
        status: "True",
        reason: "ReconcileSuccess",
        lastTransitionTime: "2026-12-01T00:00:00Z",
      },
    ],
    drift: { fields: [], lastCheckTime: "2026-12-01T00:00:00Z" },
    atProvider: { arn: "arn:aws:test:w-1" },
    observedGeneration: 3,
  },
});

describe("compactForCache", () => {
  // The engine reads spec, status (conditions, drift, atProvider, observedGeneration), labels,
  // annotations, finalizers, ownerReferences, deletionTimestamp, generation, resourceVersion and uid:
  // every one of them must come out of the transform with the value it went in with.
  it("keeps every value the engine reads and drops managedFields and the last-applied annotation", () => {
    const { managedFields: _m, annotations, ...metadata } = wire().metadata;
    const { "kubectl.kubernetes.io/last-applied-configuration": _l, ...kept } = annotations;
    assert.deepEqual(compactForCache(wire()), { ...wire(), metadata: { ...metadata, annotations: kept } });
  });

  it("pools only the strings that repeat across a fleet, not names, uids or provider parameters", () => {
    const pool = new StringPool();
    compactWith(wire(), pool);
    // apiVersion, kind, namespace, the finalizer, the external-name key, Delete, *, default, and the
    // conditions' Ready, True, Available, Synced, ReconcileSuccess.
    assert.equal(pool.size, 13);
    const other = wire();
    other.metadata.name = "w-2";
    other.metadata.uid = "u-2";
    compactWith(other, pool);
    assert.equal(pool.size, 13, "a second object of the fleet adds nothing to the pool");
  });

  it("can be handed to Array.prototype.map, which passes an index as a second argument", () => {
    assert.deepEqual([wire()].map(compactForCache)[0]?.metadata.name, "w-1");
  });

  it("leaves objects without a status or spec as they are", () => {
    const pc = { apiVersion: "v1", kind: "Thing", metadata: { name: "x" } };
    assert.deepEqual(compactForCache({ ...pc }), pc);
  });
});

describe("StringPool", () => {
  it("hands back the first copy of a string and stops growing at its bound", () => {
    const pool = new StringPool(2);
    assert.equal(pool.share("a"), "a");
    pool.share("b");
    pool.share("c");
    assert.equal(pool.size, 2);
    assert.equal(pool.share("c"), "c", "a string beyond the bound is returned, just not kept");
  });

  it("does not keep long strings", () => {
    const pool = new StringPool();
    pool.share("x".repeat(300));
    assert.equal(pool.size, 0);
  });
});
