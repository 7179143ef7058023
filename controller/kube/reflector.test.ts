import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { FakeClock } from "../clock.ts";
import {
  type KubeObject,
  type ListerWatcher,
  type ListPage,
  objectKey,
  Reflector,
  RelistDiff,
  stripForCache,
  type WatchHandle,
  watchTimeoutSeconds,
} from "./reflector.ts";

function obj(ns: string, name: string, rv: string, uid = `uid-${ns}-${name}`): KubeObject {
  return {
    apiVersion: "test/v1",
    kind: "Widget",
    metadata: { namespace: ns, name, resourceVersion: rv, uid },
  };
}

interface FakeWatch {
  opts: { resourceVersion: string; timeoutSeconds: number };
  send(type: string, object: unknown): void;
  close(err?: unknown): void;
  aborted: boolean;
}

/** A ListerWatcher whose answers the test scripts; aborting a watch reports an error, as client-node does. */
class FakeLW implements ListerWatcher {
  lists: { limit: number; continue?: string }[] = [];
  watches: FakeWatch[] = [];
  listAnswers: (ListPage | Error)[] = [];
  watchOpenError: unknown;

  async list(opts: { limit: number; continue?: string }): Promise<ListPage> {
    this.lists.push({ limit: opts.limit, ...(opts.continue ? { continue: opts.continue } : {}) });
    const next = this.listAnswers.shift();
    if (next === undefined) throw new Error("no list answer scripted");
    if (next instanceof Error) throw next;
    return next;
  }

  async watch(
    opts: { resourceVersion: string; timeoutSeconds: number },
    onEvent: (type: string, object: unknown) => void,
    onDone: (err?: unknown) => void,
  ): Promise<WatchHandle> {
    let done = false;
    const finish = (err?: unknown) => {
      if (done) return;
      done = true;
      onDone(err);
    };
    const w: FakeWatch = {
      opts,
      aborted: false,
      send: (type, object) => {
        if (!done) onEvent(type, object);
      },
      close: finish,
    };
    this.watches.push(w);
    if (this.watchOpenError !== undefined) {
      const err = this.watchOpenError;
      this.watchOpenError = undefined;
      queueMicrotask(() => finish(err));
    }
    return {
      abort: () => {
        w.aborted = true;
        finish(new DOMException("This operation was aborted", "AbortError"));
      },
    };
  }

  get lastWatch(): FakeWatch {
    const w = this.watches.at(-1);
    assert.ok(w, "a watch was opened");
    return w;
  }
}

function recorder() {
  const log: string[] = [];
  return {
    log,
    handlers: {
      onAdd: (o: KubeObject) => log.push(`add ${objectKey(o)}@${o.metadata?.resourceVersion}`),
      onUpdate: (a: KubeObject, b: KubeObject) =>
        log.push(`update ${objectKey(b)}@${a.metadata?.resourceVersion}->${b.metadata?.resourceVersion}`),
      onDelete: (o: KubeObject) => log.push(`delete ${objectKey(o)}`),
    },
  };
}

function setup(opts: { watchdogMs?: number } = {}) {
  const clock = new FakeClock(1_000_000);
  const lw = new FakeLW();
  const rec = recorder();
  const reflector = new Reflector({
    listerWatcher: lw,
    handlers: rec.handlers,
    clock,
    random: () => 0,
    pageSize: 2,
    watchdogMs: opts.watchdogMs ?? 60_000,
  });
  return { clock, lw, rec, reflector };
}

