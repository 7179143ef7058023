// LoadBalancer end to end: the real engine (Manager) with the real ELBv2
// provider, against the real kube-apiserver and the real moto emulator.
// The cloud is changed behind the engine's back through the SDK.
import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import {
  CreateLoadBalancerCommand,
  DeleteListenerCommand,
  DeleteLoadBalancerCommand,
  DeleteTargetGroupCommand,
  DescribeListenersCommand,
  DescribeLoadBalancerAttributesCommand,
  DescribeLoadBalancersCommand,
  DescribeTagsCommand,
  DescribeTargetGroupsCommand,
  ElasticLoadBalancingV2Client,
  type Listener,
  type LoadBalancer,
  ModifyLoadBalancerAttributesCommand,
  ModifyTargetGroupCommand,
  type TargetGroup,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { LoadBalancerKind } from "../../apis/aws/v1alpha1/loadbalancer.ts";
import { Annotations, FINALIZER, type Managed, Tags } from "../../controller/api/index.ts";
import type { Manager } from "../../controller/manager/index.ts";
import { deriveLoadBalancerName, targetGroupAwsName } from "../../providers/aws/elbv2/index.ts";
import { installAwsProviderConfig, startAwsEngine } from "../support/aws.ts";
import { condition, FAST_POLL, Objects } from "../support/engine.ts";
import {
  awsClientConfig,
  SEED_SECURITY_GROUP_ID,
  SEED_SUBNET_IDS,
  SEED_VPC_ID,
  useNamespace,
  waitFor,
} from "../support/env.ts";

const IDLE_TIMEOUT = "idle_timeout.timeout_seconds";
const IDLE_TIMEOUT_PATH = `forProvider.attributes[${JSON.stringify(IDLE_TIMEOUT)}]`;

const elb = new ElasticLoadBalancingV2Client(awsClientConfig());

// ---------------------------------------------------------------------------
// Reading the cloud directly

function isNotFound(err: unknown): boolean {
  return /NotFound/.test(String((err as { name?: string }).name ?? ""));
}

async function findLb(name: string): Promise<LoadBalancer | undefined> {
  try {
    return (await elb.send(new DescribeLoadBalancersCommand({ Names: [name] }))).LoadBalancers?.[0];
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

async function mustFindLb(name: string): Promise<LoadBalancer> {
  const lb = await findLb(name);
  assert.ok(lb, `load balancer ${name} exists`);
  return lb;
}

async function tagsOf(arn: string): Promise<Record<string, string>> {
  const out = await elb.send(new DescribeTagsCommand({ ResourceArns: [arn] }));
  return Object.fromEntries((out.TagDescriptions?.[0]?.Tags ?? []).map((t) => [t.Key ?? "", t.Value ?? ""]));
}

async function attributesOf(lbArn: string): Promise<Record<string, string>> {
  const out = await elb.send(new DescribeLoadBalancerAttributesCommand({ LoadBalancerArn: lbArn }));
  return Object.fromEntries((out.Attributes ?? []).map((a) => [a.Key ?? "", a.Value ?? ""]));
}

async function listenersOf(lbArn: string): Promise<Listener[]> {
  return (await elb.send(new DescribeListenersCommand({ LoadBalancerArn: lbArn }))).Listeners ?? [];
}

async function listenerOn(lbArn: string, port: number): Promise<Listener | undefined> {
  return (await listenersOf(lbArn)).find((l) => l.Port === port);
}

async function findTargetGroup(awsName: string): Promise<TargetGroup | undefined> {
  try {
    return (await elb.send(new DescribeTargetGroupsCommand({ Names: [awsName] }))).TargetGroups?.[0];
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** Every target group in the account whose owner tag names `owner` ("namespace/name"). */
async function targetGroupsOwnedBy(owner: string): Promise<TargetGroup[]> {
  const all = (await elb.send(new DescribeTargetGroupsCommand({}))).TargetGroups ?? [];
  const mine: TargetGroup[] = [];
  for (const tg of all) {
    if ((await tagsOf(tg.TargetGroupArn ?? ""))[Tags.owner] === owner) mine.push(tg);
  }
  return mine;
}

/** Waits until the named resource exists and satisfies `until`, and returns it. */
async function waitForLb(
  objects: Objects,
  name: string,
  what: string,
  until: (mr: Managed) => boolean,
): Promise<Managed> {
  const mr = await waitFor(() => objects.get(name), { what, until: (m) => m !== undefined && until(m) });
  assert.ok(mr);
  return mr;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------
// Specs

interface SpecOptions {
  attributes?: Record<string, string>;
  healthCheckPath?: string;
  extraListeners?: Record<string, unknown>[];
  managementPolicies?: string[];
  deletionPolicy?: "Delete" | "Orphan";
  connectionSecret?: string;
}

/** An application load balancer forwarding port 80 to target group "web". */
function albSpec(o: SpecOptions = {}): Record<string, unknown> {
  return {
    ...(o.managementPolicies ? { managementPolicies: o.managementPolicies } : {}),
    ...(o.deletionPolicy ? { deletionPolicy: o.deletionPolicy } : {}),
    ...(o.connectionSecret ? { writeConnectionSecretToRef: { name: o.connectionSecret } } : {}),
    forProvider: {
      type: "application",
      scheme: "internet-facing",
      subnets: [...SEED_SUBNET_IDS],
      securityGroups: [SEED_SECURITY_GROUP_ID],
      attributes: o.attributes ?? { [IDLE_TIMEOUT]: "60" },
      targetGroups: [
        {
          name: "web",
          protocol: "HTTP",
          port: 8080,
          healthCheck: { path: o.healthCheckPath ?? "/healthz" },
        },
      ],
      listeners: [
        { port: 80, protocol: "HTTP", defaultAction: { type: "forward", targetGroupName: "web" } },
        ...(o.extraListeners ?? []),
      ],
    },
  };
}

const fixedResponse8080 = {
  port: 8080,
  protocol: "HTTP",
  defaultAction: {
    type: "fixed-response",
    fixedResponse: { statusCode: "404", contentType: "text/plain", messageBody: "nothing here" },
  },
};

function atProvider(mr: Managed | undefined) {
  return (mr?.status?.atProvider ?? {}) as {
    arn?: string;
    dnsName?: string;
    state?: string;
    targetGroups?: { name: string; arn: string }[];
    listeners?: { port: number; arn: string }[];
  };
}

function historyHas(mr: Managed | undefined, action: string, path: string): boolean {
  return (mr?.status?.drift?.history ?? []).some((h) => h.action === action && h.fields.includes(path));
}

// ---------------------------------------------------------------------------

describe("LoadBalancer through the engine against kube-apiserver and moto", { timeout: 180_000 }, () => {
  const ns = useNamespace("lb");
  let manager: Manager;
  let lbs: Objects;

  before(async () => {
    await installAwsProviderConfig();
    manager = await startAwsEngine(ns.name);
    lbs = new Objects(LoadBalancerKind, ns.name);
  });

  /** Resources a test made; deleted after it so that idle load balancers do not load the emulator with polls. */
  const made = new Set<string>();
  const deleting: Promise<void>[] = [];

  afterEach(() => {
    for (const name of made) deleting.push(cleanUp(name).catch(() => {}));
    made.clear();
  });

  after(async () => {
    await Promise.all(deleting);
    await manager?.stop();
  });

  const awsName = (name: string) => deriveLoadBalancerName(ns.name, name);
  const tgName = (name: string, local = "web") => targetGroupAwsName(awsName(name), local);

  /** Creates the resource, to be deleted after the test, and waits until it is Ready. */
  async function readyLb(name: string, o: SpecOptions = {}): Promise<Managed> {
    made.add(name);
    return createReady(name, o);
  }

  /** Creates the resource and waits until it is Ready with its listeners known in status. */
  async function createReady(name: string, o: SpecOptions = {}): Promise<Managed> {
    await lbs.create(name, albSpec(o));
    return waitForLb(
      lbs,
      name,
      `LoadBalancer ${name} to be Ready with its parts in status`,
      (mr) =>
        condition(mr, "Ready")?.status === "True" &&
        condition(mr, "Synced")?.status === "True" &&
        mr?.status?.observedGeneration === mr?.metadata.generation &&
        (atProvider(mr).listeners?.length ?? 0) >= 1 + (o.extraListeners?.length ?? 0),
    );
  }

  /** Deletes the resource and waits until the finalizer let it go. */
  async function cleanUp(name: string): Promise<void> {
    await lbs.delete(name).catch(() => {});
    await lbs.waitUntilGone(name);
  }

  it("a new load balancer becomes Ready with its DNS name, state, parts, connection secret and owner tags", async () => {
    const mr = await readyLb("create", { connectionSecret: "create-conn" });
    assert.equal(condition(mr, "Synced")?.reason, "ReconcileSuccess");
    assert.equal(condition(mr, "Drifted")?.status, "False");
    assert.ok(mr.metadata.finalizers?.includes(FINALIZER));
    assert.equal(mr.metadata.annotations?.[Annotations.externalName], awsName("create"));

    const at = atProvider(mr);
    const lb = await mustFindLb(awsName("create"));
    assert.equal(at.arn, lb.LoadBalancerArn);
    assert.ok(at.dnsName, "status.atProvider.dnsName is set");
    assert.equal(at.dnsName, lb.DNSName);
    assert.equal(at.state, "active");
    assert.equal(lb.Scheme, "internet-facing");
    assert.equal(lb.VpcId, SEED_VPC_ID);

    const tg = await findTargetGroup(tgName("create"));
    assert.ok(tg, "the target group exists under its derived name");
    assert.deepEqual(at.targetGroups, [{ name: "web", arn: tg.TargetGroupArn }]);
    assert.equal(tg.HealthCheckPath, "/healthz");
    const listener = await listenerOn(lb.LoadBalancerArn ?? "", 80);
    assert.ok(listener, "a listener on port 80 exists");
    assert.deepEqual(at.listeners, [{ port: 80, arn: listener.ListenerArn }]);
    assert.equal(listener.DefaultActions?.[0]?.TargetGroupArn, tg.TargetGroupArn);
    assert.equal((await attributesOf(lb.LoadBalancerArn ?? ""))[IDLE_TIMEOUT], "60");

    const owner = `${ns.name}/create`;
    for (const [what, arn] of [
      ["load balancer", lb.LoadBalancerArn],
      ["target group", tg.TargetGroupArn],
      ["listener", listener.ListenerArn],
    ]) {
      const tags = await tagsOf(arn ?? "");
      assert.equal(tags[Tags.owner], owner, `${what} owner tag`);
      assert.equal(tags[Tags.uid], mr.metadata.uid, `${what} uid tag`);
    }

    const secret = await waitFor(
      () => lbs.core.readNamespacedSecret({ name: "create-conn", namespace: ns.name }),
      { what: "the connection secret" },
    );
    assert.equal(Buffer.from(secret.data?.dnsName ?? "", "base64").toString(), lb.DNSName);
    const reasons = (await lbs.events("create")).map((e) => e.reason);
    assert.ok(reasons.includes("CreatedExternalResource"), `events: ${reasons}`);
  });

  it("a spec change reaches the cloud: an attribute, a new fixed-response listener and a health check path", async () => {
    await readyLb("update");
    await lbs.patch("update", {
      spec: albSpec({
        attributes: { [IDLE_TIMEOUT]: "120" },
        healthCheckPath: "/ready",
        extraListeners: [fixedResponse8080],
      }),
    });
    const lb = await mustFindLb(awsName("update"));
    const arn = lb.LoadBalancerArn ?? "";
    await waitFor(() => attributesOf(arn), {
      what: "the idle timeout to be 120",
      until: (a) => a[IDLE_TIMEOUT] === "120",
    });
    const added = await waitFor(() => listenerOn(arn, 8080), { what: "a listener on port 8080" });
    const action = added?.DefaultActions?.[0];
    assert.equal(action?.Type, "fixed-response");
    assert.equal(action?.FixedResponseConfig?.StatusCode, "404");
    assert.equal(action?.FixedResponseConfig?.MessageBody, "nothing here");
    await waitFor(() => findTargetGroup(tgName("update")), {
      what: "the health check path to be /ready",
      until: (tg) => tg?.HealthCheckPath === "/ready",
    });
    const mr = await waitForLb(
      lbs,
      "update",
      "the change to be reconciled and the new listener to be in status",
      (m) =>
        m?.status?.observedGeneration === m?.metadata.generation &&
        condition(m, "Synced")?.status === "True" &&
        (atProvider(m).listeners ?? []).some((l) => l.port === 8080),
    );
    assert.equal(mr.status?.drift?.corrections, 0, "a spec change is not drift");
    assert.equal(condition(mr, "Drifted")?.status, "False");
    assert.equal((await tagsOf(added?.ListenerArn ?? ""))[Tags.uid], mr.metadata.uid);
    const events = await lbs.events("update");
    assert.ok(!events.some((e) => e.reason === "DriftDetected"), `events: ${JSON.stringify(events)}`);
    const updated = events.filter((e) => e.reason === "UpdatedExternalResource").map((e) => e.message);
    for (const path of [
      IDLE_TIMEOUT_PATH,
      "forProvider.listeners[port=8080]",
      "forProvider.targetGroups[name=web].healthCheck.path",
    ]) {
      assert.ok(
        updated.some((m) => m.includes(path)),
        `an UpdatedExternalResource event names ${path}: ${updated}`,
      );
    }
  });

  describe("one steady load balancer changed out of band, part by part", () => {
    // One load balancer for these tests: each starts from in sync, and a
    // load balancer less to create and delete keeps the emulator's budget free.
    const name = "drift";
    let arn = "";

    before(async () => {
      arn = atProvider(await createReady(name)).arn ?? "";
    });

    after(async () => {
      await cleanUp(name);
    });

    /** Waits until the resource is in sync, with status describing the cloud, and returns it. */
    function inSync(): Promise<Managed> {
      return waitForLb(
        lbs,
        name,
        "the load balancer to be in sync",
        (m) =>
          condition(m, "Drifted")?.status === "False" &&
          condition(m, "Synced")?.status === "True" &&
          atProvider(m).listeners?.length === 1 &&
          atProvider(m).targetGroups?.length === 1,
      );
    }

    async function driftEvent(text: string) {
      const events = await lbs.events(name);
      const found = events.find((e) => e.reason === "DriftDetected" && e.message.includes(text));
      assert.ok(found, `a DriftDetected event mentions ${text}; events: ${JSON.stringify(events)}`);
      assert.equal(found.type, "Warning");
    }

    it("an attribute change is reported as drift at its path and corrected", async () => {
      const before = await inSync();
      const corrections = before.status?.drift?.corrections ?? 0;
      await elb.send(
        new ModifyLoadBalancerAttributesCommand({
          LoadBalancerArn: arn,
          Attributes: [{ Key: IDLE_TIMEOUT, Value: "300" }],
        }),
      );
      const mr = await waitForLb(lbs, name, "the attribute drift to be corrected", (m) =>
        historyHas(m, "Corrected", IDLE_TIMEOUT_PATH),
      );
      assert.equal((await attributesOf(arn))[IDLE_TIMEOUT], "60");
      assert.equal(mr.status?.drift?.corrections, corrections + 1);
      assert.ok(mr.status?.drift?.lastCorrectedTime);
      await driftEvent(`${IDLE_TIMEOUT_PATH} (desired 60, observed 300)`);
    });

    it("a deleted listener is recreated and reported", async () => {
      await inSync();
      const old = await listenerOn(arn, 80);
      assert.ok(old);
      await elb.send(new DeleteListenerCommand({ ListenerArn: old.ListenerArn }));
      const mr = await waitForLb(lbs, name, "the missing listener to be corrected", (m) =>
        historyHas(m, "Corrected", "forProvider.listeners[port=80]"),
      );
      const recreated = await listenerOn(arn, 80);
      assert.ok(recreated, "port 80 has a listener again");
      assert.notEqual(recreated.ListenerArn, old.ListenerArn);
      assert.equal(recreated.DefaultActions?.[0]?.TargetGroupArn, atProvider(mr).targetGroups?.[0]?.arn);
      assert.equal((await tagsOf(recreated.ListenerArn ?? ""))[Tags.uid], mr.metadata.uid);
      await driftEvent("forProvider.listeners[port=80] (desired present, observed missing)");
      await waitForLb(
        lbs,
        name,
        "status to show the new listener's ARN",
        (m) => atProvider(m).listeners?.[0]?.arn === recreated.ListenerArn,
      );
    });

    it("a health check change is corrected and reported", async () => {
      await inSync();
      const tg = await findTargetGroup(tgName(name));
      assert.ok(tg);
      await elb.send(
        new ModifyTargetGroupCommand({ TargetGroupArn: tg.TargetGroupArn, HealthCheckPath: "/other" }),
      );
      const path = "forProvider.targetGroups[name=web].healthCheck.path";
      await waitForLb(lbs, name, "the health check drift to be corrected", (m) =>
        historyHas(m, "Corrected", path),
      );
      assert.equal((await findTargetGroup(tgName(name)))?.HealthCheckPath, "/healthz");
      await driftEvent(`${path} (desired /healthz, observed /other)`);
    });

    it("a deleted target group is recreated, with the listener that used it, and reported", async () => {
      await inSync();
      const oldTg = await findTargetGroup(tgName(name));
      const listener = await listenerOn(arn, 80);
      assert.ok(oldTg && listener);
      // AWS refuses to delete a target group a listener forwards to: the listener goes first.
      await elb.send(new DeleteListenerCommand({ ListenerArn: listener.ListenerArn }));
      await elb.send(new DeleteTargetGroupCommand({ TargetGroupArn: oldTg.TargetGroupArn }));
      const mr = await waitForLb(lbs, name, "the missing target group to be corrected", (m) =>
        historyHas(m, "Corrected", "forProvider.targetGroups[name=web]"),
      );
      assert.ok(historyHas(mr, "Corrected", "forProvider.listeners[port=80]"));
      const newTg = await findTargetGroup(tgName(name));
      assert.ok(newTg, "the target group exists again");
      assert.notEqual(newTg.TargetGroupArn, oldTg.TargetGroupArn);
      assert.equal(newTg.HealthCheckPath, "/healthz");
      assert.equal((await tagsOf(newTg.TargetGroupArn ?? ""))[Tags.uid], mr.metadata.uid);
      const newListener = await listenerOn(arn, 80);
      assert.equal(newListener?.DefaultActions?.[0]?.TargetGroupArn, newTg.TargetGroupArn);
      await driftEvent("forProvider.targetGroups[name=web] (desired present, observed missing)");
      await waitForLb(
        lbs,
        name,
        "status to show the new target group's ARN",
        (m) => atProvider(m).targetGroups?.[0]?.arn === newTg.TargetGroupArn,
      );
    });
  });

  it("a load balancer deleted out of band is recreated with its listeners and target groups", async () => {
    const before = await readyLb("recreate", { extraListeners: [fixedResponse8080] });
    const oldArn = atProvider(before).arn ?? "";
    await elb.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: oldArn }));
    const mr = await waitForLb(
      lbs,
      "recreate",
      "the load balancer to be recreated and Ready",
      (m) =>
        m?.status?.drift?.recreations === 1 &&
        condition(m, "Ready")?.status === "True" &&
        (atProvider(m).listeners?.length ?? 0) === 2,
    );
    const lb = await mustFindLb(awsName("recreate"));
    assert.notEqual(lb.LoadBalancerArn, oldArn);
    assert.equal(atProvider(mr).arn, lb.LoadBalancerArn);
    assert.ok(historyHas(mr, "Recreated", "(resource)"), JSON.stringify(mr.status?.drift));
    const listeners = await listenersOf(lb.LoadBalancerArn ?? "");
    assert.deepEqual(listeners.map((l) => l.Port).sort(), [80, 8080]);
    const tg = await findTargetGroup(tgName("recreate"));
    assert.equal(
      listeners.find((l) => l.Port === 80)?.DefaultActions?.[0]?.TargetGroupArn,
      tg?.TargetGroupArn,
    );
    assert.equal((await attributesOf(lb.LoadBalancerArn ?? ""))[IDLE_TIMEOUT], "60");
    assert.equal((await tagsOf(lb.LoadBalancerArn ?? ""))[Tags.uid], mr.metadata.uid);
    assert.ok((await lbs.events("recreate")).some((e) => e.reason === "ExternalResourceRecreated"));
  });

  it("with managementPolicies Observe an out-of-band change is reported and left in place", async () => {
    await readyLb("observe");
    await lbs.patch("observe", { spec: { managementPolicies: ["Observe"] } });
    await waitForLb(
      lbs,
      "observe",
      "the policy change to be reconciled",
      (m) => m?.status?.observedGeneration === m?.metadata.generation,
    );
    const arn = (await mustFindLb(awsName("observe"))).LoadBalancerArn ?? "";
    await elb.send(
      new ModifyLoadBalancerAttributesCommand({
        LoadBalancerArn: arn,
        Attributes: [{ Key: IDLE_TIMEOUT, Value: "300" }],
      }),
    );
    const mr = await lbs.waitForCondition("observe", "Drifted", "True");
    assert.deepEqual(mr.status?.drift?.fields, [{ path: IDLE_TIMEOUT_PATH, desired: "60", observed: "300" }]);
    assert.ok(historyHas(mr, "Reported", IDLE_TIMEOUT_PATH));
    await sleep(2500);
    assert.equal((await attributesOf(arn))[IDLE_TIMEOUT], "300", "Observe mode must not correct");
    assert.equal((await lbs.get("observe"))?.status?.drift?.corrections, 0);
  });

  it("deleting a resource with deletionPolicy Orphan leaves the load balancer in the cloud", async () => {
    await readyLb("orphan", { deletionPolicy: "Orphan" });
    await cleanUp("orphan");
    const lb = await mustFindLb(awsName("orphan"));
    assert.equal((await listenersOf(lb.LoadBalancerArn ?? "")).length, 1);
    assert.ok(await findTargetGroup(tgName("orphan")), "the target group is kept too");
    assert.ok((await lbs.events("orphan")).some((e) => e.reason === "OrphanedExternalResource"));
  });

  it("deleting a resource deletes the load balancer and its target groups, then releases it", async () => {
    await readyLb("delete", { extraListeners: [fixedResponse8080] });
    assert.equal((await targetGroupsOwnedBy(`${ns.name}/delete`)).length, 1);
    await cleanUp("delete");
    assert.equal(await findLb(awsName("delete")), undefined, "no load balancer is left");
    assert.equal(await findTargetGroup(tgName("delete")), undefined, "no target group is left");
    assert.deepEqual(await targetGroupsOwnedBy(`${ns.name}/delete`), [], "no target group of ours leaked");
  });

  it("deleting a resource whose load balancer is already gone still deletes its target groups", async () => {
    // A policy without Create keeps the engine from recreating the load balancer in between.
    await readyLb("gone-first");
    await lbs.patch("gone-first", { spec: { managementPolicies: ["Observe", "Update", "Delete"] } });
    await waitForLb(
      lbs,
      "gone-first",
      "the policy change to be reconciled",
      (m) => m?.status?.observedGeneration === m?.metadata.generation,
    );
    const lb = await mustFindLb(awsName("gone-first"));
    await elb.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: lb.LoadBalancerArn }));
    await lbs.waitForCondition("gone-first", "Drifted", "True", { reason: "ExternalResourceMissing" });
    assert.ok(await findTargetGroup(tgName("gone-first")), "the target group outlived its load balancer");
    await lbs.delete("gone-first");
    await lbs.waitUntilGone("gone-first", 15_000);
    assert.equal(await findTargetGroup(tgName("gone-first")), undefined, "no target group is left");
  });

  it("a load balancer of the derived name owned by someone else is refused and left untouched", async () => {
    const name = awsName("foreign");
    const foreignTags = { [Tags.owner]: "other/foreign", [Tags.uid]: "someone-else" };
    const created = await elb.send(
      new CreateLoadBalancerCommand({
        Name: name,
        Type: "application",
        Scheme: "internal",
        Subnets: [...SEED_SUBNET_IDS],
        SecurityGroups: [SEED_SECURITY_GROUP_ID],
        Tags: Object.entries(foreignTags).map(([Key, Value]) => ({ Key, Value })),
      }),
    );
    const arn = created.LoadBalancers?.[0]?.LoadBalancerArn ?? "";
    const attrsBefore = await attributesOf(arn);
    try {
      made.add("foreign");
      await lbs.create("foreign", albSpec());
      const mr = await lbs.waitForCondition("foreign", "Synced", "False", { reason: "ReconcileTerminal" });
      assert.match(condition(mr, "Synced")?.message ?? "", /owned by other\/foreign/);
      assert.ok((await lbs.events("foreign")).some((e) => e.reason === "CannotManageExternalResource"));
      await sleep(2500); // past a retry of the terminal error
      const all = (await elb.send(new DescribeLoadBalancersCommand({ Names: [name] }))).LoadBalancers ?? [];
      assert.equal(all.length, 1, "no second load balancer of the same name");
      assert.equal(all[0]?.Scheme, "internal");
      assert.deepEqual(await tagsOf(arn), foreignTags);
      assert.deepEqual(await listenersOf(arn), []);
      assert.deepEqual(await attributesOf(arn), attrsBefore);
      assert.equal(await findTargetGroup(tgName("foreign")), undefined, "no target group was made");
      // The custom resource may go; what is not ours stays.
      await cleanUp("foreign");
      assert.ok(await findLb(name), "the foreign load balancer survives the custom resource's deletion");
    } finally {
      await elb.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: arn })).catch(() => {});
    }
  });

  it("a network load balancer with security groups is rejected at admission with a clear message", async () => {
    await assert.rejects(
      lbs.create("nlb-sg", {
        forProvider: {
          type: "network",
          subnets: [...SEED_SUBNET_IDS],
          securityGroups: [SEED_SECURITY_GROUP_ID],
        },
      }),
      (err: { body?: string }) =>
        /securityGroups are supported only for application load balancers/.test(String(err.body ?? err)),
    );
    assert.equal(await lbs.get("nlb-sg"), undefined);
  });

  it("changing the scheme is rejected at admission as immutable", async () => {
    // Paused: the engine leaves it alone, so the test needs no cloud resources.
    await lbs.create("scheme", albSpec(), { [Annotations.paused]: "true" });
    try {
      await assert.rejects(
        lbs.patch("scheme", { spec: { forProvider: { scheme: "internal" } } }),
        (err: { body?: string }) => /scheme cannot change/.test(String(err.body ?? err)),
      );
      const kept = (await lbs.get("scheme"))?.spec.forProvider as { scheme?: string } | undefined;
      assert.equal(kept?.scheme, "internet-facing");
    } finally {
      await cleanUp("scheme");
    }
  });
});

