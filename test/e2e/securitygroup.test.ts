// SecurityGroup and DBSubnetGroup on their own, end to end: the real engine
// against a real kube-apiserver and moto, through a fault proxy that counts
// every AWS call. The cloud is changed behind the engine's back.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { AuthorizeSecurityGroupIngressCommand } from "@aws-sdk/client-ec2";
import {
  AddTagsToResourceCommand,
  ListTagsForResourceCommand,
  RemoveTagsFromResourceCommand,
} from "@aws-sdk/client-rds";
import { DBSubnetGroupKind } from "../../apis/aws/v1alpha1/dbsubnetgroup.ts";
import { SecurityGroupKind } from "../../apis/aws/v1alpha1/securitygroup.ts";
import { Tags } from "../../controller/api/index.ts";
import type { Manager } from "../../controller/manager/index.ts";
import { deriveGroupName } from "../../providers/aws/ec2/index.ts";
import { deriveSubnetGroupName } from "../../providers/aws/rds/subnet-group/index.ts";
import { installAwsProviderConfig, startAwsEngine } from "../support/aws.ts";
import { AwsFaultProxy } from "../support/aws-fault-proxy.ts";
import { condition, Objects } from "../support/engine.ts";
import { awsEndpoint, SEED_SUBNET_IDS, useNamespace, waitFor } from "../support/env.ts";
import {
  dbSecurityGroupSpec,
  ec2,
  rds,
  ruleLines,
  securityGroupNamed,
  subnetGroupNamed,
  subnetGroupSpec,
} from "../support/stack.ts";

