// Two real controller processes compete for one Lease on the real
// kube-apiserver: one leads, the other waits and takes over when the first
// dies or shuts down.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CoordinationV1Api } from "@kubernetes/client-node";
import { ChildController } from "../support/child-controller.ts";
import { installKinds, Objects } from "../support/engine.ts";
import { testKubeConfig, uniqueName, useNamespace, waitFor } from "../support/env.ts";
import { WidgetKind } from "../support/memory-provider.ts";

describe("leader election between two controller processes", { timeout: 120_000 }, () => {
  const ns = useNamespace("leader");
  const children: ChildController[] = [];
  let widgets: Objects;

  before(async () => {
    await installKinds(testKubeConfig(), [WidgetKind]);
    widgets = new Objects(WidgetKind, ns.name);
  });

  after(async () => {
    await Promise.all(children.map((c) => c.kill()));
  });

  function replica(lease: string): ChildController {
    const child = new ChildController({
      WIDGET_NAMESPACE: ns.name,
      WIDGET_LEADER_ELECT: "true",
      WIDGET_LEASE_NAMESPACE: ns.name,
      WIDGET_LEASE_NAME: lease,
      WIDGET_POLL_MS: "2000",
    });
    children.push(child);
    return child;
  }

  async function holder(lease: string): Promise<string | undefined> {
    const api = testKubeConfig().makeApiClient(CoordinationV1Api);
    const l = await api.readNamespacedLease({ name: lease, namespace: ns.name });
    return l.spec?.holderIdentity ?? undefined;
  }

  async function pair(lease: string) {
    const a = replica(lease);
    const b = replica(lease);
    await Promise.all([a.waitFor("ready"), b.waitFor("ready")]);
    const leader = (await waitFor(() => [a, b].find((c) => c.has("leading")), {
      what: "one replica to lead",
      timeoutMs: 20_000,
    })) as ChildController;
    const standby = leader === a ? b : a;
    // The standby must keep waiting while the leader is alive.
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(standby.has("leading"), false, "only one replica leads");
    return { leader, standby };
  }

  it("the standby takes over when the leader dies without releasing the Lease", async () => {
    const lease = uniqueName("lease");
    const { leader, standby } = await pair(lease);
    await widgets.create("before-crash", { forProvider: { size: 1, color: "red" } });
    await widgets.waitForCondition("before-crash", "Ready", "True");
    const oldHolder = await holder(lease);

    const killedAt = Date.now();
    await leader.kill();
    await standby.waitFor("leading", 20_000);
    const tookOverMs = Date.now() - killedAt;
    assert.notEqual(await holder(lease), oldHolder);
    // It had to wait for the 4s lease to expire, since nobody released it.
    assert.ok(tookOverMs >= 2000, `took over after ${tookOverMs}ms, before the lease could expire`);

    await widgets.create("after-crash", { forProvider: { size: 2, color: "blue" } });
    await widgets.waitForCondition("after-crash", "Ready", "True");
  });

  it("a leader that shuts down gracefully releases the Lease, and the standby takes over at once", async () => {
    const lease = uniqueName("lease");
    const { leader, standby } = await pair(lease);
    const stoppedAt = Date.now();
    assert.equal(await leader.terminate(), 0, "graceful shutdown exits 0");
    await standby.waitFor("leading", 20_000);
    const tookOverMs = Date.now() - stoppedAt;
    assert.ok(tookOverMs < 4000, `took ${tookOverMs}ms; a released lease should not wait for expiry`);
  });
});
