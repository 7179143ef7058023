// The engine's writes against a real apiserver: metadata and spec merge patches guarded by
// resourceVersion, status replaced through the status subresource with conflicts retried, Events
// aggregated instead of duplicated, connection Secrets owned by their resource and not rewritten when
// unchanged, and the provider-facing KubeAccess (Secrets decoded, cluster objects read).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  PatchStrategy,
  setHeaderOptions,
} from "@kubernetes/client-node";
import type { Managed, ManagedStatus } from "../../controller/api/index.ts";
import {
  CONNECTION_SECRET_TYPE,
  KubeConnectionSecretWriter,
} from "../../controller/kube/connection-secret.ts";
import { KubeEventRecorder } from "../../controller/kube/events.ts";
import { KubeAccessImpl } from "../../controller/kube/kube-access.ts";
import { KubeManagedStore, refOf } from "../../controller/kube/managed-store.ts";
import { SecretOwnedByOtherError } from "../../controller/kube/secrets.ts";
import { createTestCrd, type TestCrd } from "../../controller/kube/testing/crd.ts";
import { ConflictError } from "../../controller/reconciler/ports.ts";
import { createNamespace, type TestNamespace, testKubeConfig, uniqueName } from "../support/env.ts";

let kc: KubeConfig;
let crd: TestCrd;
let clusterCrd: TestCrd;
let ns: TestNamespace;
let objects: CustomObjectsApi;
let core: CoreV1Api;
let store: KubeManagedStore;

before(async () => {
  kc = testKubeConfig();
  const group = `${uniqueName("store")}.kube.setpoint.dev`;
  [crd, clusterCrd] = await Promise.all([
    createTestCrd(kc, { group, kind: "Gadget", plural: "gadgets" }),
    createTestCrd(kc, { group, kind: "Realm", plural: "realms", scope: "Cluster" }),
  ]);
  ns = await createNamespace("kube-store");
  objects = kc.makeApiClient(CustomObjectsApi);
  core = kc.makeApiClient(CoreV1Api);
  store = new KubeManagedStore(kc, {}, () => crd.plural);
});

after(async () => {
  await crd?.delete();
  await clusterCrd?.delete();
  await ns?.delete();
});

async function createManaged(name: string, extra: Partial<Managed["spec"]> = {}): Promise<Managed> {
  return (await objects.createNamespacedCustomObject({
    group: crd.group,
    version: crd.version,
    namespace: ns.name,
    plural: crd.plural,
    body: {
      apiVersion: crd.apiVersion,
      kind: crd.kind,
      metadata: { name },
      spec: {
        providerConfigRef: { name: "default" },
        managementPolicies: ["*"],
        deletionPolicy: "Delete",
        forProvider: { engine: "postgres" },
        ...extra,
      },
    },
  })) as Managed;
}

/** Someone else edits the object, moving its resourceVersion on. */
async function touch(mr: Managed): Promise<void> {
  await objects.patchNamespacedCustomObject(
    {
      group: crd.group,
      version: crd.version,
      namespace: ns.name,
      plural: crd.plural,
      name: mr.metadata.name,
      body: { metadata: { labels: { touched: String(Date.now()) } } },
    },
    setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
  );
}

function status(message: string, extra: Partial<ManagedStatus<unknown>> = {}): ManagedStatus<unknown> {
  return {
    observedGeneration: 1,
    conditions: [
      {
        type: "Synced",
        status: "True",
        reason: "ReconcileSuccess",
        message,
        lastTransitionTime: "2026-01-01T00:00:00Z",
      },
    ],
    ...extra,
  };
}

