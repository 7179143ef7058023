import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ctx, FOREIGN, inSync, listenerArn, OWN, spec, tgArn, UID } from "./fixtures.test-util.ts";
import { atProviderFrom, observationFrom, readiness } from "./observation.ts";

describe("readiness", () => {
  const cases: { state: string | undefined; ready: boolean; reason: string; inProgress: boolean }[] = [
    { state: "provisioning", ready: false, reason: "Creating", inProgress: true },
    { state: "active", ready: true, reason: "Available", inProgress: false },
    { state: "active_impaired", ready: true, reason: "Available", inProgress: false },
    { state: "failed", ready: false, reason: "Unavailable", inProgress: false },
    { state: undefined, ready: false, reason: "Unavailable", inProgress: false },
  ];

  for (const c of cases) {
    it(`${c.state ?? "an unknown state"} means Ready=${c.ready} (${c.reason})`, () => {
      const got = readiness(c.state, "reason");
      assert.equal(got.ready.status, c.ready);
      assert.equal(got.ready.reason, c.reason);
      assert.equal(got.inProgress, c.inProgress);
    });
  }
});

describe("observation", () => {
  it("carries the ARN, DNS name, state, ownership and the dnsName connection detail", () => {
    const obs = observationFrom(spec(), inSync(), ctx());
    assert.equal(obs.exists, true);
    assert.deepEqual(obs.drift, []);
    assert.deepEqual(obs.connectionDetails, { dnsName: "lb.example" });
    assert.deepEqual(obs.ownership, { owner: "team-a/web", uid: UID });
    assert.equal(obs.atProvider?.state, "active");
    assert.deepEqual(obs.atProvider?.listeners, [
      { port: 80, arn: listenerArn(80) },
      { port: 8080, arn: listenerArn(8080) },
    ]);
  });

  it("late-initializes the security groups AWS chose when the spec names none", () => {
    const o = inSync();
    o.securityGroups = ["sg-default"];
    const obs = observationFrom(spec({ securityGroups: undefined }), o, ctx());
    assert.deepEqual(obs.lateInit, { securityGroups: ["sg-default"] });
  });

  it("lists in atProvider only the target groups and listeners that are ours", () => {
    const o = inSync();
    o.targetGroups.push({ name: "old", awsName: "x", arn: tgArn("old"), healthCheck: {}, tags: { ...OWN } });
    o.targetGroups.push({
      name: "theirs",
      awsName: "y",
      arn: tgArn("theirs"),
      healthCheck: {},
      tags: FOREIGN,
    });
    o.listeners.push({ port: 9000, arn: listenerArn(9000), defaultAction: {}, tags: {} });
    const at = atProviderFrom(o, spec(), UID);
    assert.deepEqual(
      at.targetGroups?.map((t) => t.name),
      ["api", "old", "web"],
    );
    assert.deepEqual(
      at.listeners?.map((l) => l.port),
      [80, 8080],
    );
  });
});
