// The cloud changed behind setpoint's back, straight through the emulator (not through the fault
// proxy), as a person in the console or another tool would: modifications, deleted listeners and
// target groups, deleted load balancers and DB instances. And the foreign fixtures: resources that
// exist before setpoint starts (untagged, and tagged by another owner, two of them holding the names
// of "squatter" custom resources) which it must never touch.
import {
  AddTagsCommand,
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  DeleteListenerCommand,
  DeleteLoadBalancerCommand,
  DeleteTargetGroupCommand,
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeTagsCommand,
  DescribeTargetGroupsCommand,
  type LoadBalancer,
  ModifyLoadBalancerAttributesCommand,
  ModifyTargetGroupCommand,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import {
  AddTagsToResourceCommand,
  CreateDBInstanceCommand,
  type DBInstance,
  DeleteDBInstanceCommand,
  DescribeDBInstancesCommand,
  ModifyDBInstanceCommand,
} from "@aws-sdk/client-rds";
import { Tags } from "../../controller/api/index.ts";
import {
  SEED_DB_SUBNET_GROUP,
  SEED_SECURITY_GROUP_ID,
  SEED_SUBNET_IDS,
  SEED_VPC_ID,
} from "../../localstack/seed.ts";
import { targetGroupAwsName } from "../../providers/aws/elbv2/index.ts";
import type { EmulatorClients, Inventory } from "./inventory.ts";
import type { Rng } from "./rng.ts";
import { IDLE_TIMEOUT } from "./specs.ts";

export const OUT_OF_BAND_CHANGES = [
  "db.modifyStorage",
  "db.modifyClass",
  "db.retag",
  "db.delete",
  "lb.modifyAttribute",
  "lb.modifyHealthCheck",
  "lb.retag",
  "lb.deleteListener",
  "lb.deleteTargetGroup",
  "lb.delete",
] as const;
export type OutOfBandChange = (typeof OUT_OF_BAND_CHANGES)[number];

/** The resource to change: its kind, cloud name and the uid it must carry (never change another's). */
export interface ChangeTarget {
  kind: "SqlInstance" | "LoadBalancer";
  cloudName: string;
  uid: string;
}

const tagList = (tags: Record<string, string>) =>
  Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
const isNotFound = (err: unknown) => /NotFound/.test((err as { name?: string }).name ?? "");

async function changeDb(c: EmulatorClients, rng: Rng, t: ChangeTarget): Promise<OutOfBandChange | undefined> {
  let inst: DBInstance | undefined;
  try {
    inst = (await c.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: t.cloudName })))
      .DBInstances?.[0];
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
  const tags = Object.fromEntries((inst?.TagList ?? []).map((x) => [x.Key, x.Value]));
  if (!inst || tags[Tags.uid] !== t.uid || inst.DBInstanceStatus !== "available") return undefined;
  const change = rng.pick(["db.modifyStorage", "db.modifyClass", "db.retag", "db.delete"] as const);
  const id = t.cloudName;
  if (change === "db.modifyStorage") {
    await c.rds.send(
      new ModifyDBInstanceCommand({
        DBInstanceIdentifier: id,
        AllocatedStorage: (inst.AllocatedStorage ?? 20) + 50,
        ApplyImmediately: true,
      }),
    );
  } else if (change === "db.modifyClass") {
    await c.rds.send(
      new ModifyDBInstanceCommand({
        DBInstanceIdentifier: id,
        DBInstanceClass: "db.m5.large",
        ApplyImmediately: true,
      }),
    );
  } else if (change === "db.retag") {
    await c.rds.send(
      new AddTagsToResourceCommand({
        ResourceName: inst.DBInstanceArn,
        Tags: tagList({ team: "intruder", "out-of-band": "true" }),
      }),
    );
  } else {
    await c.rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: id, SkipFinalSnapshot: true }));
  }
  return change;
}