describe("KubeManagedStore", () => {
  test("get returns the object without managedFields, and undefined once it is gone", async () => {
    const mr = await createManaged(uniqueName("get"));
    const got = await store.get(refOf(mr, crd.plural));
    assert.equal(got?.metadata.uid, mr.metadata.uid);
    assert.ok(got);
    assert.equal((got.metadata as { managedFields?: unknown }).managedFields, undefined);
    assert.equal(await store.get({ ...refOf(mr, crd.plural), name: "does-not-exist" }), undefined);
  });

  test("patchMetadata adds finalizers and annotations, removes an annotation with null, and refuses a stale copy", async () => {
    const mr = await createManaged(uniqueName("meta"), {});
    const patched = await store.patchMetadata(mr, {
      finalizers: ["setpoint.dev/managed"],
      annotations: { "setpoint.dev/external-name": "db-1", remove: "me" },
    });
    assert.deepEqual(patched.metadata.finalizers, ["setpoint.dev/managed"]);
    assert.equal(patched.metadata.annotations?.["setpoint.dev/external-name"], "db-1");
    const cleaned = await store.patchMetadata(patched, { annotations: { remove: null } });
    assert.equal(cleaned.metadata.annotations?.remove, undefined);
    assert.equal(cleaned.metadata.annotations?.["setpoint.dev/external-name"], "db-1");

    // `patched` is now stale: its resourceVersion predates `cleaned`.
    await assert.rejects(store.patchMetadata(patched, { finalizers: [] }), ConflictError);
    const fresh = await store.get(refOf(mr, crd.plural));
    assert.deepEqual(fresh?.metadata.finalizers, ["setpoint.dev/managed"], "the stale patch changed nothing");
    await store.patchMetadata(fresh as Managed, { finalizers: [] });
  });

  test("patchForProvider merges late-initialized values into spec.forProvider only", async () => {
    const mr = await createManaged(uniqueName("lateinit"));
    const patched = await store.patchForProvider(mr, { engineVersion: "16.3", port: 5432 });
    assert.deepEqual(patched.spec.forProvider, { engine: "postgres", engineVersion: "16.3", port: 5432 });
    assert.equal(patched.spec.deletionPolicy, "Delete");
  });

  test("writeStatus replaces the status through the subresource and leaves spec alone", async () => {
    const mr = await createManaged(uniqueName("status"));
    const first = await store.writeStatus(mr, status("one", { atProvider: { arn: "a", endpoint: "e" } }));
    assert.deepEqual(first.status?.atProvider, { arn: "a", endpoint: "e" });
    const second = await store.writeStatus(first, status("two", { atProvider: { arn: "a" } }));
    assert.deepEqual(second.status?.atProvider, { arn: "a" }, "a field dropped from status disappears");
    assert.equal(second.status?.conditions?.[0]?.message, "two");
    assert.deepEqual(second.spec.forProvider, { engine: "postgres" });
  });

  test("a status write from a stale copy meets a conflict, re-reads, and succeeds", async () => {
    const counting = new KubeManagedStore(kc, {}, () => crd.plural);
    const mr = await createManaged(uniqueName("conflict"));
    await touch(mr); // mr's resourceVersion is now stale
    const written = await counting.writeStatus(mr, status("after conflict"));
    assert.equal(written.status?.conditions?.[0]?.message, "after conflict");
    assert.equal(counting.stats.statusConflicts, 1);
    assert.equal(counting.stats.statusWrites, 1);
    assert.equal(written.metadata.labels?.touched !== undefined, true, "the retry built on the fresh object");
  });

  test("a status write that keeps conflicting gives up with ConflictError after the configured attempts", async () => {
    const mr = await createManaged(uniqueName("hopeless"));
    const impatient = new KubeManagedStore(kc, { statusAttempts: 1 }, () => crd.plural);
    await touch(mr);
    await assert.rejects(impatient.writeStatus(mr, status("never")), ConflictError);
    assert.equal(impatient.stats.statusWrites, 0);
  });
});