describe("LoadBalancer polls observe steady load balancers in batches", { timeout: 120_000 }, () => {
  const ns = useNamespace("lbbatch");
  let manager: Manager;
  let lbs: Objects;
  const names = ["a", "b", "c", "d"];

  before(async () => {
    await installAwsProviderConfig();
    // Polls are due every ~1s and swept every 2s: each sweep finds every load balancer due.
    manager = await startAwsEngine(ns.name, {
      poll: { ...FAST_POLL, steadyMs: 1000 },
      sweep: { intervalMs: 2000 },
    });
    lbs = new Objects(LoadBalancerKind, ns.name);
  });

  after(async () => {
    // The load balancers are left to the emulator, which goes with the run:
    // deleting them through the budgeted engine would cost more than the test.
    await manager?.stop();
  });

  it("steady polls use batched DescribeLoadBalancers and DescribeTags calls and change nothing", async () => {
    await Promise.all(names.map((n) => lbs.create(n, albSpec())));
    await Promise.all(
      names.map((n) =>
        waitForLb(
          lbs,
          n,
          `LoadBalancer ${n} to be Ready`,
          (m) => condition(m, "Ready")?.status === "True" && (atProvider(m).listeners?.length ?? 0) === 1,
        ),
      ),
    );
    // Let every resource settle into the sweeper.
    await sleep(2000);
    const m = manager.metrics;
    const calls = (operation: string) =>
      m.total("setpoint_cloud_api_calls_total", { service: "elbv2", operation });
    const snapshot = async () => ({
      sweeps: await m.total("setpoint_poll_sweep_batches_total", { kind: "LoadBalancer", result: "success" }),
      reconciles: await m.total("setpoint_reconcile_total", { kind: "LoadBalancer" }),
      describeLbs: await calls("DescribeLoadBalancers"),
      describeTags: await calls("DescribeTags"),
      describeAttributes: await calls("DescribeLoadBalancerAttributes"),
      all: await m.total("setpoint_cloud_api_calls_total", { service: "elbv2" }),
      statusWrites: await m.total("setpoint_status_writes_total", { kind: "LoadBalancer" }),
    });
    const start = await snapshot();
    const mutatingBefore = await mutatingCalls(manager);
    await sleep(6000);
    const end = await snapshot();

    const sweeps = end.sweeps - start.sweeps;
    const polls = end.reconciles - start.reconciles;
    const describeLbs = end.describeLbs - start.describeLbs;
    const describeTags = end.describeTags - start.describeTags;
    const detail = JSON.stringify({ start, end });
    assert.ok(sweeps >= 2, `several sweeps ran: ${detail}`);
    assert.ok(polls >= 2 * names.length, `every load balancer was polled at least twice: ${detail}`);
    assert.equal(describeLbs, sweeps, `one DescribeLoadBalancers per batch: ${detail}`);
    assert.equal(describeTags, sweeps, `one DescribeTags per batch: ${detail}`);
    assert.ok(describeLbs * 2 <= polls, `a batch observes several load balancers: ${detail}`);
    // Attributes have no batched describe: one call per load balancer whose spec sets some.
    const describeAttributes = end.describeAttributes - start.describeAttributes;
    assert.ok(describeAttributes <= polls, `at most one attributes describe per poll: ${detail}`);
    assert.ok(
      end.all - start.all - describeAttributes <= 4 * sweeps,
      `otherwise a batch costs DescribeLoadBalancers, DescribeTags, DescribeTargetGroups and DescribeListeners: ${detail}`,
    );
    assert.equal(await mutatingCalls(manager), mutatingBefore, "no mutating calls while in sync");
    assert.equal(end.statusWrites, start.statusWrites, "no status writes while in sync");
  });

  it("a load balancer deleted out of band is found missing by a batch and recreated; the rest stay in sync", async () => {
    const [gone, ...rest] = names as [string, ...string[]];
    const before = await lbs.get(gone);
    const sweepsBefore = await manager.metrics.total("setpoint_poll_sweep_batches_total", {
      kind: "LoadBalancer",
      result: "success",
    });
    await elb.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: atProvider(before).arn }));
    const mr = await waitForLb(
      lbs,
      gone,
      `LoadBalancer ${gone} to be recreated`,
      (m) => m.status?.drift?.recreations === 1 && condition(m, "Ready")?.status === "True",
    );
    assert.notEqual(atProvider(mr).arn, atProvider(before).arn);
    const failedSweeps = await manager.metrics.total("setpoint_poll_sweep_batches_total", {
      kind: "LoadBalancer",
      result: "error",
    });
    assert.equal(failedSweeps, 0, "a missing load balancer does not fail the batch");
    assert.ok(
      (await manager.metrics.total("setpoint_poll_sweep_batches_total", {
        kind: "LoadBalancer",
        result: "success",
      })) > sweepsBefore,
    );
    for (const n of rest) {
      const other = await lbs.get(n);
      assert.equal(other?.status?.drift?.recreations, 0, `${n} was not recreated`);
      assert.equal(condition(other, "Ready")?.status, "True", `${n} stays Ready`);
    }
  });
});

