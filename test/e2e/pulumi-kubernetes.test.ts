// PulumiStack end to end with a real resource plugin: examples/pulumi/kubernetes-configmap.ts runs with
// pulumi-resource-kubernetes (built from the Go module proxy by controlplane/tools.ts) against the test
// kube-apiserver, with its state on the controller's disk (--pulumi-local-state-dir). Drift here comes
// from the provider's own detailedDiff. The ConfigMap is changed behind setpoint's back with a plain
// update, as `kubectl edit` would, which also makes that client the owner of the fields it changed.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { CoreV1Api } from "@kubernetes/client-node";
import type { Managed } from "../../controller/api/index.ts";
import { condition } from "../support/engine.ts";
import { kubeconfigPath, testKubeConfig, useNamespace, waitFor } from "../support/env.ts";
import {
  installKubernetesPlugin,
  type PulumiEngine,
  putSecret,
  stacks,
  startPulumiEngine,
} from "../support/pulumi.ts";
import { needTool, skipUnless } from "../support/tools.ts";

const pulumi = needTool("pulumi");
const plugin = needTool("pulumi-resource-kubernetes");
const core = testKubeConfig().makeApiClient(CoreV1Api);

const urn = (ns: string, stack: string, type: string, name: string) =>
  `urn:pulumi:${stack}::${ns}::${type}::${name}`;
const corrections = (mr: Managed | undefined) => mr?.status?.drift?.corrections ?? 0;

/** A plain read-modify-write, as `kubectl edit` does. */
async function edit<T extends { metadata?: { labels?: Record<string, string> } }>(
  read: () => Promise<T>,
  write: (obj: T) => Promise<unknown>,
  change: (obj: T) => void,
): Promise<void> {
  const obj = await read();
  change(obj);
  await write(obj);
}