const PC = "security-groups";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("SecurityGroup and DBSubnetGroup end to end (kube-apiserver, moto, the real engine)", {
  timeout: 180_000,
}, () => {
  const ns = useNamespace("sg");
  let proxy: AwsFaultProxy;
  let manager: Manager;
  let sgs: Objects;
  let nets: Objects;

  before(async () => {
    proxy = await AwsFaultProxy.start({ target: awsEndpoint() });
    await installAwsProviderConfig(PC, { endpoint: proxy.url });
    manager = await startAwsEngine(ns.name);
    sgs = new Objects(SecurityGroupKind, ns.name);
    nets = new Objects(DBSubnetGroupKind, ns.name);
  });

  after(async () => {
    await manager?.stop();
    await proxy?.close();
  });

  it("removes AWS's default egress rule at create when the spec says egress: [], and reports no drift after", async () => {
    await sgs.create("closed", dbSecurityGroupSpec(PC, { egress: [] }));
    await sgs.waitForCondition("closed", "Ready", "True");
    await sleep(3000);
    const mr = await sgs.get("closed");
    assert.equal(mr?.status?.drift?.corrections ?? 0, 0, "a new group is not drift");
    const group = await securityGroupNamed(deriveGroupName(ns.name, "closed"));
    assert.deepEqual(ruleLines(group?.IpPermissionsEgress), []);
    const tags = Object.fromEntries((group?.Tags ?? []).map((t) => [t.Key, t.Value]));
    assert.equal(tags[Tags.owner], `${ns.name}/closed`);
    assert.equal(tags[Tags.uid], mr?.metadata.uid);
  });

  it("only reports a rule added out of band to an Observe-only group, and sends EC2 nothing that changes it", async () => {
    await sgs.create("watched", dbSecurityGroupSpec(PC));
    const created = await sgs.waitForCondition("watched", "Ready", "True");
    await sgs.patch("watched", { spec: { managementPolicies: ["Observe"] } });
    await waitFor(() => sgs.get("watched"), {
      what: "the Observe-only spec to be observed",
      until: (m) => m?.status?.observedGeneration === m?.metadata.generation,
    });
    const groupId = (created.status?.atProvider as { groupId?: string } | undefined)?.groupId;
    const mark = proxy.mark();
    await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: groupId,
        IpPermissions: [{ IpProtocol: "tcp", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "0.0.0.0/0" }] }],
      }),
    );
    const reported = await sgs.waitForCondition("watched", "Drifted", "True");
    assert.deepEqual(
      reported.status?.drift?.fields.map((f) => f.path),
      ["forProvider.ingress[tcp/22 from 0.0.0.0/0]"],
    );
    await sleep(2000);
    const group = await securityGroupNamed(deriveGroupName(ns.name, "watched"));
    assert.ok(ruleLines(group?.IpPermissions).includes("tcp/22-22 0.0.0.0/0"), "the rule was left in place");
    assert.deepEqual(
      proxy.callsSince(mark, (c) => c.mutating).map((c) => c.action),
      [],
    );
  });

  it("leaves the group in EC2, tags and all, when deleted with deletionPolicy Orphan", async () => {
    await sgs.create("kept", { ...dbSecurityGroupSpec(PC), deletionPolicy: "Orphan" });
    await sgs.waitForCondition("kept", "Ready", "True");
    await sgs.delete("kept");
    await sgs.waitUntilGone("kept");
    const group = await securityGroupNamed(deriveGroupName(ns.name, "kept"));
    assert.ok(group, "the group stays");
    assert.ok(group.Tags?.some((t) => t.Key === Tags.owner && t.Value === `${ns.name}/kept`));
  });

  // Tags, not subnets: moto's ModifyDBSubnetGroup loses the group (localstack/README.md).
  it("removes a tag added to a DB subnet group out of band and restores one removed", async () => {
    await nets.create("net", {
      ...subnetGroupSpec(PC),
      forProvider: { ...subnetGroupSpec(PC).forProvider, tags: { team: "orders" } },
    });
    const ready = await nets.waitForCondition("net", "Ready", "True");
    const arn = (ready.status?.atProvider as { arn?: string } | undefined)?.arn;
    assert.ok(arn);
    await rds.send(
      new AddTagsToResourceCommand({ ResourceName: arn, Tags: [{ Key: "rogue", Value: "yes" }] }),
    );
    await rds.send(new RemoveTagsFromResourceCommand({ ResourceName: arn, TagKeys: ["team"] }));
    const fixed = await waitFor(() => nets.get("net"), {
      what: "the tag drift to be corrected",
      until: (m) => {
        const fields = (m?.status?.drift?.history ?? [])
          .filter((h) => h.action === "Corrected")
          .flatMap((h) => h.fields);
        return fields.includes('forProvider.tags["rogue"]') && fields.includes('forProvider.tags["team"]');
      },
    });
    assert.equal(condition(fixed, "Drifted")?.status, "False");
    const tags = await rds.send(new ListTagsForResourceCommand({ ResourceName: arn }));
    const map = Object.fromEntries((tags.TagList ?? []).map((t) => [t.Key, t.Value]));
    assert.equal(map.team, "orders");
    assert.equal(map.rogue, undefined);
    assert.equal(map[Tags.owner], `${ns.name}/net`);
    const group = await subnetGroupNamed(deriveSubnetGroupName(ns.name, "net"));
    assert.deepEqual(group?.Subnets?.map((s) => s.SubnetIdentifier).sort(), [...SEED_SUBNET_IDS].sort());
  });

  it("deletes what it made: the groups are gone from EC2 and RDS", async () => {
    for (const name of ["closed", "watched"]) await sgs.delete(name);
    await nets.delete("net");
    // watched is Observe-only: it may go, but its group stays (the policy does not allow Delete).
    await sgs.waitUntilGone("closed");
    await sgs.waitUntilGone("watched");
    await nets.waitUntilGone("net");
    assert.equal(await securityGroupNamed(deriveGroupName(ns.name, "closed")), undefined);
    assert.ok(await securityGroupNamed(deriveGroupName(ns.name, "watched")), "Observe-only leaves it");
    assert.equal(await subnetGroupNamed(deriveSubnetGroupName(ns.name, "net")), undefined);
  });
});
