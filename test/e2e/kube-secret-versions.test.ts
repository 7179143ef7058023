// Secrets read once per resourceVersion, against a real apiserver: the metadata-only Secret watch
// (PartialObjectMetadata, no data) follows creates, updates and deletes; a password read on every
// poll goes to the apiserver only when its Secret changed; and a connection Secret deleted out of
// band is written again at the next poll, not after the remembered digest expires.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { CoreV1Api, CustomObjectsApi, type KubeConfig } from "@kubernetes/client-node";
import type { Managed } from "../../controller/api/index.ts";
import { CachedKubeAccess } from "../../controller/cached-kube-access.ts";
import { KubeConnectionSecretWriter } from "../../controller/kube/connection-secret.ts";
import { KubeAccessImpl } from "../../controller/kube/kube-access.ts";
import { SecretVersions } from "../../controller/kube/secret-versions.ts";
import { createTestCrd, type TestCrd } from "../../controller/kube/testing/crd.ts";
import { createNamespace, type TestNamespace, testKubeConfig, uniqueName, waitFor } from "../support/env.ts";

let kc: KubeConfig;
let ns: TestNamespace;
let core: CoreV1Api;
let crd: TestCrd;
let versions: SecretVersions;

before(async () => {
  kc = testKubeConfig();
  ns = await createNamespace("kube-secret-versions");
  core = kc.makeApiClient(CoreV1Api);
  crd = await createTestCrd(kc, {
    group: `${uniqueName("sv")}.kube.setpoint.dev`,
    kind: "Gizmo",
    plural: "gizmos",
  });
  versions = new SecretVersions(kc, { namespace: ns.name });
  await versions.start();
});

after(async () => {
  await versions?.stop();
  await crd?.delete();
  await ns?.delete();
});

async function putSecret(name: string, data: Record<string, string>): Promise<string> {
  const body = {
    metadata: { name, namespace: ns.name },
    stringData: data,
  };
  try {
    const s = await core.createNamespacedSecret({ namespace: ns.name, body });
    return s.metadata?.resourceVersion ?? "";
  } catch {
    const s = await core.replaceNamespacedSecret({ namespace: ns.name, name, body });
    return s.metadata?.resourceVersion ?? "";
  }
}

describe("SecretVersions", () => {
  test("follows creates, updates and deletes, and covers only its namespace", async () => {
    const name = uniqueName("followed");
    const v1 = await putSecret(name, { password: "a" });
    await waitFor(() => versions.versionOf(ns.name, name) === v1, { what: "the create to be seen" });
    const v2 = await putSecret(name, { password: "b" });
    await waitFor(() => versions.versionOf(ns.name, name) === v2, { what: "the update to be seen" });
    await core.deleteNamespacedSecret({ namespace: ns.name, name });
    await waitFor(() => versions.versionOf(ns.name, name) === undefined, { what: "the delete to be seen" });
    assert.equal(versions.covers(ns.name), true);
    assert.equal(versions.covers("kube-system"), false);
  });
});

describe("CachedKubeAccess with SecretVersions", () => {
  test("reads a password once per version, however many polls ask, and sees a rotation at the next one", async () => {
    const name = uniqueName("pw");
    const v1 = await putSecret(name, { password: "first" });
    await waitFor(() => versions.versionOf(ns.name, name) === v1, { what: "the Secret to be seen" });
    const kube = new CachedKubeAccess(new KubeAccessImpl(kc), {
      watched: () => undefined,
      secretVersions: versions,
    });
    for (let poll = 0; poll < 10; poll++)
      assert.equal((await kube.getSecret(ns.name, name))?.data.password, "first");
    assert.equal(kube.stats.secretReads, 1);

    const v2 = await putSecret(name, { password: "second" });
    await waitFor(() => versions.versionOf(ns.name, name) === v2, { what: "the rotation to be seen" });
    assert.equal((await kube.getSecret(ns.name, name))?.data.password, "second");
    assert.equal(kube.stats.secretReads, 2);
    assert.equal(await kube.getSecret(ns.name, uniqueName("absent")), undefined);
    assert.equal(kube.stats.secretReads, 2, "a Secret the watch has not seen costs no read");
  });
});

describe("KubeConnectionSecretWriter with SecretVersions", () => {
  test("writes a connection Secret deleted out of band again at the next poll", async () => {
    const objects = kc.makeApiClient(CustomObjectsApi);
    const secretName = uniqueName("conn");
    const mr = (await objects.createNamespacedCustomObject({
      group: crd.group,
      version: crd.version,
      namespace: ns.name,
      plural: crd.plural,
      body: {
        apiVersion: crd.apiVersion,
        kind: crd.kind,
        metadata: { name: uniqueName("owner") },
        spec: { writeConnectionSecretToRef: { name: secretName }, forProvider: {} },
      },
    })) as Managed;
    // Without the watch, a remembered digest would be trusted for an hour.
    let now = Date.now();
    const writer = new KubeConnectionSecretWriter(kc, {
      verifyAfterMs: 3_600_000,
      secretVersions: versions,
      now: () => now,
    });
    const details = { endpoint: "db.example" };
    await writer.write(mr, details);
    await waitFor(() => versions.versionOf(ns.name, secretName) !== undefined, {
      what: "the Secret to be seen",
    });
    await writer.write(mr, details);
    assert.deepEqual(writer.stats, { writes: 1, skipped: 1 });

    await core.deleteNamespacedSecret({ namespace: ns.name, name: secretName });
    await waitFor(() => versions.versionOf(ns.name, secretName) === undefined, {
      what: "the delete to be seen",
    });
    // Within a minute of our own write, a Secret missing from the watch may only mean that the watch
    // is behind; the next poll after that minute writes it again.
    now += 61_000;
    await writer.write(mr, details);
    assert.equal(writer.stats.writes, 2);
    const secret = await core.readNamespacedSecret({ namespace: ns.name, name: secretName });
    assert.equal(Buffer.from(secret.data?.endpoint ?? "", "base64").toString(), "db.example");
  });
});