describe("KubeEventRecorder", () => {
  test("repeating an event bumps its count on one Event; a different message makes a new Event", async () => {
    const mr = await createManaged(uniqueName("events"));
    const recorder = new KubeEventRecorder(kc);
    recorder.record(mr, "Warning", "DriftDetected", "forProvider.allocatedStorage: 20 -> 30");
    await recorder.flush();
    recorder.record(mr, "Warning", "DriftDetected", "forProvider.allocatedStorage: 20 -> 30");
    await recorder.flush();
    recorder.record(mr, "Warning", "DriftDetected", "forProvider.allocatedStorage: 20 -> 30");
    recorder.record(mr, "Normal", "DriftCorrected", "forProvider.allocatedStorage");
    await recorder.flush();

    const list = await core.listNamespacedEvent({
      namespace: ns.name,
      fieldSelector: `involvedObject.uid=${mr.metadata.uid}`,
    });
    const byReason = new Map(list.items.map((e) => [e.reason, e]));
    assert.equal(list.items.length, 2);
    const drift = byReason.get("DriftDetected");
    assert.equal(drift?.count, 3);
    assert.equal(drift?.type, "Warning");
    assert.equal(drift?.involvedObject.kind, crd.kind);
    assert.equal(drift?.involvedObject.name, mr.metadata.name);
    assert.equal(drift?.reportingComponent, "setpoint");
    assert.equal(drift?.source?.component, "setpoint");
    assert.ok((drift?.lastTimestamp?.getTime() ?? 0) >= (drift?.firstTimestamp?.getTime() ?? Infinity));
    assert.equal(byReason.get("DriftCorrected")?.count, 1);
    assert.equal(recorder.stats.failed, 0);
  });

  test("an event that cannot be written is dropped without throwing", async () => {
    const recorder = new KubeEventRecorder(kc);
    const ghost: Managed = {
      apiVersion: crd.apiVersion,
      kind: crd.kind,
      metadata: { name: "ghost", namespace: uniqueName("no-such-namespace"), uid: "u" },
      spec: {
        providerConfigRef: { name: "default" },
        managementPolicies: ["*"],
        deletionPolicy: "Delete",
        forProvider: {},
      },
    };
    assert.doesNotThrow(() => recorder.record(ghost, "Normal", "Created", "x"));
    await recorder.flush();
    assert.equal(recorder.stats.failed, 1);
  });
});

describe("KubeConnectionSecretWriter", () => {
  test("writes an owned Secret of the connection type, skips unchanged data, and updates changed data", async () => {
    const secretName = uniqueName("conn");
    const mr = await createManaged(uniqueName("conn-owner"), {
      writeConnectionSecretToRef: { name: secretName },
    });
    const writer = new KubeConnectionSecretWriter(kc);
    await writer.write(mr, { endpoint: "db.example", port: "5432", password: "s3cret" });
    const secret = await core.readNamespacedSecret({ namespace: ns.name, name: secretName });
    assert.equal(secret.type, CONNECTION_SECRET_TYPE);
    assert.equal(Buffer.from(secret.data?.password ?? "", "base64").toString(), "s3cret");
    assert.deepEqual(
      secret.metadata?.ownerReferences?.map((r) => [r.uid, r.controller, r.blockOwnerDeletion]),
      [[mr.metadata.uid, true, true]],
    );

    await writer.write(mr, { port: "5432", endpoint: "db.example", password: "s3cret" });
    assert.deepEqual(writer.stats, { writes: 1, skipped: 1 });
    const unchanged = await core.readNamespacedSecret({ namespace: ns.name, name: secretName });
    assert.equal(unchanged.metadata?.resourceVersion, secret.metadata?.resourceVersion);

    // A new process has an empty cache: it checks the live Secret instead of rewriting it.
    const restarted = new KubeConnectionSecretWriter(kc);
    await restarted.write(mr, { endpoint: "db.example", port: "5432", password: "s3cret" });
    assert.deepEqual(restarted.stats, { writes: 0, skipped: 1 });

    await restarted.write(mr, { endpoint: "db2.example", port: "5432", password: "s3cret" });
    const updated = await core.readNamespacedSecret({ namespace: ns.name, name: secretName });
    assert.equal(Buffer.from(updated.data?.endpoint ?? "", "base64").toString(), "db2.example");
    assert.equal(restarted.stats.writes, 1);
  });

  test("a connection Secret deleted out of band is written again once the remembered digest expires", async () => {
    const secretName = uniqueName("conn-deleted");
    const mr = await createManaged(uniqueName("conn-deleted-owner"), {
      writeConnectionSecretToRef: { name: secretName },
    });
    let now = 0;
    const writer = new KubeConnectionSecretWriter(kc, { verifyAfterMs: 60_000, now: () => now });
    const details = { endpoint: "db.example", port: "5432" };
    await writer.write(mr, details);
    await core.deleteNamespacedSecret({ namespace: ns.name, name: secretName });
    now = 30_000;
    await writer.write(mr, details);
    assert.equal(writer.stats.writes, 1, "within the window the digest is trusted");
    now = 61_000;
    await writer.write(mr, details);
    const again = await core.readNamespacedSecret({ namespace: ns.name, name: secretName });
    assert.equal(Buffer.from(again.data?.endpoint ?? "", "base64").toString(), "db.example");
    assert.equal(writer.stats.writes, 2);
  });

  test("a user's own Secret with the same name is neither overwritten nor adopted", async () => {
    const secretName = uniqueName("users");
    await core.createNamespacedSecret({
      namespace: ns.name,
      body: { metadata: { name: secretName }, stringData: { mine: "keep me" } },
    });
    const mr = await createManaged(uniqueName("users-owner"), {
      writeConnectionSecretToRef: { name: secretName },
    });
    // The generated-password path: an Opaque Secret named like the user's.
    await assert.rejects(
      new KubeAccessImpl(kc).applySecret(mr, secretName, { password: "generated" }),
      SecretOwnedByOtherError,
    );
    const secret = await core.readNamespacedSecret({ namespace: ns.name, name: secretName });
    assert.equal(Buffer.from(secret.data?.mine ?? "", "base64").toString(), "keep me");
    assert.equal(secret.metadata?.ownerReferences, undefined);
  });

  test("a Secret controlled by another object is not taken over", async () => {
    const secretName = uniqueName("taken");
    const first = await createManaged(uniqueName("first"), {
      writeConnectionSecretToRef: { name: secretName },
    });
    const second = await createManaged(uniqueName("second"), {
      writeConnectionSecretToRef: { name: secretName },
    });
    const writer = new KubeConnectionSecretWriter(kc);
    await writer.write(first, { endpoint: "one" });
    await assert.rejects(writer.write(second, { endpoint: "two" }), SecretOwnedByOtherError);
    const secret = await core.readNamespacedSecret({ namespace: ns.name, name: secretName });
    assert.equal(Buffer.from(secret.data?.endpoint ?? "", "base64").toString(), "one");
  });
});