describe("a PulumiStack running the kubernetes provider against the test apiserver", {
  skip: skipUnless(pulumi, plugin),
  timeout: 15 * 60_000,
}, () => {
  const ns = useNamespace("pulumi-k8s");
  let engine: PulumiEngine;
  const name = "settings";
  const cm = "app-settings";

  before(async () => {
    const pluginsDir = await installKubernetesPlugin(pulumi, plugin);
    engine = await startPulumiEngine(ns.name, { pulumi, localState: true, runtime: { pluginsDir } });
    await putSecret(ns.name, "target", {
      kubeconfig: await readFile(kubeconfigPath(), "utf8"),
      passphrase: "a long and secret passphrase",
      token: "s3cr3t-token-value",
    });
  });
  after(async () => {
    await engine?.stop();
  });

  const readCm = () => core.readNamespacedConfigMap({ name: cm, namespace: ns.name });
  const writeCm = (body: Awaited<ReturnType<typeof readCm>>) =>
    core.replaceNamespacedConfigMap({ name: cm, namespace: ns.name, body });

  it("creates the ConfigMap with its labels and data", async () => {
    const objects = stacks(ns.name);
    await objects.create(name, {
      forProvider: {
        program: "kubernetes-configmap",
        config: {
          kubeconfig: { secretKeyRef: { name: "target", key: "kubeconfig" } },
          token: { secretKeyRef: { name: "target", key: "token" } },
          namespace: { value: ns.name },
          name: { value: cm },
          labels: { value: JSON.stringify({ team: "orders" }) },
          data: { value: JSON.stringify({ greeting: "hello" }) },
        },
        stateRef: { local: { path: "team/configmaps" } },
        passphraseSecretRef: { name: "target", key: "passphrase" },
      },
    });
    const mr = await objects.waitForCondition(name, "Ready", "True", { timeoutMs: 180_000 });
    const found = await readCm();
    assert.deepEqual(found.data, { greeting: "hello" });
    assert.equal(found.metadata?.labels?.team, "orders");
    assert.equal((mr.status?.atProvider as { resources?: number } | undefined)?.resources, 2);
    // The state sits under the namespace's folder, at the path the spec names, and nowhere else.
    const stateFile = join(
      engine.work,
      "state",
      ns.name,
      "team",
      "configmaps",
      ".pulumi",
      "stacks",
      ns.name,
      `${name}.json`,
    );
    assert.ok(existsSync(stateFile), `no state at ${stateFile}`);
  });

  it("reports the drift the provider's detailedDiff names, per field, and corrects it with a forced apply", async () => {
    const objects = stacks(ns.name);
    const before = corrections(await objects.get(name));
    await edit(readCm, writeCm, (o) => {
      o.data = { greeting: "changed by hand" };
      o.metadata = { ...o.metadata, labels: { ...o.metadata?.labels, team: "someone-else" } };
    });
    const mr = await waitFor(() => objects.get(name), {
      what: "the drift to be corrected",
      timeoutMs: 120_000,
      until: (m) => corrections(m) > before,
    });
    const r = `resources[${JSON.stringify(urn(ns.name, name, "kubernetes:core/v1:ConfigMap", "settings"))}]`;
    assert.deepEqual(mr?.status?.drift?.history[0]?.fields, [
      `${r}.inputs.data.greeting`,
      `${r}.inputs.metadata.labels.team`,
    ]);
    const detected = (await objects.events(name)).find((e) => e.reason === "DriftDetected");
    assert.match(
      detected?.message ?? "",
      /\.inputs\.data\.greeting \(desired hello, observed changed by hand\)/,
    );
    const found = await readCm();
    assert.deepEqual(found.data, { greeting: "hello" });
    assert.equal(found.metadata?.labels?.team, "orders");
  });

  it("reports a secret's drift by its path only", async () => {
    const objects = stacks(ns.name);
    const before = corrections(await objects.get(name));
    const secretName = `${cm}-token`;
    await edit(
      () => core.readNamespacedSecret({ name: secretName, namespace: ns.name }),
      (body) => core.replaceNamespacedSecret({ name: secretName, namespace: ns.name, body }),
      (o) => {
        o.data = { token: Buffer.from("leaked-by-hand").toString("base64") };
      },
    );
    const mr = await waitFor(() => objects.get(name), {
      what: "the Secret's drift to be corrected",
      timeoutMs: 120_000,
      until: (m) => corrections(m) > before,
    });
    const events = await objects.events(name);
    const detected = events.filter((e) => e.reason === "DriftDetected").at(-1);
    assert.match(
      detected?.message ?? "",
      /kubernetes:core\/v1:Secret::token"\]\.inputs\.\S+ \(desired \(redacted\), observed \(redacted\)\)/,
    );
    for (const text of [JSON.stringify(mr?.status), ...events.map((e) => e.message)]) {
      assert.ok(!text.includes("leaked-by-hand") && !text.includes("s3cr3t-token-value"), text);
    }
    const secret = await core.readNamespacedSecret({ name: secretName, namespace: ns.name });
    assert.equal(Buffer.from(secret.data?.token ?? "", "base64").toString(), "s3cr3t-token-value");
  });

  it("reports the apiserver's conflict when a correction may not take a field another manager owns", async () => {
    const objects = stacks(ns.name);
    await objects.patch(name, { spec: { forProvider: { config: { patchForce: { value: "false" } } } } });
    await waitFor(() => readCm(), {
      what: "the ConfigMap to stop asking for a forced apply",
      timeoutMs: 120_000,
      until: (c) => c.metadata?.annotations?.["pulumi.com/patchForce"] === "false",
    });
    await objects.waitForCondition(name, "Synced", "True", { timeoutMs: 60_000 });
    await edit(readCm, writeCm, (o) => {
      o.data = { greeting: "mine now" };
    });
    const mr = await objects.waitForCondition(name, "Synced", "False", {
      reason: "ReconcileTerminal",
      timeoutMs: 120_000,
    });
    const message = condition(mr, "Synced")?.message ?? "";
    assert.match(message, /^cannot update external resource: Conflict: pulumi up --refresh failed: /);
    assert.match(message, /Apply failed with 1 conflict: conflict with "kubernetes-client-javascript"/);
    assert.equal((await readCm()).data?.greeting, "mine now", "the field stays as its owner set it");
    assert.equal(condition(mr, "Drifted")?.status, "True");
  });

  it("destroys the ConfigMap and the Secret when the PulumiStack is deleted", async () => {
    const objects = stacks(ns.name);
    await objects.delete(name);
    await objects.waitUntilGone(name, 120_000);
    await assert.rejects(readCm(), (err: { code?: number }) => err.code === 404);
  });
});