async function changeLb(c: EmulatorClients, rng: Rng, t: ChangeTarget): Promise<OutOfBandChange | undefined> {
  let lb: LoadBalancer | undefined;
  try {
    lb = (await c.elbv2.send(new DescribeLoadBalancersCommand({ Names: [t.cloudName] }))).LoadBalancers?.[0];
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
  const arn = lb?.LoadBalancerArn;
  if (!arn) return undefined;
  const tagged = (await c.elbv2.send(new DescribeTagsCommand({ ResourceArns: [arn] }))).TagDescriptions?.[0];
  if ((tagged?.Tags ?? []).find((x) => x.Key === Tags.uid)?.Value !== t.uid) return undefined;
  const listeners =
    (await c.elbv2.send(new DescribeListenersCommand({ LoadBalancerArn: arn }))).Listeners ?? [];
  // All target groups, then ours by tag: moto's DescribeTargetGroups by LoadBalancerArn fails for a
  // listener whose forward action is a ForwardConfig, and a group no listener uses is ours too.
  const all = (await c.elbv2.send(new DescribeTargetGroupsCommand({}))).TargetGroups ?? [];
  const groups: typeof all = [];
  for (let i = 0; i < all.length; i += 20) {
    const page = all.slice(i, i + 20);
    const tags = await c.elbv2.send(
      new DescribeTagsCommand({ ResourceArns: page.map((g) => g.TargetGroupArn ?? "") }),
    );
    for (const d of tags.TagDescriptions ?? []) {
      if ((d.Tags ?? []).some((x) => x.Key === Tags.uid && x.Value === t.uid))
        groups.push(...page.filter((g) => g.TargetGroupArn === d.ResourceArn));
    }
  }
  const choices: OutOfBandChange[] = ["lb.modifyAttribute", "lb.retag", "lb.delete"];
  if (listeners.length > 0) choices.push("lb.deleteListener");
  if (groups.length > 0) choices.push("lb.modifyHealthCheck", "lb.deleteTargetGroup");
  const change = rng.pick(choices);
  if (change === "lb.modifyAttribute") {
    await c.elbv2.send(
      new ModifyLoadBalancerAttributesCommand({
        LoadBalancerArn: arn,
        Attributes: [{ Key: IDLE_TIMEOUT, Value: "777" }],
      }),
    );
  } else if (change === "lb.retag") {
    await c.elbv2.send(
      new AddTagsCommand({ ResourceArns: [arn], Tags: tagList({ team: "intruder", "out-of-band": "true" }) }),
    );
  } else if (change === "lb.delete") {
    await c.elbv2.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: arn }));
  } else if (change === "lb.deleteListener") {
    await c.elbv2.send(new DeleteListenerCommand({ ListenerArn: rng.pick(listeners).ListenerArn }));
  } else if (change === "lb.modifyHealthCheck") {
    await c.elbv2.send(
      new ModifyTargetGroupCommand({
        TargetGroupArn: rng.pick(groups).TargetGroupArn,
        HealthCheckPath: "/oob",
      }),
    );
  } else {
    // AWS refuses to delete a target group a listener forwards to: the listeners go first, as a person
    // cleaning up in the console would do it.
    const tg = rng.pick(groups);
    for (const l of listeners) {
      const forwardsTo = (l.DefaultActions ?? []).flatMap((a) => [
        a.TargetGroupArn,
        ...(a.ForwardConfig?.TargetGroups ?? []).map((g) => g.TargetGroupArn),
      ]);
      if (forwardsTo.includes(tg.TargetGroupArn))
        await c.elbv2.send(new DeleteListenerCommand({ ListenerArn: l.ListenerArn }));
    }
    await c.elbv2.send(new DeleteTargetGroupCommand({ TargetGroupArn: tg.TargetGroupArn }));
  }
  return change;
}

/**
 * Changes the target's cloud resource out of band, if it exists and carries the target's uid (the
 * chaos never changes a resource that is not the live custom resource's). Returns what it did.
 */
export function changeOutOfBand(
  c: EmulatorClients,
  rng: Rng,
  target: ChangeTarget,
): Promise<OutOfBandChange | undefined> {
  return target.kind === "SqlInstance" ? changeDb(c, rng, target) : changeLb(c, rng, target);
}

