// The EC2 calls the SecurityGroup provider makes, each mapped to a small
// result: a missing group is `undefined`, a rule already there (or already
// gone) is success, and every other error is sorted into terminal or
// transient by classifyAwsError.
import {
  AuthorizeSecurityGroupEgressCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateTagsCommand,
  DeleteSecurityGroupCommand,
  DeleteTagsCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
  type IpPermission,
  RevokeSecurityGroupEgressCommand,
  RevokeSecurityGroupIngressCommand,
  type SecurityGroup,
  UpdateSecurityGroupRuleDescriptionsEgressCommand,
  UpdateSecurityGroupRuleDescriptionsIngressCommand,
} from "@aws-sdk/client-ec2";
import {
  type AwsConnection,
  classifiedSender,
  classifyAwsError,
  isAwsError,
  sharedClient,
  tagMapToList,
} from "../shared/index.ts";
import type { Direction } from "./rules.ts";

export const EC2_SERVICE = "ec2";

/** AWS error codes the provider acts on. */
export const Ec2Errors = {
  groupNotFound: ["InvalidGroup.NotFound", "InvalidGroupId.NotFound"],
  groupDuplicate: ["InvalidGroup.Duplicate"],
  permissionDuplicate: ["InvalidPermission.Duplicate"],
  permissionNotFound: ["InvalidPermission.NotFound"],
  /** Something (an ENI, another group's rule) still uses the group; it can go once that is gone. */
  dependencyViolation: ["DependencyViolation"],
} as const;

/**
 * Errors no retry can fix until the spec or a quota changes. DependencyViolation
 * is not among them: the dependent (an RDS instance, a load balancer) may go.
 */
export const EC2_TERMINAL_CODES: ReadonlySet<string> = new Set([
  "InvalidParameterValue",
  "InvalidParameter",
  "InvalidParameterCombination",
  "MissingParameter",
  "InvalidVpcID.NotFound",
  "InvalidGroupId.Malformed",
  "InvalidPermission.Malformed",
  "RulesPerSecurityGroupLimitExceeded",
  "SecurityGroupLimitExceeded",
  "SecurityGroupsPerInstanceLimitExceeded",
  "CannotDelete",
  "UnauthorizedOperation",
]);

/** Filter values per DescribeSecurityGroups call: one batch of names. */
export const DESCRIBE_BATCH = 100;
/** DescribeSecurityGroups page size (5 to 1000). */
const PAGE_SIZE = 1000;

export function isDependencyViolation(err: unknown): boolean {
  return isAwsError(err, ...Ec2Errors.dependencyViolation);
}

function classify(err: unknown): unknown {
  return classifyAwsError(err, EC2_TERMINAL_CODES);
}

/** "vpc-1/name": a group's identity, as the lookups key it. */
export function groupKey(vpcId: string, name: string): string {
  return `${vpcId}/${name}`;
}

/** The subset of EC2 the provider uses; an interface so unit tests can fake it. */
export interface Ec2Api {
  /** Every group among `names` in `vpcIds` that exists, keyed by groupKey(vpc, name). */
  describeByName(vpcIds: string[], names: string[]): Promise<Map<string, SecurityGroup>>;
  /** The new group's ID, or "duplicate" when the name is taken in that VPC (nothing was created). */
  create(input: {
    vpcId: string;
    name: string;
    description: string;
    tags: Record<string, string>;
  }): Promise<string | "duplicate">;
  authorize(direction: Direction, groupId: string, perms: IpPermission[]): Promise<void>;
  revoke(direction: Direction, groupId: string, perms: IpPermission[]): Promise<void>;
  updateDescriptions(direction: Direction, groupId: string, perms: IpPermission[]): Promise<void>;
  addTags(groupId: string, tags: Record<string, string>): Promise<void>;
  removeTags(groupId: string, keys: string[]): Promise<void>;
  /** False when the group was already gone. */
  delete(groupId: string): Promise<boolean>;
}

