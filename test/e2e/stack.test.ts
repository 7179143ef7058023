// The stack end to end: SecurityGroup, DBSubnetGroup, SqlInstance and
// LoadBalancer referring to each other, with the real engine against a real
// kube-apiserver and moto. Each ProviderConfig points at a fault proxy of its
// own in front of moto, so "no cloud call" is counted, not assumed. The
// cloud is read and changed behind the engine's back through the AWS API.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  AuthorizeSecurityGroupIngressCommand,
  DeleteSecurityGroupCommand,
  RevokeSecurityGroupIngressCommand,
} from "@aws-sdk/client-ec2";
import { DBSubnetGroupKind } from "../../apis/aws/v1alpha1/dbsubnetgroup.ts";
import { LoadBalancerKind } from "../../apis/aws/v1alpha1/loadbalancer.ts";
import { SecurityGroupKind } from "../../apis/aws/v1alpha1/securitygroup.ts";
import { SqlInstanceKind } from "../../apis/aws/v1alpha1/sqlinstance.ts";
import { readManifests } from "../../cli/apply.ts";
import { LOCAL_REF_NAMESPACE_MESSAGE, type Managed } from "../../controller/api/index.ts";
import type { Manager } from "../../controller/manager/index.ts";
import { ROOT } from "../../deploy/generate.ts";
import { deriveGroupName } from "../../providers/aws/ec2/index.ts";
import { deriveLoadBalancerName } from "../../providers/aws/elbv2/names.ts";
import { deriveIdentifier } from "../../providers/aws/rds/index.ts";
import { deriveSubnetGroupName } from "../../providers/aws/rds/subnet-group/index.ts";
import { rejection } from "../support/admission.ts";
import { installAwsProviderConfig, startAwsEngine } from "../support/aws.ts";
import { AwsFaultProxy } from "../support/aws-fault-proxy.ts";
import { condition, Objects } from "../support/engine.ts";
import { awsEndpoint, useNamespace, waitFor } from "../support/env.ts";
import { type KubeObject, kubeRequest, objectPath } from "../support/kube-http.ts";
import {
  APP_CIDR,
  dbSecurityGroupSpec,
  ec2,
  instanceNamed,
  loadBalancerNamed,
  loadBalancerSpec,
  ruleLines,
  securityGroupNamed,
  sqlSpec,
  subnetGroupNamed,
  subnetGroupSpec,
  webSecurityGroupSpec,
} from "../support/stack.ts";

const PC = "stack";
const DANGLING_PC = "stack-dangling";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const groupIdOf = (mr: Managed | undefined) =>
  (mr?.status?.atProvider as { groupId?: string } | undefined)?.groupId;

