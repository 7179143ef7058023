import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Managed } from "../api/index.ts";
import type { Observation } from "../provider.ts";
import { isSteady } from "./steady.ts";

const t = "2026-01-01T00:00:00Z";

function mr(): Managed {
  return {
    apiVersion: "v",
    kind: "K",
    metadata: {
      name: "a",
      namespace: "n",
      uid: "uid-1",
      generation: 2,
      annotations: {
        "setpoint.dev/external-name": "n-a",
        "setpoint.dev/external-create-succeeded": t,
      },
    },
    spec: {
      providerConfigRef: { name: "default" },
      managementPolicies: ["*"],
      deletionPolicy: "Delete",
      forProvider: {},
    },
    status: {
      observedGeneration: 2,
      atProvider: { arn: "arn:1", state: "available" },
      conditions: [
        { type: "Ready", status: "True", reason: "Available", lastTransitionTime: t, observedGeneration: 2 },
        {
          type: "Synced",
          status: "True",
          reason: "ReconcileSuccess",
          lastTransitionTime: t,
          observedGeneration: 2,
        },
        { type: "Drifted", status: "False", reason: "InSync", lastTransitionTime: t, observedGeneration: 2 },
      ],
      drift: { corrections: 0, recreations: 0, fields: [], history: [] },
    },
  };
}

function obs(): Observation {
  return {
    exists: true,
    drift: [],
    ready: { status: true, reason: "Available" },
    ownership: { uid: "uid-1" },
    atProvider: { state: "available", arn: "arn:1" },
  };
}

describe("the steady-state shortcut", () => {
  it("a poll that finds the cloud and the status both in sync is steady", () => {
    assert.equal(isSteady(mr(), obs()), true);
  });

  const notSteady: [string, (m: Managed, o: Observation) => void][] = [
    ["drift", (_m, o) => o.drift.push({ path: "forProvider.x", desired: 1, observed: 2 })],
    ["a missing resource", (_m, o) => Object.assign(o, { exists: false })],
    [
      "a resource that is not ready",
      (_m, o) => Object.assign(o, { ready: { status: false, reason: "Creating" } }),
    ],
    ["a cloud still at work", (_m, o) => Object.assign(o, { inProgress: true })],
    ["values to late-initialize", (_m, o) => Object.assign(o, { lateInit: { port: 5432 } })],
    ["another owner's uid", (_m, o) => Object.assign(o, { ownership: { uid: "uid-2" } })],
    ["an unapplied spec change", (m) => Object.assign(m.metadata, { generation: 3 })],
    ["a deletion in progress", (m) => Object.assign(m.metadata, { deletionTimestamp: t })],
    [
      "a paused resource",
      (m) => Object.assign(m.metadata, { annotations: { "setpoint.dev/paused": "true" } }),
    ],
    [
      "a Drifted condition left from a correction",
      (m) => (m.status!.conditions![2]!.reason = "DriftCorrected"),
    ],
    ["a Synced=False condition", (m) => (m.status!.conditions![1]!.status = "False")],
    [
      "changed observed state",
      (_m, o) => Object.assign(o, { atProvider: { arn: "arn:1", state: "modifying" } }),
    ],
    [
      "a new Ready message",
      (_m, o) => Object.assign(o, { ready: { status: true, reason: "Available", message: "x" } }),
    ],
    ["a status never written", (m) => delete m.status],
    [
      "an owned resource whose create was never recorded",
      (m) => delete m.metadata.annotations!["setpoint.dev/external-create-succeeded"],
    ],
    ["a Drifted condition with a message", (m) => (m.status!.conditions![2]!.message = "x")],
    [
      "drift fields left in status",
      (m) => m.status!.drift!.fields.push({ path: "p", desired: "1", observed: "2" }),
    ],
  ];
  for (const [what, change] of notSteady) {
    it(`a poll with ${what} is not steady`, () => {
      const m = mr();
      const o = obs();
      change(m, o);
      assert.equal(isSteady(m, o), false);
    });
  }
});
