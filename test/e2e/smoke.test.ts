// Smoke test of the e2e environment itself: the API server serves CRDs and watches, and moto answers the
// RDS and ELBv2 calls the controller relies on, on the seeded network.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  CreateLoadBalancerCommand,
  DescribeLoadBalancersCommand,
  ElasticLoadBalancingV2Client,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { CreateDBInstanceCommand, DescribeDBInstancesCommand, RDSClient } from "@aws-sdk/client-rds";
import {
  ApiextensionsV1Api,
  CustomObjectsApi,
  type V1CustomResourceDefinition,
} from "@kubernetes/client-node";
import {
  awsClientConfig,
  openWatch,
  resetMoto,
  SEED_DB_SUBNET_GROUP,
  SEED_SECURITY_GROUP_ID,
  SEED_SUBNET_IDS,
  SEED_VPC_ID,
  testKubeConfig,
  useNamespace,
  waitFor,
} from "../support/env.ts";

const GROUP = "smoke.setpoint.dev";
const VERSION = "v1";
const PLURAL = "widgets";
const CRD_NAME = `${PLURAL}.${GROUP}`;

const widgetCrd: V1CustomResourceDefinition = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: CRD_NAME },
  spec: {
    group: GROUP,
    scope: "Namespaced",
    names: { plural: PLURAL, singular: "widget", kind: "Widget", listKind: "WidgetList" },
    versions: [
      {
        name: VERSION,
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: {
            type: "object",
            properties: {
              spec: {
                type: "object",
                properties: { size: { type: "integer", minimum: 1 }, color: { type: "string" } },
                required: ["size"],
              },
            },
          },
        },
      },
    ],
  },
};

interface Widget {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; uid?: string };
  spec: { size: number; color?: string };
}

describe("the kube-apiserver of the e2e environment", () => {
  const ns = useNamespace("smoke");
  const kc = testKubeConfig();
  const ext = kc.makeApiClient(ApiextensionsV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);

  before(async () => {
    await ext.createCustomResourceDefinition({ body: widgetCrd });
  });
  after(async () => {
    await ext.deleteCustomResourceDefinition({ name: CRD_NAME }).catch(() => {});
  });

  it("establishes a CRD, then delivers a created custom resource through a real watch", async () => {
    await waitFor(() => ext.readCustomResourceDefinition({ name: CRD_NAME }), {
      what: `CRD ${CRD_NAME} to be Established`,
      until: (crd) => !!crd.status?.conditions?.some((c) => c.type === "Established" && c.status === "True"),
    });

    const seen: Array<{ phase: string; obj: Widget }> = [];
    const watch = await openWatch(
      kc,
      `/apis/${GROUP}/${VERSION}/namespaces/${ns.name}/${PLURAL}`,
      (phase, obj) => seen.push({ phase, obj: obj as Widget }),
      { what: "the widgets watch to open" },
    );
    try {
      const body: Widget = {
        apiVersion: `${GROUP}/${VERSION}`,
        kind: "Widget",
        metadata: { name: "w1" },
        spec: { size: 3, color: "teal" },
      };
      const created = (await custom.createNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: ns.name,
        plural: PLURAL,
        body,
      })) as Widget;
      assert.ok(created.metadata.uid, "the API server assigns a uid");

      const event = await waitFor(
        () => {
          const e = seen.find((e) => e.obj.metadata.name === "w1");
          if (!e && watch.endedWith !== undefined) throw new Error(`watch ended: ${String(watch.endedWith)}`);
          return e;
        },
        {
          what: `an ADDED event for widget w1 in ${ns.name}`,
          timeoutMs: 10_000,
          intervalMs: 50,
        },
      );
      assert.ok(event);
      assert.equal(event.phase, "ADDED");
      assert.equal(event.obj.metadata.namespace, ns.name);
      assert.equal(event.obj.metadata.uid, created.metadata.uid);
      assert.deepEqual(event.obj.spec, { size: 3, color: "teal" });
    } finally {
      watch.stop();
    }
  });

  it("rejects a custom resource that breaks the CRD schema", async () => {
    await assert.rejects(
      custom.createNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: ns.name,
        plural: PLURAL,
        body: {
          apiVersion: `${GROUP}/${VERSION}`,
          kind: "Widget",
          metadata: { name: "bad" },
          spec: { size: 0 },
        },
      }),
      (err: unknown) => {
        assert.equal((err as { code?: number }).code, 422);
        return true;
      },
    );
  });
});

