// Leader election on a real coordination.k8s.io/v1 Lease: of two replicas one leads and the other
// waits; a graceful release hands over at once; a leader cut off from the apiserver (its traffic goes
// through a proxy that is then taken down) steps down by itself after renewDeadline, and the other
// replica takes over once the lease has expired. Short durations keep the test quick.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { CoordinationV1Api, type KubeConfig } from "@kubernetes/client-node";
import { LeaderElector } from "../../controller/kube/leader-election.ts";
import { FaultProxy } from "../../controller/kube/testing/fault-proxy.ts";
import { createNamespace, type TestNamespace, testKubeConfig, uniqueName, waitFor } from "../support/env.ts";

let kc: KubeConfig;
let ns: TestNamespace;

before(async () => {
  kc = testKubeConfig();
  ns = await createNamespace("kube-lease");
});

after(async () => {
  await ns?.delete();
});

const timing = { leaseDurationMs: 3_000, renewDeadlineMs: 2_000, retryPeriodMs: 400 };

function replica(name: string, leaseName: string, journal: string[], kubeConfig = kc) {
  return new LeaderElector({
    kubeConfig,
    namespace: ns.name,
    name: leaseName,
    identity: name,
    ...timing,
    onStartedLeading: () => journal.push(`${name} leads`),
    onStoppedLeading: () => journal.push(`${name} lost`),
  });
}

async function readLease(name: string) {
  return kc.makeApiClient(CoordinationV1Api).readNamespacedLease({ name, namespace: ns.name });
}

describe("LeaderElector against a real apiserver", () => {
  test("two replicas racing for a new Lease: exactly one leads, the other keeps waiting", async () => {
    const leaseName = uniqueName("race");
    const journal: string[] = [];
    const a = replica("a", leaseName, journal);
    const b = replica("b", leaseName, journal);
    a.start();
    b.start();
    try {
      await waitFor(() => journal.length > 0, { what: "a leader" });
      await new Promise((r) => setTimeout(r, timing.leaseDurationMs * 2));
      assert.equal(journal.length, 1, `only one ever led: ${journal.join(", ")}`);
      const leader = a.isLeader() ? a : b;
      const follower = leader === a ? b : a;
      assert.equal(follower.isLeader(), false);
      assert.equal(follower.observedLeader, leader.identity);
      const lease = await readLease(leaseName);
      assert.equal(lease.spec?.holderIdentity, leader.identity);
      assert.equal(lease.spec?.leaseDurationSeconds, 3);
      const renewed = Date.parse(String(lease.spec?.renewTime));
      assert.ok(Date.now() - renewed < timing.leaseDurationMs, "the leader keeps renewing");
    } finally {
      await a.release();
      await b.release();
    }
  });

  test("a leader that releases on shutdown hands over to the waiting replica at its next retry", async () => {
    const leaseName = uniqueName("release");
    const journal: string[] = [];
    const a = replica("a", leaseName, journal);
    a.start();
    await waitFor(() => a.isLeader(), { what: "a to lead" });
    const b = replica("b", leaseName, journal);
    b.start();
    try {
      await new Promise((r) => setTimeout(r, 1_000));
      assert.equal(b.isLeader(), false);
      const released = Date.now();
      await a.release();
      const lease = await readLease(leaseName);
      assert.ok(lease.spec?.holderIdentity === "" || lease.spec?.holderIdentity === "b");
      await waitFor(() => b.isLeader(), { what: "b to take over", timeoutMs: 5_000, intervalMs: 50 });
      const took = Date.now() - released;
      assert.ok(took < timing.leaseDurationMs, `took over in ${took}ms, before the lease could have expired`);
      assert.deepEqual(journal, ["a leads", "b leads"], "a graceful release is not reported as a loss");
      assert.equal((await readLease(leaseName)).spec?.leaseTransitions, 1);
    } finally {
      await b.release();
    }
  });

  test("a leader cut off from the apiserver steps down on its own, and the other takes over after expiry", async () => {
    const leaseName = uniqueName("partition");
    const journal: string[] = [];
    const proxy = await FaultProxy.start(kc);
    const a = replica("a", leaseName, journal, proxy.kubeConfig());
    a.start();
    await waitFor(() => a.isLeader(), { what: "a to lead" });
    const b = replica("b", leaseName, journal);
    b.start();
    try {
      await new Promise((r) => setTimeout(r, 800));
      proxy.setDown(true); // a can no longer renew; b still reaches the apiserver
      const cut = Date.now();
      await waitFor(() => journal.includes("a lost"), {
        what: "a to step down",
        timeoutMs: 10_000,
        intervalMs: 50,
      });
      const steppedDown = Date.now() - cut;
      assert.ok(
        steppedDown <= timing.renewDeadlineMs + timing.retryPeriodMs + 500,
        `stepped down after ${steppedDown}ms`,
      );
      await waitFor(() => b.isLeader(), { what: "b to take over", timeoutMs: 10_000, intervalMs: 50 });
      const order = journal.join(", ");
      assert.equal(order, "a leads, a lost, b leads", "never two leaders at once");
      const lease = await readLease(leaseName);
      assert.equal(lease.spec?.holderIdentity, "b");
      assert.equal(lease.spec?.leaseTransitions, 1);
    } finally {
      await a.release();
      await b.release();
      await proxy.close();
    }
  });
});