// ---------------------------------------------------------------------------------------------------
// Foreign fixtures

export interface Squatters {
  namespace: string;
  /** The DB identifier and load balancer name the squatter custom resources derive. */
  dbIdentifier: string;
  lbName: string;
}

function otherOwner(rng: Rng, name: string): Record<string, string> {
  return {
    [Tags.owner]: `elsewhere/${name}`,
    [Tags.uid]: `${rng.token(8)}-${rng.token(4)}-${rng.token(12)}`,
  };
}

async function foreignDb(c: EmulatorClients, id: string, tags: Record<string, string>): Promise<void> {
  await c.rds.send(
    new CreateDBInstanceCommand({
      DBInstanceIdentifier: id,
      Engine: "postgres",
      DBInstanceClass: "db.t3.micro",
      AllocatedStorage: 20,
      MasterUsername: "someone",
      MasterUserPassword: "not-setpoints-password",
      DBSubnetGroupName: SEED_DB_SUBNET_GROUP,
      VpcSecurityGroupIds: [SEED_SECURITY_GROUP_ID],
      BackupRetentionPeriod: 3,
      ...(Object.keys(tags).length > 0 ? { Tags: tagList(tags) } : {}),
    }),
  );
}

async function foreignLb(
  c: EmulatorClients,
  name: string,
  tgName: string,
  tags: Record<string, string>,
): Promise<void> {
  const withTags = Object.keys(tags).length > 0 ? { Tags: tagList(tags) } : {};
  const lb = await c.elbv2.send(
    new CreateLoadBalancerCommand({
      Name: name,
      Type: "application",
      Subnets: [...SEED_SUBNET_IDS],
      SecurityGroups: [SEED_SECURITY_GROUP_ID],
      ...withTags,
    }),
  );
  const tg = await c.elbv2.send(
    new CreateTargetGroupCommand({
      Name: tgName,
      Protocol: "HTTP",
      Port: 8080,
      TargetType: "ip",
      VpcId: SEED_VPC_ID,
      HealthCheckPath: "/theirs",
      ...withTags,
    }),
  );
  await c.elbv2.send(
    new CreateListenerCommand({
      LoadBalancerArn: lb.LoadBalancers?.[0]?.LoadBalancerArn,
      Port: 80,
      Protocol: "HTTP",
      DefaultActions: [{ Type: "forward", TargetGroupArn: tg.TargetGroups?.[0]?.TargetGroupArn }],
      ...withTags,
    }),
  );
}

/** The untagged fixtures, which the adopters name by their external-name annotation. */
export const UNTAGGED_FIXTURES = { db: "foreign-untagged-db", lb: "foreign-untagged-lb" } as const;

/**
 * Creates the foreign fixtures: an untagged DB instance and load balancer (with a target group and
 * a listener), the same tagged by another owner, and that other owner's DB instance and load
 * balancer under the names two squatter custom resources will derive.
 */
export async function createForeignFixtures(
  c: EmulatorClients,
  rng: Rng,
  squatters: Squatters,
): Promise<void> {
  await foreignDb(c, UNTAGGED_FIXTURES.db, {});
  await foreignDb(c, "foreign-owned-db", otherOwner(rng, "owned-db"));
  await foreignDb(c, squatters.dbIdentifier, otherOwner(rng, "squatter-db"));
  await foreignLb(c, UNTAGGED_FIXTURES.lb, "foreign-untagged-tg", {});
  await foreignLb(c, "foreign-owned-lb", "foreign-owned-tg", otherOwner(rng, "owned-lb"));
  await foreignLb(
    c,
    squatters.lbName,
    targetGroupAwsName(squatters.lbName, "web"),
    otherOwner(rng, "squatter-lb"),
  );
}

/** Every record of an inventory by its identifier (DB identifier or ARN): a snapshot to compare. */
export function recordsById(inv: Inventory): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const d of inv.dbs) out.set(d.id, d);
  for (const r of [...inv.lbs, ...inv.tgs, ...inv.listeners]) out.set(r.arn, r);
  return out;
}