describe("the moto of the e2e environment", () => {
  const rds = new RDSClient(awsClientConfig());
  const elb = new ElasticLoadBalancingV2Client(awsClientConfig());

  before(async () => {
    const seed = await resetMoto();
    assert.equal(seed.vpcId, SEED_VPC_ID, "reset re-seeds the same fixed VPC id");
  });
  after(() => {
    rds.destroy();
    elb.destroy();
  });

  it("creates and describes an RDS instance in the seeded DB subnet group", async () => {
    await rds.send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: "smoke-db",
        Engine: "postgres",
        EngineVersion: "16.3",
        DBInstanceClass: "db.t3.micro",
        AllocatedStorage: 20,
        MasterUsername: "setpoint",
        MasterUserPassword: "not-a-secret-smoke-only",
        DBName: "app",
        DBSubnetGroupName: SEED_DB_SUBNET_GROUP,
        VpcSecurityGroupIds: [SEED_SECURITY_GROUP_ID],
      }),
    );
    const out = await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: "smoke-db" }));
    assert.equal(out.DBInstances?.length, 1);
    const db = out.DBInstances?.[0];
    assert.equal(db?.DBInstanceIdentifier, "smoke-db");
    assert.equal(db?.DBInstanceStatus, "available");
    assert.equal(db?.Engine, "postgres");
    assert.equal(db?.EngineVersion, "16.3");
    assert.equal(db?.AllocatedStorage, 20);
    assert.equal(db?.DBName, "app");
    assert.equal(db?.Endpoint?.Port, 5432);
    assert.match(db?.Endpoint?.Address ?? "", /^smoke-db\./);
    assert.equal(db?.DBSubnetGroup?.DBSubnetGroupName, SEED_DB_SUBNET_GROUP);
    assert.equal(db?.DBSubnetGroup?.VpcId, SEED_VPC_ID);
    assert.deepEqual(
      db?.DBSubnetGroup?.Subnets?.map((s) => s.SubnetIdentifier).sort(),
      [...SEED_SUBNET_IDS].sort(),
    );
    assert.deepEqual(
      db?.VpcSecurityGroups?.map((g) => g.VpcSecurityGroupId),
      [SEED_SECURITY_GROUP_ID],
    );
  });

  it("creates and describes an application load balancer on the seeded subnets", async () => {
    const created = await elb.send(
      new CreateLoadBalancerCommand({
        Name: "smoke-alb",
        Type: "application",
        Scheme: "internet-facing",
        Subnets: [...SEED_SUBNET_IDS],
        SecurityGroups: [SEED_SECURITY_GROUP_ID],
      }),
    );
    const arn = created.LoadBalancers?.[0]?.LoadBalancerArn;
    assert.match(arn ?? "", /^arn:aws:elasticloadbalancing:us-east-1:\d{12}:loadbalancer\/app\/smoke-alb\//);

    const out = await elb.send(new DescribeLoadBalancersCommand({ Names: ["smoke-alb"] }));
    assert.equal(out.LoadBalancers?.length, 1);
    const lb = out.LoadBalancers?.[0];
    assert.equal(lb?.LoadBalancerArn, arn);
    assert.equal(lb?.Type, "application");
    assert.equal(lb?.Scheme, "internet-facing");
    assert.equal(lb?.VpcId, SEED_VPC_ID);
    assert.deepEqual(lb?.SecurityGroups, [SEED_SECURITY_GROUP_ID]);
    assert.deepEqual(lb?.AvailabilityZones?.map((az) => az.SubnetId).sort(), [...SEED_SUBNET_IDS].sort());
    assert.deepEqual(lb?.AvailabilityZones?.map((az) => az.ZoneName).sort(), ["us-east-1a", "us-east-1b"]);
    assert.match(lb?.DNSName ?? "", /^smoke-alb-\d+\.us-east-1\.elb\.amazonaws\.com$/);
    assert.ok(["provisioning", "active"].includes(lb?.State?.Code ?? ""), `state ${lb?.State?.Code}`);
  });
});
