// The SecurityGroup provider: EC2 VPC security groups and their rules. The
// engine decides when to create, update or delete and whose group it is;
// this module only maps one SecurityGroup onto the EC2 API (rules.ts and
// mapping.ts hold the pure rules, client.ts the SDK calls). A group's
// identity is its name in its VPC, so a create whose answer was lost is
// found by name, never made twice: EC2 refuses a second group of that name.
import type {
  SecurityGroupObservation,
  SecurityGroupParameters,
} from "../../../apis/aws/v1alpha1/securitygroup.ts";
import { Annotations, type Managed } from "../../../controller/api/index.ts";
import {
  type BudgetLimits,
  type CreateResult,
  type DeleteResult,
  type ExternalClient,
  type Observation,
  type Provider,
  TerminalError,
  type UpdateResult,
} from "../../../controller/provider.ts";
import {
  awsConnectionKey,
  desiredTags,
  hasTagChanges,
  ownershipFromTags,
  resolveAwsConnection,
  tagListToMap,
} from "../shared/index.ts";
import { EC2_SERVICE, type Ec2Api, groupKey, sdkEc2Api } from "./client.ts";
import {
  compare,
  deriveGroupName,
  type GroupPlan,
  groupNameProblem,
  ID_PREFIX,
  rulesAfterCreate,
  toAtProvider,
} from "./mapping.ts";
import { type Direction, type RuleChanges, toIpPermissions } from "./rules.ts";

export { deriveGroupName } from "./mapping.ts";

type SecurityGroup = Managed<SecurityGroupParameters, SecurityGroupObservation>;
type GroupObservation = Observation<SecurityGroupObservation, GroupPlan>;

export const Ec2Codes = {
  ExternalNameIsGroupId: "ExternalNameIsGroupId",
} as const;

/**
 * EC2 documents a bucket of 100 Describe* calls refilled at 20/s, and 200
 * mutating calls refilled at 5/s, per account and region. One budget serves
 * both, so it sits below the smaller: a burst of 50 at 4/s. Batched
 * observation keeps describes far below it.
 */
export const EC2_BUDGET: BudgetLimits = { burst: 50, ratePerSecond: 4 };

const DIRECTIONS: readonly Direction[] = ["ingress", "egress"];

/** The group name: the external-name annotation, or the derived one. */
export function groupNameOf(mr: Managed): string {
  const name =
    mr.metadata.annotations?.[Annotations.externalName] ??
    deriveGroupName(mr.metadata.namespace ?? "default", mr.metadata.name);
  if (name.startsWith(ID_PREFIX)) {
    throw new TerminalError(
      Ec2Codes.ExternalNameIsGroupId,
      `the external name of a SecurityGroup is its group name, and ${name} is a group ID; set ${Annotations.externalName} to the group's name`,
    );
  }
  return name;
}

function validGroupName(mr: Managed): string | undefined {
  try {
    return groupNameOf(mr);
  } catch {
    return undefined;
  }
}

export class SecurityGroupClient
  implements ExternalClient<SecurityGroupParameters, SecurityGroupObservation, GroupPlan>
{
  readonly #api: Ec2Api;

  constructor(api: Ec2Api) {
    this.#api = api;
  }

  async observe(mr: SecurityGroup): Promise<GroupObservation> {
    const name = groupNameOf(mr);
    const vpc = mr.spec.forProvider.vpcId;
    const found = await this.#api.describeByName([vpc], [name]);
    return this.#observation(mr, found.get(groupKey(vpc, name)));
  }

  async observeMany(mrs: SecurityGroup[]): Promise<Map<string, GroupObservation>> {
    // A resource whose external name is not a group name fails its own reconcile (observe
    // throws), not the whole batch: it is left out, and the engine reconciles it on its own.
    const named = mrs.flatMap((mr) => {
      const name = validGroupName(mr);
      return name === undefined ? [] : [{ mr, name }];
    });
    const found = await this.#api.describeByName(
      named.map(({ mr }) => mr.spec.forProvider.vpcId),
      named.map(({ name }) => name),
    );
    const out = new Map<string, GroupObservation>();
    for (const { mr, name } of named) {
      out.set(name, this.#observation(mr, found.get(groupKey(mr.spec.forProvider.vpcId, name))));
    }
    return out;
  }

  #observation(mr: SecurityGroup, sg: Parameters<typeof toAtProvider>[0] | undefined): GroupObservation {
    if (!sg?.GroupId) {
      return {
        exists: false,
        drift: [],
        ready: { status: false, reason: "Unavailable", message: "security group does not exist" },
      };
    }
    const p = mr.spec.forProvider;
    const found = compare(p, sg, { tags: desiredTags(mr, p.tags), authoritative: p.tags !== undefined });
    return {
      exists: true,
      drift: found.drift,
      atProvider: toAtProvider(sg),
      ready: { status: true, reason: "Available" },
      ownership: ownershipFromTags(tagListToMap(sg.Tags)),
      private: { groupId: sg.GroupId, rules: found.rules, tags: found.tags },
    };
  }

  async create(mr: SecurityGroup): Promise<CreateResult> {
    const p = mr.spec.forProvider;
    const groupId = await this.#api.create({
      vpcId: p.vpcId,
      name: groupNameOf(mr),
      description: p.description,
      tags: desiredTags(mr, p.tags),
    });
    // Our own lost create or someone else's group: the engine decides, after observing it.
    if (groupId === "duplicate") return { alreadyExists: true };
    await this.#applyRules(groupId, rulesAfterCreate(p));
    return {};
  }

  async update(_mr: SecurityGroup, observation: GroupObservation): Promise<UpdateResult> {
    const plan = observation.private;
    if (!observation.exists || !plan) return {};
    await this.#applyRules(plan.groupId, plan.rules);
    if (hasTagChanges(plan.tags)) {
      if (Object.keys(plan.tags.set).length > 0) await this.#api.addTags(plan.groupId, plan.tags.set);
      if (plan.tags.remove.length > 0) await this.#api.removeTags(plan.groupId, plan.tags.remove);
    }
    return {};
  }

  /** New rules first, then the extra ones go: traffic the spec allows is never cut in between. */
  async #applyRules(groupId: string, rules: Record<Direction, RuleChanges>): Promise<void> {
    for (const d of DIRECTIONS) {
      await this.#api.authorize(d, groupId, toIpPermissions(rules[d].authorize, true));
      await this.#api.updateDescriptions(d, groupId, toIpPermissions(rules[d].describe, true));
    }
    for (const d of DIRECTIONS) await this.#api.revoke(d, groupId, toIpPermissions(rules[d].revoke, false));
  }

  async delete(_mr: SecurityGroup, observation: GroupObservation): Promise<DeleteResult> {
    const groupId = observation.private?.groupId;
    if (!observation.exists || !groupId) return { gone: true };
    // EC2 deletes a group at once, or refuses with DependencyViolation while
    // something still uses it; that error is transient and retried.
    await this.#api.delete(groupId);
    return { gone: true };
  }
}

export const securityGroupProvider: Provider<SecurityGroupParameters, SecurityGroupObservation, GroupPlan> = {
  services: { [EC2_SERVICE]: EC2_BUDGET },
  async connect(mr, ctx) {
    return new SecurityGroupClient(sdkEc2Api(await resolveAwsConnection(mr, ctx)));
  },
  connectionKey: (mr, ctx) => awsConnectionKey(mr, ctx),
  deriveExternalName: deriveGroupName,
  checkExternalName: groupNameProblem,
};
