// Pure mapping between a SecurityGroup spec and the EC2 group: its derived
// name, what status reports, and the comparison that yields drift and the
// plan an update carries out.
import type { SecurityGroup } from "@aws-sdk/client-ec2";
import type {
  SecurityGroupObservation,
  SecurityGroupParameters,
} from "../../../apis/aws/v1alpha1/securitygroup.ts";
import type { FieldDiff } from "../../../controller/provider.ts";
import { cutWithHash, diffTags, type TagChanges, tagChangesToDrift, tagListToMap } from "../shared/index.ts";
import {
  compareRules,
  DEFAULT_EGRESS,
  type Direction,
  flattenObserved,
  flattenSpec,
  type RuleChanges,
} from "./rules.ts";

/** EC2's limit on group names. */
export const GROUP_NAME_MAX = 255;
/** EC2 reserves this prefix for group IDs: no name may start with it. */
export const ID_PREFIX = "sg-";

/** Characters EC2 accepts in a VPC security group's name. */
const GROUP_NAME_CHARS = /^[a-zA-Z0-9 ._\-:/()#,@[\]+=&;{}!$*]+$/;

/** Why EC2 would refuse `name` as a group name, or undefined when it would take it. */
export function groupNameProblem(name: string): string | undefined {
  if (name.startsWith(ID_PREFIX)) {
    return `that is a group ID: the external name of a SecurityGroup is its group name, which may not start with "${ID_PREFIX}"`;
  }
  if (name.length > GROUP_NAME_MAX || !GROUP_NAME_CHARS.test(name)) {
    return `a security group name has 1 to ${GROUP_NAME_MAX} letters, digits, spaces and ._-:/()#,@[]+=&;{}!$*`;
  }
  return undefined;
}

/**
 * "namespace-name": unique per VPC as long as the custom resource's is per
 * cluster. Kubernetes names only hold characters EC2 accepts; a name that is
 * too long, or would start like a group ID, gets a hash of the full one.
 */
export function deriveGroupName(namespace: string, name: string): string {
  const raw = `${namespace}-${name}`;
  if (raw.length <= GROUP_NAME_MAX && !raw.startsWith(ID_PREFIX)) return raw;
  return cutWithHash(raw, GROUP_NAME_MAX, `${namespace}/${name}`, raw.startsWith(ID_PREFIX) ? "k8s-" : "");
}

export function toAtProvider(sg: SecurityGroup): SecurityGroupObservation {
  const out: SecurityGroupObservation = {};
  if (sg.GroupId) out.groupId = sg.GroupId;
  if (sg.GroupName) out.groupName = sg.GroupName;
  if (sg.SecurityGroupArn) out.arn = sg.SecurityGroupArn;
  if (sg.VpcId) out.vpcId = sg.VpcId;
  if (sg.OwnerId) out.ownerId = sg.OwnerId;
  return out;
}

export interface GroupPlan {
  groupId: string;
  rules: Record<Direction, RuleChanges>;
  tags: TagChanges;
}

export interface Comparison {
  drift: FieldDiff[];
  rules: Record<Direction, RuleChanges>;
  tags: TagChanges;
}

/** The rules the spec wants in one direction, absent egress standing for AWS's default. */
export function desiredRules(p: SecurityGroupParameters, direction: Direction) {
  return flattenSpec(direction === "ingress" ? p.ingress : (p.egress ?? DEFAULT_EGRESS));
}

/** Every rule and tag that differs, with the calls that remove the difference. */
export function compare(
  p: SecurityGroupParameters,
  sg: SecurityGroup,
  desiredTags: { tags: Record<string, string>; authoritative: boolean },
): Comparison {
  const ingress = compareRules("ingress", desiredRules(p, "ingress"), flattenObserved(sg.IpPermissions));
  const egress = compareRules("egress", desiredRules(p, "egress"), flattenObserved(sg.IpPermissionsEgress));
  const observedTags = tagListToMap(sg.Tags);
  const tags = diffTags(desiredTags.tags, observedTags, { authoritative: desiredTags.authoritative });
  return {
    drift: [...ingress.drift, ...egress.drift, ...tagChangesToDrift(tags, observedTags)],
    rules: { ingress: ingress.changes, egress: egress.changes },
    tags,
  };
}

/** What a new group needs besides CreateSecurityGroup: its rules, given that AWS added DEFAULT_EGRESS. */
export function rulesAfterCreate(p: SecurityGroupParameters): Record<Direction, RuleChanges> {
  return {
    ingress: compareRules("ingress", desiredRules(p, "ingress"), []).changes,
    egress: compareRules("egress", desiredRules(p, "egress"), flattenSpec(DEFAULT_EGRESS)).changes,
  };
}
