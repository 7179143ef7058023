// What the engine logs over a resource's life against a real kube-apiserver:
// every decision at debug, and nothing at warn when nothing failed. In
// particular a finished deletion is not a failure: once the finalizer is
// released and the object is gone, nothing may report "reconcile failed"
// (issue 10: 404s from patching and writing the status of a deleted object).
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { after, before, describe, it } from "node:test";
import { pino } from "pino";
import { registerKind } from "../../controller/api/index.ts";
import type { Manager } from "../../controller/manager/index.ts";
import { installKinds, Objects, startEngine } from "../support/engine.ts";
import { testKubeConfig, useNamespace } from "../support/env.ts";
import { MemoryProvider, WidgetKind } from "../support/memory-provider.ts";

describe("engine logs", { timeout: 120_000 }, () => {
  const ns = useNamespace("engine-logs");
  const lines: Record<string, unknown>[] = [];
  let manager: Manager;
  let widgets: Objects;

  before(async () => {
    await installKinds(testKubeConfig(), [WidgetKind]);
    const sink = new Writable({
      write(chunk, _enc, done) {
        for (const l of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(l));
        done();
      },
    });
    manager = await startEngine([registerKind(WidgetKind, new MemoryProvider())], {
      namespace: ns.name,
      log: pino({ level: "debug" }, sink),
    });
    widgets = new Objects(WidgetKind, ns.name);
  });

  after(async () => {
    await manager?.stop();
  });

  it("a resource created, polled and deleted logs each decision at debug and no warning", async () => {
    const names = ["d0", "d1", "d2", "d3", "d4"];
    for (const name of names) await widgets.create(name, { forProvider: { size: 1, color: "blue" } });
    for (const name of names) await widgets.waitForCondition(name, "Ready", "True");
    for (const name of names) await widgets.delete(name);
    for (const name of names) await widgets.waitUntilGone(name);
    // Give late events, sweeps and stale cache copies time to come round.
    await new Promise((r) => setTimeout(r, 2000));
    const decisions = (name: string) =>
      lines.filter((l) => l.resource === `${ns.name}/${name}`).map((l) => l.decision);
    for (const name of names) {
      assert.deepEqual(decisions(name).slice(0, 2), ["create", "none"], `${name}: ${decisions(name)}`);
      assert.equal(decisions(name).at(-1), "deleted", `${name}: ${decisions(name)}`);
    }
    assert.deepEqual(
      lines.filter((l) => (l.level as number) >= 40),
      [],
    );
  });
});
