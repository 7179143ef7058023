import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Managed } from "../../../controller/api/index.ts";
import { desiredTags, diffTags, ownerTags, tagChangesToDrift, tagListToMap, tagMapToList } from "./tags.ts";

const mr = {
  apiVersion: "aws.setpoint.dev/v1alpha1",
  kind: "SqlInstance",
  metadata: { name: "db", namespace: "team-a", uid: "u-1" },
  spec: {
    providerConfigRef: { name: "default" },
    managementPolicies: ["*"],
    deletionPolicy: "Delete",
    forProvider: {},
  },
} as Managed;

const OWN = { "setpoint.dev/owner": "team-a/db", "setpoint.dev/uid": "u-1" };

describe("owner tags", () => {
  it("name the namespace/name and uid of the custom resource", () => {
    assert.deepEqual(ownerTags(mr), OWN);
  });
  it("win over user tags with the same key, so a user cannot forge ownership", () => {
    assert.deepEqual(desiredTags(mr, { "setpoint.dev/uid": "forged", team: "a" }), { team: "a", ...OWN });
  });
});

describe("diffTags", () => {
  const cases: {
    name: string;
    desired: Record<string, string>;
    observed: Record<string, string>;
    authoritative?: boolean;
    set: Record<string, string>;
    remove: string[];
  }[] = [
    { name: "equal maps need nothing", desired: { a: "1" }, observed: { a: "1" }, set: {}, remove: [] },
    { name: "a missing key is set", desired: { a: "1" }, observed: {}, set: { a: "1" }, remove: [] },
    {
      name: "a changed value is set",
      desired: { a: "1" },
      observed: { a: "2" },
      set: { a: "1" },
      remove: [],
    },
    { name: "an extra key is removed", desired: {}, observed: { b: "1" }, set: {}, remove: ["b"] },
    {
      name: "aws: keys are never removed",
      desired: {},
      observed: { "aws:cloudformation:stack-name": "x" },
      set: {},
      remove: [],
    },
    { name: "aws: keys are never set", desired: { "aws:x": "1" }, observed: {}, set: {}, remove: [] },
    { name: "setpoint's own keys are never removed", desired: {}, observed: OWN, set: {}, remove: [] },
    {
      name: "extra keys are kept when the user left tags empty",
      desired: { a: "1" },
      observed: { b: "1" },
      authoritative: false,
      set: { a: "1" },
      remove: [],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = diffTags(c.desired, c.observed, { authoritative: c.authoritative ?? true });
      assert.deepEqual(got, { set: c.set, remove: c.remove });
    });
  }

  it("reports each changed key as drift with a bracketed path", () => {
    const observed = { a: "2", b: "x" };
    const drift = tagChangesToDrift(diffTags({ a: "1" }, observed), observed);
    assert.deepEqual(drift, [
      { path: 'forProvider.tags["a"]', desired: "1", observed: "2" },
      { path: 'forProvider.tags["b"]', desired: undefined, observed: "x" },
    ]);
  });
});

describe("tag lists", () => {
  it("round-trip between AWS lists and maps", () => {
    const list = [
      { Key: "b", Value: "2" },
      { Key: "a", Value: "1" },
    ];
    assert.deepEqual(tagListToMap(list), { a: "1", b: "2" });
    assert.deepEqual(tagMapToList({ b: "2", a: "1" }), [
      { Key: "a", Value: "1" },
      { Key: "b", Value: "2" },
    ]);
  });
});
