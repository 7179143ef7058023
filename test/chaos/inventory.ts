// What exists in the emulator, read straight from its API (not through the fault proxy, and never from
// a custom resource's status): every RDS DB instance and every ELBv2 load balancer, target group and
// listener, each with its tags. The checks (checks.ts) work on these plain records.
import {
  DescribeListenersCommand,
  DescribeLoadBalancerAttributesCommand,
  DescribeLoadBalancersCommand,
  DescribeTagsCommand,
  type DescribeTagsCommandOutput,
  DescribeTargetGroupsCommand,
  ElasticLoadBalancingV2Client,
  type Listener,
  type LoadBalancer,
  type TargetGroup,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { type DBInstance, DescribeDBInstancesCommand, RDSClient } from "@aws-sdk/client-rds";
import { emulatorClientConfig } from "../../localstack/seed.ts";

export type TagMap = Record<string, string>;

export interface DbRecord {
  id: string;
  arn: string;
  status: string;
  engine: string;
  instanceClass: string;
  allocatedStorage: number;
  backupRetentionPeriod: number;
  deletionProtection: boolean;
  multiAZ: boolean;
  securityGroups: string[];
  tags: TagMap;
}

export interface LbRecord {
  name: string;
  arn: string;
  type: string;
  scheme: string;
  state: string;
  subnets: string[];
  securityGroups: string[];
  attributes: Record<string, string>;
  tags: TagMap;
}

export interface TgRecord {
  name: string;
  arn: string;
  protocol: string;
  port: number;
  targetType: string;
  vpcId: string;
  healthCheck: { protocol: string; path: string; intervalSeconds: number; healthyThresholdCount: number };
  lbArns: string[];
  tags: TagMap;
}

export interface ActionRecord {
  type: string;
  targetGroupArn?: string;
  statusCode?: string;
}

export interface ListenerRecord {
  arn: string;
  lbArn: string;
  port: number;
  protocol: string;
  actions: ActionRecord[];
  tags: TagMap;
}

export interface Inventory {
  dbs: DbRecord[];
  lbs: LbRecord[];
  tgs: TgRecord[];
  listeners: ListenerRecord[];
}

/** SDK clients straight to the emulator, for reading it and for changing it out of band. */
export interface EmulatorClients {
  rds: RDSClient;
  elbv2: ElasticLoadBalancingV2Client;
  destroy(): void;
}

export function emulatorClients(endpoint: string): EmulatorClients {
  const cfg = { ...emulatorClientConfig(endpoint), maxAttempts: 3 };
  const rds = new RDSClient(cfg);
  const elbv2 = new ElasticLoadBalancingV2Client(cfg);
  return {
    rds,
    elbv2,
    destroy() {
      rds.destroy();
      elbv2.destroy();
    },
  };
}

const tagMap = (list: readonly { Key?: string; Value?: string }[] | undefined): TagMap =>
  Object.fromEntries((list ?? []).filter((t) => t.Key !== undefined).map((t) => [t.Key, t.Value ?? ""]));

function dbRecord(d: DBInstance): DbRecord {
  return {
    id: d.DBInstanceIdentifier ?? "",
    arn: d.DBInstanceArn ?? "",
    status: d.DBInstanceStatus ?? "",
    engine: d.Engine ?? "",
    instanceClass: d.DBInstanceClass ?? "",
    allocatedStorage: d.AllocatedStorage ?? 0,
    backupRetentionPeriod: d.BackupRetentionPeriod ?? 0,
    deletionProtection: d.DeletionProtection === true,
    multiAZ: d.MultiAZ === true,
    securityGroups: (d.VpcSecurityGroups ?? []).map((g) => g.VpcSecurityGroupId ?? "").sort(),
    tags: tagMap(d.TagList),
  };
}

async function describeTags(
  elbv2: ElasticLoadBalancingV2Client,
  arns: string[],
): Promise<Map<string, TagMap>> {
  const out = new Map<string, TagMap>();
  for (let i = 0; i < arns.length; i += 20) {
    const page: DescribeTagsCommandOutput = await elbv2.send(
      new DescribeTagsCommand({ ResourceArns: arns.slice(i, i + 20) }),
    );
    for (const d of page.TagDescriptions ?? []) if (d.ResourceArn) out.set(d.ResourceArn, tagMap(d.Tags));
  }
  return out;
}

async function allDbs(rds: RDSClient): Promise<DBInstance[]> {
  const out: DBInstance[] = [];
  let marker: string | undefined;
  do {
    const page = await rds.send(new DescribeDBInstancesCommand(marker ? { Marker: marker } : {}));
    out.push(...(page.DBInstances ?? []));
    marker = page.Marker;
  } while (marker);
  return out;
}

async function allLoadBalancers(elbv2: ElasticLoadBalancingV2Client): Promise<LoadBalancer[]> {
  const out: LoadBalancer[] = [];
  let marker: string | undefined;
  do {
    const page = await elbv2.send(new DescribeLoadBalancersCommand(marker ? { Marker: marker } : {}));
    out.push(...(page.LoadBalancers ?? []));
    marker = page.NextMarker;
  } while (marker);
  return out;
}

async function allTargetGroups(elbv2: ElasticLoadBalancingV2Client): Promise<TargetGroup[]> {
  const out: TargetGroup[] = [];
  let marker: string | undefined;
  do {
    const page = await elbv2.send(new DescribeTargetGroupsCommand(marker ? { Marker: marker } : {}));
    out.push(...(page.TargetGroups ?? []));
    marker = page.NextMarker;
  } while (marker);
  return out;
}

async function listenersOf(elbv2: ElasticLoadBalancingV2Client, lbArn: string): Promise<Listener[]> {
  const out: Listener[] = [];
  let marker: string | undefined;
  do {
    const page = await elbv2.send(
      new DescribeListenersCommand({ LoadBalancerArn: lbArn, ...(marker ? { Marker: marker } : {}) }),
    );
    out.push(...(page.Listeners ?? []));
    marker = page.NextMarker;
  } while (marker);
  return out;
}

/** A load balancer deleted between the list and a per-balancer describe is simply gone. */
function isNotFound(err: unknown): boolean {
  const name = (err as { name?: string }).name ?? "";
  return /NotFound/.test(name);
}

/** Everything in the emulator, read in one pass. */
export async function readInventory(c: EmulatorClients): Promise<Inventory> {
  const [dbs, lbs, tgs] = await Promise.all([
    allDbs(c.rds),
    allLoadBalancers(c.elbv2),
    allTargetGroups(c.elbv2),
  ]);
  const lbRecords: LbRecord[] = [];
  const listeners: { lbArn: string; l: Listener }[] = [];
  for (const lb of lbs) {
    const arn = lb.LoadBalancerArn ?? "";
    try {
      const [attrs, ls] = await Promise.all([
        c.elbv2.send(new DescribeLoadBalancerAttributesCommand({ LoadBalancerArn: arn })),
        listenersOf(c.elbv2, arn),
      ]);
      for (const l of ls) listeners.push({ lbArn: arn, l });
      lbRecords.push({
        name: lb.LoadBalancerName ?? "",
        arn,
        type: lb.Type ?? "",
        scheme: lb.Scheme ?? "",
        state: lb.State?.Code ?? "",
        subnets: (lb.AvailabilityZones ?? []).map((z) => z.SubnetId ?? "").sort(),
        securityGroups: [...(lb.SecurityGroups ?? [])].sort(),
        attributes: Object.fromEntries((attrs.Attributes ?? []).map((a) => [a.Key ?? "", a.Value ?? ""])),
        tags: {},
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
  const tags = await describeTags(c.elbv2, [
    ...lbRecords.map((l) => l.arn),
    ...tgs.map((t) => t.TargetGroupArn ?? ""),
    ...listeners.map((l) => l.l.ListenerArn ?? ""),
  ]);
  for (const lb of lbRecords) lb.tags = tags.get(lb.arn) ?? {};
  return {
    dbs: dbs.map(dbRecord).sort((a, b) => a.id.localeCompare(b.id)),
    lbs: lbRecords.sort((a, b) => a.name.localeCompare(b.name) || a.arn.localeCompare(b.arn)),
    tgs: tgs
      .map((t) => ({
        name: t.TargetGroupName ?? "",
        arn: t.TargetGroupArn ?? "",
        protocol: t.Protocol ?? "",
        port: t.Port ?? 0,
        targetType: t.TargetType ?? "",
        vpcId: t.VpcId ?? "",
        healthCheck: {
          protocol: t.HealthCheckProtocol ?? "",
          path: t.HealthCheckPath ?? "",
          intervalSeconds: t.HealthCheckIntervalSeconds ?? 0,
          healthyThresholdCount: t.HealthyThresholdCount ?? 0,
        },
        lbArns: [...(t.LoadBalancerArns ?? [])].sort(),
        tags: tags.get(t.TargetGroupArn ?? "") ?? {},
      }))
      .sort((a, b) => a.name.localeCompare(b.name) || a.arn.localeCompare(b.arn)),
    listeners: listeners
      .map(({ lbArn, l }) => ({
        arn: l.ListenerArn ?? "",
        lbArn,
        port: l.Port ?? 0,
        protocol: l.Protocol ?? "",
        actions: (l.DefaultActions ?? []).map((a) => {
          const r: ActionRecord = { type: a.Type ?? "" };
          const arn = a.TargetGroupArn ?? a.ForwardConfig?.TargetGroups?.[0]?.TargetGroupArn;
          if (arn) r.targetGroupArn = arn;
          if (a.FixedResponseConfig?.StatusCode) r.statusCode = a.FixedResponseConfig.StatusCode;
          return r;
        }),
        tags: tags.get(l.ListenerArn ?? "") ?? {},
      }))
      .sort((a, b) => a.lbArn.localeCompare(b.lbArn) || a.port - b.port || a.arn.localeCompare(b.arn)),
  };
}