export function sdkEc2Api(conn: AwsConnection): Ec2Api {
  const client = sharedClient(conn, EC2_SERVICE, (cfg) => new EC2Client(cfg));
  const send = classifiedSender(EC2_TERMINAL_CODES);
  return {
    async describeByName(vpcIds, names) {
      const found = new Map<string, SecurityGroup>();
      const unique = [...new Set(names)];
      const vpcs = [...new Set(vpcIds)];
      for (let i = 0; i < unique.length; i += DESCRIBE_BATCH) {
        const batch = unique.slice(i, i + DESCRIBE_BATCH);
        let token: string | undefined;
        do {
          const out = await send(() =>
            client.send(
              new DescribeSecurityGroupsCommand({
                Filters: [
                  { Name: "vpc-id", Values: vpcs },
                  { Name: "group-name", Values: batch },
                ],
                MaxResults: PAGE_SIZE,
                ...(token ? { NextToken: token } : {}),
              }),
            ),
          );
          for (const sg of out.SecurityGroups ?? []) {
            if (sg.VpcId && sg.GroupName) found.set(groupKey(sg.VpcId, sg.GroupName), sg);
          }
          token = out.NextToken;
        } while (token);
      }
      return found;
    },

    async create({ vpcId, name, description, tags }) {
      try {
        const out = await client.send(
          new CreateSecurityGroupCommand({
            VpcId: vpcId,
            GroupName: name,
            Description: description,
            // Tagged in the same call: a group whose answer is lost is still recognisably ours.
            TagSpecifications: [{ ResourceType: "security-group", Tags: tagMapToList(tags) }],
          }),
        );
        if (!out.GroupId) throw new Error(`CreateSecurityGroup for ${name} returned no GroupId`);
        return out.GroupId;
      } catch (err) {
        if (isAwsError(err, ...Ec2Errors.groupDuplicate)) return "duplicate";
        throw classify(err);
      }
    },

    async authorize(direction, groupId, perms) {
      if (perms.length === 0) return;
      const input = { GroupId: groupId, IpPermissions: perms };
      try {
        if (direction === "ingress") await client.send(new AuthorizeSecurityGroupIngressCommand(input));
        else await client.send(new AuthorizeSecurityGroupEgressCommand(input));
      } catch (err) {
        // Already there (a retried call, or a peer listed in two rules): what we wanted.
        if (isAwsError(err, ...Ec2Errors.permissionDuplicate)) return;
        throw classify(err);
      }
    },

    async revoke(direction, groupId, perms) {
      if (perms.length === 0) return;
      const input = { GroupId: groupId, IpPermissions: perms };
      try {
        if (direction === "ingress") await client.send(new RevokeSecurityGroupIngressCommand(input));
        else await client.send(new RevokeSecurityGroupEgressCommand(input));
      } catch (err) {
        if (isAwsError(err, ...Ec2Errors.permissionNotFound)) return;
        throw classify(err);
      }
    },

    async updateDescriptions(direction, groupId, perms) {
      if (perms.length === 0) return;
      const input = { GroupId: groupId, IpPermissions: perms };
      await send(async () => {
        if (direction === "ingress")
          await client.send(new UpdateSecurityGroupRuleDescriptionsIngressCommand(input));
        else await client.send(new UpdateSecurityGroupRuleDescriptionsEgressCommand(input));
      });
    },

    async addTags(groupId, tags) {
      await send(() =>
        client.send(new CreateTagsCommand({ Resources: [groupId], Tags: tagMapToList(tags) })),
      );
    },

    async removeTags(groupId, keys) {
      await send(() =>
        client.send(new DeleteTagsCommand({ Resources: [groupId], Tags: keys.map((Key) => ({ Key })) })),
      );
    },

    async delete(groupId) {
      try {
        await client.send(new DeleteSecurityGroupCommand({ GroupId: groupId }));
        return true;
      } catch (err) {
        if (isAwsError(err, ...Ec2Errors.groupNotFound)) return false;
        throw classify(err);
      }
    },
  };
}