describe("KubeAccessImpl", () => {
  test("getSecret decodes the data and reports a missing Secret as undefined", async () => {
    const access = new KubeAccessImpl(kc);
    const name = uniqueName("creds");
    await core.createNamespacedSecret({
      namespace: ns.name,
      body: { metadata: { name }, stringData: { key: "välue" } },
    });
    const got = await access.getSecret(ns.name, name);
    assert.deepEqual(got?.data, { key: "välue" });
    assert.ok(got?.resourceVersion);
    assert.equal(await access.getSecret(ns.name, "missing"), undefined);
  });

  test("applySecret creates, then updates, a Secret owned by the resource", async () => {
    const access = new KubeAccessImpl(kc);
    const owner = await createManaged(uniqueName("pw-owner"));
    const name = uniqueName("pw");
    await access.applySecret(owner, name, { password: "first" });
    await access.applySecret(owner, name, { password: "second" });
    const got = await access.getSecret(ns.name, name);
    assert.deepEqual(got?.data, { password: "second" });
    const raw = await core.readNamespacedSecret({ namespace: ns.name, name });
    assert.equal(raw.metadata?.ownerReferences?.[0]?.uid, owner.metadata.uid);
    assert.equal(raw.type, "Opaque");
  });

  test("getClusterObject reads cluster-scoped custom and core objects as plain JSON, undefined when missing", async () => {
    const access = new KubeAccessImpl(kc);
    const name = uniqueName("realm");
    await objects.createClusterCustomObject({
      group: clusterCrd.group,
      version: clusterCrd.version,
      plural: clusterCrd.plural,
      body: {
        apiVersion: clusterCrd.apiVersion,
        kind: clusterCrd.kind,
        metadata: { name },
        spec: { region: "us-east-1" },
      },
    });
    const got = await access.getClusterObject(
      clusterCrd.apiVersion,
      clusterCrd.kind,
      clusterCrd.plural,
      name,
    );
    assert.ok(got);
    assert.deepEqual(got.spec, { region: "us-east-1" });
    assert.equal(typeof (got.metadata as { creationTimestamp?: unknown }).creationTimestamp, "string");
    assert.equal(
      await access.getClusterObject(clusterCrd.apiVersion, clusterCrd.kind, clusterCrd.plural, "nope"),
      undefined,
    );
    const namespace = await access.getClusterObject("v1", "Namespace", "namespaces", ns.name);
    assert.ok(namespace);
    assert.equal((namespace.metadata as { name?: string }).name, ns.name);
  });
});
