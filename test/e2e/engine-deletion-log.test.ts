// A finished deletion is not a failure: once the finalizer is released and
// the object is gone, the engine must not log "reconcile failed" for it.
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { after, before, describe, it } from "node:test";
import { pino } from "pino";
import type { Manager } from "../../controller/manager/index.ts";
import { installKinds, Objects, startEngine } from "../support/engine.ts";
import { testKubeConfig, useNamespace } from "../support/env.ts";
import { MemoryProvider, WidgetKind } from "../support/memory-provider.ts";

describe("deletion logs", { timeout: 120_000 }, () => {
  const ns = useNamespace("engine-dellog");
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
    manager = await startEngine([{ def: WidgetKind, provider: new MemoryProvider() }], {
      namespace: ns.name,
      log: pino({ level: "debug" }, sink),
    });
    widgets = new Objects(WidgetKind, ns.name);
  });

  after(async () => {
    await manager?.stop();
  });

  it("x", async () => {
    for (let i = 0; i < 5; i++) {
      await widgets.create(`d${i}`, { forProvider: { size: 1, color: "blue" } });
      await widgets.waitForCondition(`d${i}`, "Ready", "True");
    }
    for (let i = 0; i < 5; i++) await widgets.delete(`d${i}`);
    for (let i = 0; i < 5; i++) await widgets.waitUntilGone(`d${i}`);
    for (let i = 0; i < 10; i++) {
      await widgets.create(`q${i}`, { forProvider: { size: 1, color: "blue" } });
      await new Promise((r) => setTimeout(r, i * 3));
      await widgets.delete(`q${i}`);
    }
    for (let i = 0; i < 10; i++) await widgets.waitUntilGone(`q${i}`);
    await new Promise((r) => setTimeout(r, 2000));
    const warn = lines.filter((l) => (l.level as number) >= 40);
    console.log(JSON.stringify(warn, null, 1));
    assert.deepEqual(warn, []);
  });
});
