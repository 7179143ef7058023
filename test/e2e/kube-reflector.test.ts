// The Reflector against a real kube-apiserver: it follows adds, updates and deletes; it recovers from a
// cut watch, from a real 410 Expired (the watch is made to resume from resourceVersion "1", which the
// apiserver has compacted away) with a relist that reports what it missed, and from a watch that stays
// open but silent (caught by the client-side watchdog). Faults are injected by a loopback proxy.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  PatchStrategy,
  setHeaderOptions,
} from "@kubernetes/client-node";
import { type KubeObject, objectKey, Reflector } from "../../controller/kube/reflector.ts";
import { createTestCrd, type TestCrd } from "../../controller/kube/testing/crd.ts";
import { FaultProxy } from "../../controller/kube/testing/fault-proxy.ts";
import { createNamespace, type TestNamespace, testKubeConfig, uniqueName, waitFor } from "../support/env.ts";

let kc: KubeConfig;
let crd: TestCrd;
let ns: TestNamespace;
let objects: CustomObjectsApi;
let proxy: FaultProxy;

before(async () => {
  kc = testKubeConfig();
  crd = await createTestCrd(kc, {
    group: `${uniqueName("refl")}.kube.setpoint.dev`,
    kind: "Widget",
    plural: "widgets",
  });
  ns = await createNamespace("kube-reflector");
  objects = kc.makeApiClient(CustomObjectsApi);
  proxy = await FaultProxy.start(kc);
});

after(async () => {
  await proxy?.close();
  await crd?.delete();
  await ns?.delete();
});

function widgetsIn(namespace: string) {
  const base = { group: crd.group, version: crd.version, plural: crd.plural, namespace };
  return {
    create: (name: string, spec: Record<string, unknown> = {}) =>
      objects.createNamespacedCustomObject({
        ...base,
        body: { apiVersion: crd.apiVersion, kind: crd.kind, metadata: { name }, spec },
      }),
    patchSpec: (name: string, spec: Record<string, unknown>) =>
      objects.patchNamespacedCustomObject(
        { ...base, name, body: { spec } },
        setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
      ),
    delete: (name: string) => objects.deleteNamespacedCustomObject({ ...base, name }),
  };
}

/** Handler calls as readable lines, e.g. "add ns/a", "update ns/a", "delete ns/a". */
function journal() {
  const lines: string[] = [];
  return {
    lines,
    handlers: {
      onAdd: (o: KubeObject) => lines.push(`add ${objectKey(o)}`),
      onUpdate: (_: KubeObject, o: KubeObject) => lines.push(`update ${objectKey(o)}`),
      onDelete: (o: KubeObject) => lines.push(`delete ${objectKey(o)}`),
    },
    has: (line: string) => lines.includes(line),
  };
}