describe("Reflector", () => {
  test("the first list is read page by page, every object is added once, and the watch starts at the list's resourceVersion", async () => {
    const { clock, lw, rec, reflector } = setup();
    lw.listAnswers.push(
      { items: [obj("a", "x", "5"), obj("a", "y", "6")], resourceVersion: "10", continue: "tok" },
      { items: [obj("b", "z", "7")], resourceVersion: "10" },
    );
    const synced = reflector.start();
    await clock.settle();
    await synced;
    assert.equal(reflector.hasSynced(), true);
    assert.deepEqual(lw.lists, [{ limit: 2 }, { limit: 2, continue: "tok" }]);
    assert.deepEqual(rec.log, ["add a/x@5", "add a/y@6", "add b/z@7"]);
    assert.equal(reflector.size, 3);
    assert.equal(lw.lastWatch.opts.resourceVersion, "10");
    assert.ok(lw.lastWatch.opts.timeoutSeconds >= 300 && lw.lastWatch.opts.timeoutSeconds < 600);
    await reflector.stop();
  });

  test("watch events update the cache and call the handlers; a bookmark only moves the resourceVersion", async () => {
    const { clock, lw, rec, reflector } = setup();
    lw.listAnswers.push({ items: [obj("a", "x", "5")], resourceVersion: "10" });
    await reflector.start();
    await clock.settle();
    const w = lw.lastWatch;
    w.send("ADDED", obj("a", "new", "11"));
    w.send("MODIFIED", obj("a", "x", "12"));
    w.send("DELETED", obj("a", "new", "13"));
    w.send("BOOKMARK", { kind: "Widget", metadata: { resourceVersion: "20" } });
    assert.deepEqual(rec.log, ["add a/x@5", "add a/new@11", "update a/x@5->12", "delete a/new"]);
    assert.deepEqual([...reflector.keys()], ["a/x"]);
    assert.equal(reflector.resourceVersion, "20");

    // The server ends the watch (its timeoutSeconds): reopen at once from the bookmark, no relist.
    await clock.advance(5_000);
    w.close();
    await clock.settle();
    assert.equal(lw.watches.length, 2);
    assert.equal(lw.lastWatch.opts.resourceVersion, "20");
    assert.equal(lw.lists.length, 1);
    await reflector.stop();
  });

  test("a 410 ERROR event makes it relist, and the relist's diff emits the adds, updates and deletes it missed", async () => {
    const { clock, lw, rec, reflector } = setup();
    lw.listAnswers.push({
      items: [obj("a", "keep", "5"), obj("a", "change", "6"), obj("a", "gone", "7")],
      resourceVersion: "10",
    });
    await reflector.start();
    await clock.settle();
    rec.log.length = 0;

    lw.listAnswers.push({
      items: [obj("a", "keep", "5"), obj("a", "change", "16"), obj("a", "fresh", "17")],
      resourceVersion: "30",
    });
    lw.lastWatch.send("ERROR", {
      kind: "Status",
      code: 410,
      reason: "Expired",
      message: "too old resource version",
    });
    await clock.settle();

    assert.equal(lw.lists.length, 2);
    assert.deepEqual(rec.log.sort(), ["add a/fresh@17", "delete a/gone", "update a/change@6->16"]);
    assert.deepEqual([...reflector.keys()].sort(), ["a/change", "a/fresh", "a/keep"]);
    assert.equal(reflector.stats.gone, 1);
    assert.equal(lw.lastWatch.opts.resourceVersion, "30");
    await reflector.stop();
  });

  test("an HTTP 410 when opening the watch makes it relist as well", async () => {
    const { clock, lw, reflector } = setup();
    lw.listAnswers.push(
      { items: [], resourceVersion: "10" },
      { items: [obj("a", "x", "40")], resourceVersion: "40" },
    );
    lw.watchOpenError = Object.assign(new Error("Gone"), { statusCode: 410 });
    await reflector.start();
    await clock.settle();
    assert.equal(lw.lists.length, 2);
    assert.equal(reflector.get("a/x")?.metadata?.resourceVersion, "40");
    assert.equal(lw.lastWatch.opts.resourceVersion, "40");
    await reflector.stop();
  });

  test("a watch that stays silent for longer than the watchdog allows is aborted and reopened from the last resourceVersion", async () => {
    const { clock, lw, reflector } = setup({ watchdogMs: 10_000 });
    lw.listAnswers.push({ items: [obj("a", "x", "5")], resourceVersion: "10" });
    await reflector.start();
    await clock.settle();
    const first = lw.lastWatch;
    first.send("MODIFIED", obj("a", "x", "11"));

    await clock.advance(9_999);
    assert.equal(first.aborted, false, "an event re-arms the watchdog");
    await clock.advance(1);
    assert.equal(first.aborted, true);
    assert.equal(lw.watches.length, 2);
    assert.equal(lw.lastWatch.opts.resourceVersion, "11");
    assert.equal(lw.lists.length, 1, "no relist: resuming is enough");
    assert.equal(reflector.stats.watchdogAborts, 1);
    await reflector.stop();
  });

  test("client-node's own inactivity timeout is treated like the watchdog: reopen at once, without backoff", async () => {
    const { clock, lw, reflector } = setup();
    lw.listAnswers.push({ items: [], resourceVersion: "10" });
    await reflector.start();
    await clock.settle();
    lw.lastWatch.close(new DOMException("The operation was aborted due to timeout", "TimeoutError"));
    await clock.settle();
    assert.equal(lw.watches.length, 2);
    assert.equal(reflector.stats.watchdogAborts, 1);
    assert.equal(reflector.stats.errors, 0);
    await reflector.stop();
  });

  test("a broken watch reconnects after a backoff that grows with each consecutive failure", async () => {
    const { clock, lw, reflector } = setup();
    lw.listAnswers.push({ items: [], resourceVersion: "10" });
    await reflector.start();
    await clock.settle();

    lw.lastWatch.close(new Error("socket hang up"));
    await clock.settle();
    assert.equal(lw.watches.length, 1, "waits before reconnecting");
    await clock.advance(800);
    assert.equal(lw.watches.length, 2, "first retry after 800ms");

    lw.lastWatch.close(new Error("ECONNREFUSED"));
    await clock.advance(1_599);
    assert.equal(lw.watches.length, 2);
    await clock.advance(1);
    assert.equal(lw.watches.length, 3, "second retry after 1600ms");
    assert.equal(lw.lastWatch.opts.resourceVersion, "10");
    assert.equal(lw.lists.length, 1);
    await reflector.stop();
  });

  test("a failing first list is retried with backoff and the cache is not synced until one succeeds", async () => {
    const { clock, lw, reflector } = setup();
    lw.listAnswers.push(new Error("connection refused"), {
      items: [obj("a", "x", "1")],
      resourceVersion: "2",
    });
    void reflector.start();
    await clock.settle();
    assert.equal(reflector.hasSynced(), false);
    await clock.advance(800);
    assert.equal(reflector.hasSynced(), true);
    assert.equal(reflector.size, 1);
    await reflector.stop();
  });

  test("an expired continue token (410 in the middle of a list) starts the list over", async () => {
    const { clock, lw, rec, reflector } = setup();
    lw.listAnswers.push(
      { items: [obj("a", "x", "1"), obj("a", "y", "2")], resourceVersion: "5", continue: "old" },
      Object.assign(new Error("Expired"), { code: 410 }),
      { items: [obj("a", "x", "1"), obj("a", "y", "2")], resourceVersion: "9", continue: "new" },
      { items: [obj("a", "z", "3")], resourceVersion: "9" },
    );
    await reflector.start();
    await clock.settle();
    assert.deepEqual(
      lw.lists.map((l) => l.continue ?? "-"),
      ["-", "old", "-", "new"],
    );
    assert.deepEqual(rec.log, ["add a/x@1", "add a/y@2", "add a/z@3"], "nothing is announced twice");
    await reflector.stop();
  });

  test("a handler that throws does not stop other handlers or the cache", async () => {
    const { clock, lw, rec, reflector } = setup();
    reflector.addHandlers({
      onAdd: () => {
        throw new Error("boom");
      },
    });
    lw.listAnswers.push({ items: [obj("a", "x", "1")], resourceVersion: "2" });
    await reflector.start();
    await clock.settle();
    lw.lastWatch.send("ADDED", obj("a", "y", "3"));
    assert.deepEqual(rec.log, ["add a/x@1", "add a/y@3"]);
    assert.equal(reflector.size, 2);
    await reflector.stop();
  });

  test("stop() aborts the watch, ends the loop, and rejects waitForSync when the first list never finished", async () => {
    const { clock, lw, reflector } = setup();
    lw.listAnswers.push({ items: [], resourceVersion: "2" });
    await reflector.start();
    await clock.settle();
    const w = lw.lastWatch;
    await reflector.stop();
    assert.equal(w.aborted, true);
    assert.equal(lw.watches.length, 1);

    const never = setup();
    never.lw.listAnswers.push(new Error("down"));
    const synced = never.reflector.start();
    await never.clock.settle();
    await never.reflector.stop();
    await assert.rejects(synced, /stopped before the first list/);
  });
});