describe("a stack of resources referring to each other (kube-apiserver, moto, the real engine)", {
  timeout: 300_000,
}, () => {
  const ns = useNamespace("stack");
  let proxy: AwsFaultProxy;
  let danglingProxy: AwsFaultProxy;
  let manager: Manager;
  let sgs: Objects;
  let nets: Objects;
  let sql: Objects;
  let lbs: Objects;

  before(async () => {
    proxy = await AwsFaultProxy.start({ target: awsEndpoint() });
    danglingProxy = await AwsFaultProxy.start({ target: awsEndpoint() });
    await installAwsProviderConfig(PC, { endpoint: proxy.url });
    await installAwsProviderConfig(DANGLING_PC, { endpoint: danglingProxy.url });
    manager = await startAwsEngine(ns.name);
    sgs = new Objects(SecurityGroupKind, ns.name);
    nets = new Objects(DBSubnetGroupKind, ns.name);
    sql = new Objects(SqlInstanceKind, ns.name);
    lbs = new Objects(LoadBalancerKind, ns.name);
  });

  after(async () => {
    await manager?.stop();
    console.log(`[stack] calls through the proxy: ${JSON.stringify(proxy?.stats().callsByAction)}`);
    await proxy?.close();
    await danglingProxy?.close();
  });

  const ready = (objects: Objects, name: string) =>
    waitFor(() => objects.get(name), {
      what: `${name} to be Ready and Synced at its latest generation`,
      timeoutMs: 60_000,
      until: (m) =>
        condition(m, "Ready")?.status === "True" &&
        condition(m, "Synced")?.status === "True" &&
        m?.status?.observedGeneration === m?.metadata.generation,
    }) as Promise<Managed>;

  it("converges when applied in reverse order, and calls the cloud for nothing until its references resolve", async () => {
    await lbs.create("web", loadBalancerSpec(PC, ["web-sg"]));
    await sql.create("orders-db", sqlSpec(PC, { subnetGroup: "db-subnets", securityGroups: ["db-sg"] }));
    const waiting = await sql.waitForCondition("orders-db", "Synced", "False", {
      reason: "ReferenceNotReady",
    });
    const message = condition(waiting, "Synced")?.message ?? "";
    assert.match(message, /^cannot resolve references: waiting for /);
    assert.ok(message.includes(`DBSubnetGroup ${ns.name}/db-subnets (not found)`), message);
    assert.ok(message.includes(`SecurityGroup ${ns.name}/db-sg (not found)`), message);
    await lbs.waitForCondition("web", "Synced", "False", { reason: "ReferenceNotReady" });
    await sleep(1000);
    assert.equal(proxy.stats().calls, 0, "no AWS call was made while the references were unresolved");
    const events = await sql.events("orders-db");
    assert.ok(
      events.some((e) => e.reason === "CannotResolveResourceReferences" && e.message.includes("db-sg")),
    );

    await nets.create("db-subnets", subnetGroupSpec(PC));
    await sgs.create("db-sg", dbSecurityGroupSpec(PC));
    await sgs.create("web-sg", webSecurityGroupSpec(PC));

    const dbSg = await ready(sgs, "db-sg");
    const webSg = await ready(sgs, "web-sg");
    const db = await ready(sql, "orders-db");
    await ready(lbs, "web");
    await ready(nets, "db-subnets");

    const fp = db.spec.forProvider as { dbSubnetGroupName?: string; vpcSecurityGroupIds?: string[] };
    assert.equal(fp.dbSubnetGroupName, deriveSubnetGroupName(ns.name, "db-subnets"));
    assert.deepEqual(fp.vpcSecurityGroupIds, [groupIdOf(dbSg)]);
    const inst = await instanceNamed(deriveIdentifier(ns.name, "orders-db"));
    assert.equal(inst?.DBSubnetGroup?.DBSubnetGroupName, deriveSubnetGroupName(ns.name, "db-subnets"));
    assert.deepEqual(
      inst?.VpcSecurityGroups?.map((g) => g.VpcSecurityGroupId),
      [groupIdOf(dbSg)],
    );
    const lb = await loadBalancerNamed(deriveLoadBalancerName(ns.name, "web"));
    assert.deepEqual(lb?.SecurityGroups, [groupIdOf(webSg)]);
    const group = await securityGroupNamed(deriveGroupName(ns.name, "db-sg"));
    assert.deepEqual(ruleLines(group?.IpPermissions), [`tcp/5432-5432 ${APP_CIDR}`]);
    assert.deepEqual(
      ruleLines(group?.IpPermissionsEgress),
      ["all 0.0.0.0/0"],
      "absent egress is AWS's default",
    );
    assert.equal(db.status?.drift?.corrections ?? 0, 0, "resolving references is not drift");
  });

  it("removes an ingress rule added out of band and restores one deleted out of band, each by its rule path", async () => {
    const groupId = groupIdOf(await sgs.get("db-sg"));
    assert.ok(groupId);
    await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: groupId,
        IpPermissions: [{ IpProtocol: "tcp", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "0.0.0.0/0" }] }],
      }),
    );
    await ec2.send(
      new RevokeSecurityGroupIngressCommand({
        GroupId: groupId,
        IpPermissions: [
          { IpProtocol: "tcp", FromPort: 5432, ToPort: 5432, IpRanges: [{ CidrIp: APP_CIDR }] },
        ],
      }),
    );
    const added = "forProvider.ingress[tcp/22 from 0.0.0.0/0]";
    const deleted = `forProvider.ingress[tcp/5432 from ${APP_CIDR}]`;
    const corrected = await waitFor(() => sgs.get("db-sg"), {
      what: "both rule drifts to be corrected",
      timeoutMs: 30_000,
      until: (m) => {
        const fields = (m?.status?.drift?.history ?? [])
          .filter((h) => h.action === "Corrected")
          .flatMap((h) => h.fields);
        return (
          fields.includes(added) && fields.includes(deleted) && (m?.status?.drift?.fields ?? []).length === 0
        );
      },
    });
    const group = await securityGroupNamed(deriveGroupName(ns.name, "db-sg"));
    assert.deepEqual(ruleLines(group?.IpPermissions), [`tcp/5432-5432 ${APP_CIDR}`]);
    assert.ok((corrected?.status?.drift?.corrections ?? 0) >= 1);
    const events = await sgs.events("db-sg");
    assert.ok(events.some((e) => e.reason === "DriftDetected" && e.message.includes(added)));
  });

  it("hands a security group recreated with a new ID to the SqlInstance and the LoadBalancer as a change, not as drift", async () => {
    const oldDb = groupIdOf(await sgs.get("db-sg"));
    const oldWeb = groupIdOf(await sgs.get("web-sg"));
    const sqlBefore = (await sql.get("orders-db"))?.status?.drift?.corrections ?? 0;
    const lbBefore = (await lbs.get("web"))?.status?.drift?.corrections ?? 0;
    await ec2.send(new DeleteSecurityGroupCommand({ GroupId: oldDb }));
    await ec2.send(new DeleteSecurityGroupCommand({ GroupId: oldWeb }));

    const newDb = await waitFor(async () => groupIdOf(await sgs.get("db-sg")), {
      what: "db-sg to be recreated with a new ID",
      until: (id) => id !== undefined && id !== oldDb,
    });
    const newWeb = await waitFor(async () => groupIdOf(await sgs.get("web-sg")), {
      what: "web-sg to be recreated with a new ID",
      until: (id) => id !== undefined && id !== oldWeb,
    });
    const id = deriveIdentifier(ns.name, "orders-db");
    await waitFor(() => instanceNamed(id), {
      what: "the DB instance to use the new security group",
      until: (inst) => inst?.VpcSecurityGroups?.map((g) => g.VpcSecurityGroupId).join() === newDb,
    });
    await waitFor(() => loadBalancerNamed(deriveLoadBalancerName(ns.name, "web")), {
      what: "the load balancer to use the new security group",
      until: (lb) => lb?.SecurityGroups?.join() === newWeb,
    });
    const db = await ready(sql, "orders-db");
    const web = await ready(lbs, "web");
    assert.deepEqual((db.spec.forProvider as { vpcSecurityGroupIds?: string[] }).vpcSecurityGroupIds, [
      newDb,
    ]);
    assert.equal(db.status?.drift?.corrections ?? 0, sqlBefore, "the SqlInstance counted no drift");
    assert.equal(web.status?.drift?.corrections ?? 0, lbBefore, "the LoadBalancer counted no drift");
    const events = await sql.events("orders-db");
    assert.ok(events.some((e) => e.reason === "ResolvedReferences" && e.message.includes("db-sg")));
    assert.ok(events.some((e) => e.reason === "UpdatedExternalResource"));
    assert.equal((await sgs.get("db-sg"))?.status?.drift?.recreations, 1);
  });

  it("gives a dangling reference Synced=False ReferenceNotReady naming its target, without any cloud call", async () => {
    await sql.create(
      "dangling",
      sqlSpec(DANGLING_PC, { subnetGroup: "no-such-subnets", securityGroups: ["no-such-sg"] }),
    );
    const mr = await sql.waitForCondition("dangling", "Synced", "False", { reason: "ReferenceNotReady" });
    const message = condition(mr, "Synced")?.message ?? "";
    assert.ok(message.includes(`DBSubnetGroup ${ns.name}/no-such-subnets (not found)`), message);
    assert.ok(message.includes(`SecurityGroup ${ns.name}/no-such-sg (not found)`), message);
    await sleep(2000);
    assert.equal(
      danglingProxy.stats().calls,
      0,
      "no AWS call for a resource whose references do not resolve",
    );
    assert.equal(await instanceNamed(deriveIdentifier(ns.name, "dangling")), undefined);
    await sql.delete("dangling");
    await sql.waitUntilGone("dangling");
  });

  it("refuses a reference to a resource served by another ProviderConfig", async () => {
    const mark = danglingProxy.mark();
    await sql.create("cross", sqlSpec(DANGLING_PC, { subnetGroup: "db-subnets", securityGroups: ["db-sg"] }));
    const mr = await sql.waitForCondition("cross", "Synced", "False", { reason: "ReconcileTerminal" });
    assert.match(
      condition(mr, "Synced")?.message ?? "",
      /uses ProviderConfig "stack" while this resource uses "stack-dangling"/,
    );
    assert.deepEqual(danglingProxy.callsSince(mark), [], "no AWS call for a refused reference");
    await sql.delete("cross");
    await sql.waitUntilGone("cross");
  });

  it("admits every object of examples/stack/ as written, under strict field validation (dry run)", async () => {
    const objects = (await readManifests(join(ROOT, "examples", "stack", "stack.yaml"))) as KubeObject[];
    const managed = objects.filter((o) => o.apiVersion.startsWith("aws.setpoint.dev/"));
    assert.deepEqual([...new Set(managed.map((o) => o.kind))].sort(), [
      "DBSubnetGroup",
      "LoadBalancer",
      "SecurityGroup",
      "SqlInstance",
    ]);
    for (const o of managed) {
      // In this test's namespace: the example's own need not exist here.
      const obj = { ...o, metadata: { ...o.metadata, namespace: ns.name } };
      const path = (await objectPath(obj)).replace(/\/[^/]+$/, "");
      const r = await kubeRequest("POST", `${path}?dryRun=All&fieldValidation=Strict`, obj);
      assert.equal(r.status, 201, `${o.kind} ${o.metadata.name}: ${JSON.stringify(r.body)}`);
    }
  });

  it("rejects a reference that names a namespace at admission", async () => {
    const spec = sqlSpec(PC, { subnetGroup: "db-subnets", securityGroups: [] });
    (spec.forProvider as Record<string, unknown>).dbSubnetGroupNameRef = {
      name: "db-subnets",
      namespace: "other",
    };
    const message = await rejection(sql.create("elsewhere", spec));
    assert.match(message, new RegExp(LOCAL_REF_NAMESPACE_MESSAGE.slice(0, 40)));
  });

  it("keeps a referenced security group until its referrers are gone; deleting the stack leaves nothing in AWS", async () => {
    const groupName = deriveGroupName(ns.name, "db-sg");
    await sgs.delete("db-sg");
    const blocked = await sgs.waitForCondition("db-sg", "Synced", "False", { reason: "StillReferenced" });
    assert.ok(condition(blocked, "Synced")?.message?.includes(`SqlInstance ${ns.name}/orders-db`));
    assert.ok(await securityGroupNamed(groupName), "the group stays while the SqlInstance uses it");

    await sql.delete("orders-db");
    await lbs.delete("web");
    await nets.delete("db-subnets");
    await sgs.delete("web-sg");
    for (const [objects, name] of [
      [sql, "orders-db"],
      [lbs, "web"],
      [nets, "db-subnets"],
      [sgs, "web-sg"],
      [sgs, "db-sg"],
    ] as const) {
      await objects.waitUntilGone(name, 60_000);
    }
    assert.equal(await instanceNamed(deriveIdentifier(ns.name, "orders-db")), undefined);
    assert.equal(await loadBalancerNamed(deriveLoadBalancerName(ns.name, "web")), undefined);
    assert.equal(await subnetGroupNamed(deriveSubnetGroupName(ns.name, "db-subnets")), undefined);
    assert.equal(await securityGroupNamed(groupName), undefined);
    assert.equal(await securityGroupNamed(deriveGroupName(ns.name, "web-sg")), undefined);
  });
});