describe("Reflector against a real apiserver", () => {
  test("it lists what exists, then sees adds, updates and deletes, and keeps managedFields out of its cache", async () => {
    const sub = await createNamespace("kube-refl-a");
    const w = widgetsIn(sub.name);
    await w.create("before");
    const j = journal();
    const r = new Reflector<KubeObject & { spec?: unknown }>({
      kubeConfig: kc,
      group: crd.group,
      version: crd.version,
      plural: crd.plural,
      handlers: j.handlers,
    });
    try {
      await r.start();
      assert.ok(j.has(`add ${sub.name}/before`), "the initial list is announced as adds");
      await w.create("after");
      await waitFor(() => j.has(`add ${sub.name}/after`), { what: "the watch to report the new object" });
      await w.patchSpec("after", { size: 2 });
      await waitFor(() => j.has(`update ${sub.name}/after`), { what: "the update" });
      assert.deepEqual(r.get(`${sub.name}/after`)?.spec, { size: 2 });
      assert.equal(r.get(`${sub.name}/after`)?.metadata?.managedFields, undefined);
      await w.delete("after");
      await waitFor(() => j.has(`delete ${sub.name}/after`), { what: "the delete" });
      assert.equal(r.get(`${sub.name}/after`), undefined);
    } finally {
      await r.stop();
      await sub.delete();
    }
  });

  test("a namespaced reflector sees only its namespace, and pages through a list larger than one page", async () => {
    const mine = await createNamespace("kube-refl-mine");
    const other = await createNamespace("kube-refl-other");
    await Promise.all(Array.from({ length: 7 }, (_, i) => widgetsIn(mine.name).create(`w${i}`)));
    await widgetsIn(other.name).create("elsewhere");
    const r = new Reflector({
      kubeConfig: proxy.kubeConfig(),
      group: crd.group,
      version: crd.version,
      plural: crd.plural,
      namespace: mine.name,
      pageSize: 3,
    });
    const before = proxy.requests.length;
    try {
      await r.start();
      assert.equal(r.size, 7);
      assert.ok(r.list().every((o) => o.metadata?.namespace === mine.name));
      const pages = proxy.requests
        .slice(before)
        .filter((p) => p.includes(`/namespaces/${mine.name}/widgets`));
      assert.equal(pages.length, 3, "7 objects in pages of 3");
    } finally {
      await r.stop();
      await mine.delete();
      await other.delete();
    }
  });

  test("after the watch connection is cut, it reconnects from where it was and misses nothing", async () => {
    const sub = await createNamespace("kube-refl-cut");
    const w = widgetsIn(sub.name);
    const j = journal();
    const r = new Reflector({
      kubeConfig: proxy.kubeConfig(),
      group: crd.group,
      version: crd.version,
      plural: crd.plural,
      namespace: sub.name,
      handlers: j.handlers,
    });
    try {
      await r.start();
      await waitFor(() => proxy.openWatches > 0, { what: "the watch to open" });
      const watchesBefore = r.stats.watches;
      assert.ok(proxy.breakWatches() >= 1);
      await w.create("while-broken");
      await waitFor(() => j.has(`add ${sub.name}/while-broken`), {
        what: "the object created while the watch was down",
      });
      assert.ok(r.stats.watches > watchesBefore, "a new watch was opened");
      assert.equal(r.stats.lists, 1, "resuming needed no relist");
      const resumed = proxy.watchRequests.at(-1);
      assert.ok(resumed?.get("resourceVersion"), "the new watch resumed from a resourceVersion");
      assert.equal(resumed?.get("allowWatchBookmarks"), "true");
      assert.ok(Number(resumed?.get("timeoutSeconds")) >= 300);
    } finally {
      await r.stop();
      await sub.delete();
    }
  });

  test("a real 410 Expired makes it relist, and the relist reports the adds, updates and deletes it missed", async () => {
    const sub = await createNamespace("kube-refl-410");
    const w = widgetsIn(sub.name);
    await w.create("stays");
    await w.create("changes");
    await w.create("goes");
    const j = journal();
    const r = new Reflector({
      kubeConfig: proxy.kubeConfig(),
      group: crd.group,
      version: crd.version,
      plural: crd.plural,
      namespace: sub.name,
      handlers: j.handlers,
      backoff: { initialMs: 50 },
    });
    try {
      await r.start();
      await waitFor(() => proxy.openWatches > 0, { what: "the watch to open" });
      // The reflector stops hearing anything, and the world moves on.
      proxy.freezeWatches();
      await w.patchSpec("changes", { v: 2 });
      await w.delete("goes");
      await w.create("new");
      j.lines.length = 0;
      // Its next watch asks for a resourceVersion the apiserver no longer has: a real 410 Expired.
      proxy.rewriteNextWatches("1");
      proxy.breakWatches();
      await waitFor(() => r.stats.gone > 0 && r.stats.lists === 2, { what: "a relist after the 410" });
      await waitFor(() => j.lines.length >= 3, { what: "the relist's deltas" });
      assert.deepEqual(j.lines.sort(), [
        `add ${sub.name}/new`,
        `delete ${sub.name}/goes`,
        `update ${sub.name}/changes`,
      ]);
      assert.deepEqual([...r.keys()].sort(), [`${sub.name}/changes`, `${sub.name}/new`, `${sub.name}/stays`]);
      // And it is watching again afterwards.
      await w.create("later");
      await waitFor(() => j.has(`add ${sub.name}/later`), { what: "events after the relist" });
    } finally {
      await r.stop();
      await sub.delete();
    }
  });

  test("a watch that goes silent without closing is noticed by the watchdog and re-established", async () => {
    const sub = await createNamespace("kube-refl-dog");
    const w = widgetsIn(sub.name);
    const j = journal();
    const r = new Reflector({
      kubeConfig: proxy.kubeConfig(),
      group: crd.group,
      version: crd.version,
      plural: crd.plural,
      namespace: sub.name,
      handlers: j.handlers,
      watchdogMs: 2_000,
    });
    try {
      await r.start();
      await waitFor(() => proxy.openWatches > 0, { what: "the watch to open" });
      // Keep the stream busy with our own changes so the watchdog has no reason to fire yet.
      await w.create("tick");
      await waitFor(() => j.has(`add ${sub.name}/tick`), { what: "the first event" });
      const abortsBefore = r.stats.watchdogAborts;
      proxy.freezeWatches();
      await w.create("unheard");
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.equal(j.has(`add ${sub.name}/unheard`), false, "the frozen stream delivers nothing");
      await waitFor(() => j.has(`add ${sub.name}/unheard`), {
        what: "the watchdog to reopen the watch",
        timeoutMs: 10_000,
      });
      assert.ok(r.stats.watchdogAborts > abortsBefore);
      assert.equal(r.stats.lists, 1, "resuming from the last resourceVersion needed no relist");
    } finally {
      await r.stop();
      await sub.delete();
    }
  });

  test("it also follows core Secrets in one namespace and cluster-scoped objects", async () => {
    const sub = await createNamespace("kube-refl-core");
    const core = kc.makeApiClient(CoreV1Api);
    const label = uniqueName("sel");
    const secrets = new Reflector({
      kubeConfig: kc,
      group: "",
      version: "v1",
      plural: "secrets",
      namespace: sub.name,
    });
    const namespaces = new Reflector({
      kubeConfig: kc,
      group: "",
      version: "v1",
      plural: "namespaces",
      labelSelector: `kube-e2e=${label}`,
    });
    const extra = uniqueName("kube-refl-ns");
    try {
      await Promise.all([secrets.start(), namespaces.start()]);
      assert.equal(namespaces.size, 0);
      await core.createNamespacedSecret({
        namespace: sub.name,
        body: { metadata: { name: "s1" }, stringData: { k: "v" } },
      });
      await core.createNamespace({ body: { metadata: { name: extra, labels: { "kube-e2e": label } } } });
      await waitFor(() => secrets.get(`${sub.name}/s1`), { what: "the Secret in the cache" });
      await waitFor(() => namespaces.get(extra), {
        what: "the cluster-scoped namespace, keyed by name alone",
      });
      assert.equal(namespaces.size, 1, "the label selector is applied");
    } finally {
      await secrets.stop();
      await namespaces.stop();
      await core.deleteNamespace({ name: extra }).catch(() => {});
      await sub.delete();
    }
  });
});