describe("RelistDiff", () => {
  test("unchanged objects produce nothing, changed ones an update, missing ones a delete", () => {
    const store = new Map<string, KubeObject>([
      ["a/same", obj("a", "same", "1")],
      ["a/changed", obj("a", "changed", "2")],
      ["a/missing", obj("a", "missing", "3")],
    ]);
    const diff = new RelistDiff(store);
    const first = diff.page([obj("a", "same", "1"), obj("a", "changed", "20")]);
    const second = diff.page([obj("a", "added", "21")]);
    const end = diff.finish();
    assert.deepEqual(
      [...first, ...second, ...end].map((d) => `${d.type} ${objectKey(d.obj)}`),
      ["update a/changed", "add a/added", "delete a/missing"],
    );
    assert.deepEqual([...store.keys()].sort(), ["a/added", "a/changed", "a/same"]);
  });

  test("an object re-created under the same name (new uid) is a delete and an add, not an update", () => {
    const store = new Map<string, KubeObject>([["a/x", obj("a", "x", "1", "old-uid")]]);
    const deltas = new RelistDiff(store).page([obj("a", "x", "9", "new-uid")]);
    assert.deepEqual(
      deltas.map((d) => `${d.type} ${d.obj.metadata?.uid}`),
      ["delete old-uid", "add new-uid"],
    );
  });
});

