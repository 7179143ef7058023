// The control plane's processes stop and start again on the same ports, data and certificates, so a
// chaos run can take kube-apiserver or etcd away under a running controller (test/chaos/).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { ensureBinaries } from "../../controlplane/binaries.ts";
import { type ControlPlane, startControlPlane } from "../../controlplane/kube.ts";
import { waitFor } from "../support/env.ts";

describe("a control plane's processes, restarted", { timeout: 180_000 }, () => {
  let cp: ControlPlane;
  let core: CoreV1Api;

  before(async () => {
    cp = await startControlPlane({ binaries: await ensureBinaries(() => {}), log: () => {} });
    const kc = new KubeConfig();
    kc.loadFromFile(cp.kubeconfigPath);
    core = kc.makeApiClient(CoreV1Api);
    await core.createNamespacedConfigMap({
      namespace: "default",
      body: { metadata: { name: "kept" }, data: { answer: "42" } },
    });
  });

  after(() => cp?.stop());

  const answer = async () =>
    (await core.readNamespacedConfigMap({ name: "kept", namespace: "default" })).data?.answer;

  it("serves the same kubeconfig and the same data after kube-apiserver is killed and started again", async () => {
    const pid = cp.kubeApiserver.pid();
    await cp.kubeApiserver.stop({ kill: true });
    assert.equal(cp.kubeApiserver.running(), false);
    await assert.rejects(answer(), "nothing answers while it is down");
    await cp.kubeApiserver.start();
    assert.notEqual(cp.kubeApiserver.pid(), pid, "a new process");
    assert.equal(await answer(), "42");
  });

  it("keeps etcd's data across a restart, and kube-apiserver serves it again", async () => {
    await cp.restart("etcd", { kill: true, downMs: 500 });
    assert.equal(cp.etcd.running(), true);
    // kube-apiserver reconnects to etcd on its own.
    assert.equal(await waitFor(answer, { what: "the ConfigMap through the reconnected API server" }), "42");
  });
});
