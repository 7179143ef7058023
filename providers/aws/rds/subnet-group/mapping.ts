// Pure mapping between a DBSubnetGroup spec and the RDS DB subnet group.
import type { DBSubnetGroup } from "@aws-sdk/client-rds";
import type {
  DBSubnetGroupObservation,
  DBSubnetGroupParameters,
} from "../../../../apis/aws/v1alpha1/dbsubnetgroup.ts";
import type { FieldDiff } from "../../../../controller/provider.ts";
import { cutWithHash, diffTags, type TagChanges, tagChangesToDrift } from "../../shared/index.ts";

export const SUBNET_GROUP_NAME_MAX = 255;

export const Paths = {
  description: "forProvider.description",
  subnetIds: "forProvider.subnetIds",
  tags: "forProvider.tags",
} as const;

/** Characters RDS accepts in a DB subnet group's name. */
const SUBNET_GROUP_NAME_CHARS = /^[a-zA-Z0-9._ -]+$/;

/** Why RDS would refuse `name` as a DB subnet group name, or undefined when it would take it. */
export function subnetGroupNameProblem(name: string): string | undefined {
  if (name.toLowerCase() === "default") {
    return 'RDS reserves "default" for the default VPC\'s DB subnet group';
  }
  if (name.length > SUBNET_GROUP_NAME_MAX || !SUBNET_GROUP_NAME_CHARS.test(name)) {
    return `a DB subnet group name has 1 to ${SUBNET_GROUP_NAME_MAX} letters, digits, periods, underscores, spaces and hyphens`;
  }
  return undefined;
}

/**
 * "namespace-name" in lower case (RDS keeps names that way); Kubernetes
 * names only hold characters RDS accepts. Too long a name gets a hash of
 * the full one.
 */
export function deriveSubnetGroupName(namespace: string, name: string): string {
  const raw = `${namespace}-${name}`.toLowerCase();
  if (raw.length <= SUBNET_GROUP_NAME_MAX) return raw;
  return cutWithHash(raw, SUBNET_GROUP_NAME_MAX, `${namespace}/${name}`);
}

export function observedSubnets(g: DBSubnetGroup): string[] {
  return [
    ...new Set((g.Subnets ?? []).map((s) => s.SubnetIdentifier).filter((s): s is string => !!s)),
  ].sort();
}

export function toAtProvider(g: DBSubnetGroup): DBSubnetGroupObservation {
  const out: DBSubnetGroupObservation = {};
  if (g.DBSubnetGroupName) out.name = g.DBSubnetGroupName;
  if (g.DBSubnetGroupArn) out.arn = g.DBSubnetGroupArn;
  if (g.VpcId) out.vpcId = g.VpcId;
  if (g.SubnetGroupStatus) out.status = g.SubnetGroupStatus;
  const subnets = (g.Subnets ?? [])
    .filter((s) => s.SubnetIdentifier)
    .map((s) => ({
      id: s.SubnetIdentifier as string,
      ...(s.SubnetAvailabilityZone?.Name ? { availabilityZone: s.SubnetAvailabilityZone.Name } : {}),
    }))
    .sort((a, b) => a.id.localeCompare(b.id));
  if (subnets.length > 0) out.subnets = subnets;
  return out;
}

export interface Comparison {
  drift: FieldDiff[];
  /** Description or subnets differ: one ModifyDBSubnetGroup, which takes both. */
  modify: boolean;
  tags: TagChanges;
}

export function compare(
  p: DBSubnetGroupParameters,
  g: DBSubnetGroup,
  observedTags: Record<string, string>,
  desiredTags: { tags: Record<string, string>; authoritative: boolean },
): Comparison {
  const drift: FieldDiff[] = [];
  if ((g.DBSubnetGroupDescription ?? "") !== p.description) {
    drift.push({ path: Paths.description, desired: p.description, observed: g.DBSubnetGroupDescription });
  }
  const desired = [...new Set(p.subnetIds)].sort();
  const observed = observedSubnets(g);
  if (desired.join(",") !== observed.join(",")) drift.push({ path: Paths.subnetIds, desired, observed });
  const modify = drift.length > 0;
  const tags = diffTags(desiredTags.tags, observedTags, { authoritative: desiredTags.authoritative });
  drift.push(...tagChangesToDrift(tags, observedTags, Paths.tags));
  return { drift, modify, tags };
}