async function mutatingCalls(manager: Manager): Promise<number> {
  const metric = await manager.metrics.registry.getSingleMetric("setpoint_cloud_api_calls_total")?.get();
  return (metric?.values ?? [])
    .filter((v) => v.labels.service === "elbv2" && !String(v.labels.operation).startsWith("Describe"))
    .reduce((sum, v) => sum + v.value, 0);
}

describe("LoadBalancer spec changes racing a batched poll", { timeout: 60_000 }, () => {
  const ns = useNamespace("lbrace");
  let lbs: Objects;
  let manager: Manager | undefined;

  before(async () => {
    await installAwsProviderConfig();
    lbs = new Objects(LoadBalancerKind, ns.name);
  });

  after(async () => {
    await manager?.stop();
  });

  it("a spec change that lands while a batched observation waits for a worker is applied as a spec change", async () => {
    // Set up with a fast engine, then hand over to one whose queue starts at
    // most one reconcile per 2.5s: a swept observation then waits in the
    // queue long enough for a spec change to land before a worker takes it.
    manager = await startAwsEngine(ns.name);
    await lbs.create("race", albSpec());
    await waitForLb(
      lbs,
      "race",
      "LoadBalancer race to be Ready",
      (m) => condition(m, "Ready")?.status === "True" && (atProvider(m).listeners?.length ?? 0) === 1,
    );
    await manager.stop();
    manager = await startAwsEngine(ns.name, { rateLimit: { qps: 0.4, burst: 1 } });
    const slow = manager;
    const sweeps = () =>
      slow.metrics.total("setpoint_poll_sweep_batches_total", { kind: "LoadBalancer", result: "success" });
    await waitFor(sweeps, { what: "a batched poll", intervalMs: 5, until: (n) => n >= 1 });
    await lbs.patch("race", { spec: albSpec({ attributes: { [IDLE_TIMEOUT]: "120" } }) });

    const arn = (await mustFindLb(deriveLoadBalancerName(ns.name, "race"))).LoadBalancerArn ?? "";
    await waitFor(() => attributesOf(arn), {
      what: "the idle timeout to be 120",
      until: (a) => a[IDLE_TIMEOUT] === "120",
    });
    const mr = await waitForLb(
      lbs,
      "race",
      "the change to be reconciled",
      (m) =>
        m?.status?.observedGeneration === m?.metadata.generation && condition(m, "Synced")?.status === "True",
    );
    const events = await lbs.events("race");
    assert.equal(
      mr.status?.drift?.corrections,
      0,
      `a spec change is not drift: ${JSON.stringify(mr.status?.drift)}`,
    );
    assert.ok(!events.some((e) => e.reason === "DriftDetected"), `events: ${JSON.stringify(events)}`);
    assert.ok(
      events.some((e) => e.reason === "UpdatedExternalResource" && e.message.includes(IDLE_TIMEOUT_PATH)),
    );
  });
});