describe("stripForCache", () => {
  test("drops managedFields and kubectl's last-applied annotation, keeps the rest, and leaves the input alone", () => {
    const input: KubeObject = {
      metadata: {
        name: "x",
        managedFields: [{ manager: "kubectl" }],
        annotations: { "kubectl.kubernetes.io/last-applied-configuration": "{...}", keep: "me" },
      },
    };
    const out = stripForCache(input);
    assert.deepEqual(out.metadata, { name: "x", annotations: { keep: "me" } });
    assert.ok(input.metadata?.managedFields, "input not mutated");
  });

  test("returns the same object when there is nothing to drop", () => {
    const input: KubeObject = { metadata: { name: "x", annotations: { a: "b" } } };
    assert.equal(stripForCache(input), input);
  });
});

describe("objectKey and watchTimeoutSeconds", () => {
  test("namespaced objects are keyed ns/name and cluster-scoped ones by name", () => {
    assert.equal(objectKey({ metadata: { namespace: "n", name: "a" } }), "n/a");
    assert.equal(objectKey({ metadata: { name: "default" } }), "default");
    assert.equal(objectKey({ metadata: {} }), undefined);
  });

  test("the server-side watch timeout is spread over [min, 2*min)", () => {
    assert.equal(watchTimeoutSeconds(300, 0), 300);
    assert.equal(watchTimeoutSeconds(300, 0.5), 450);
    assert.equal(watchTimeoutSeconds(300, 0.9999), 599);
  });
});
