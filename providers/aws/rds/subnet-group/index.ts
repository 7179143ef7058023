// The DBSubnetGroup provider: RDS DB subnet groups. The engine decides;
// this module maps one DBSubnetGroup onto RDS (mapping.ts holds the pure
// rules, client.ts the SDK calls). The group's name is its identity, and RDS
// refuses a second group of one name, so a lost create is found, not doubled.
import type { DBSubnetGroup } from "@aws-sdk/client-rds";
import type {
  DBSubnetGroupObservation,
  DBSubnetGroupParameters,
} from "../../../../apis/aws/v1alpha1/dbsubnetgroup.ts";
import { Annotations, type Managed } from "../../../../controller/api/index.ts";
import type {
  CreateResult,
  DeleteResult,
  ExternalClient,
  Observation,
  Provider,
  UpdateResult,
} from "../../../../controller/provider.ts";
import {
  awsConnectionKey,
  desiredTags,
  hasTagChanges,
  ownershipFromTags,
  resolveAwsConnection,
  type TagChanges,
} from "../../shared/index.ts";
import { RDS_SERVICE } from "../client.ts";
import { RDS_BUDGET } from "../index.ts";
import { type SubnetGroupApi, sdkSubnetGroupApi } from "./client.ts";
import { compare, deriveSubnetGroupName, subnetGroupNameProblem, toAtProvider } from "./mapping.ts";

export { deriveSubnetGroupName } from "./mapping.ts";

type SubnetGroup = Managed<DBSubnetGroupParameters, DBSubnetGroupObservation>;

export interface SubnetGroupPlan {
  modify: boolean;
  tags: TagChanges;
  arn: string | undefined;
}

type SubnetGroupObservation = Observation<DBSubnetGroupObservation, SubnetGroupPlan>;

export function subnetGroupNameOf(mr: Managed): string {
  return (
    mr.metadata.annotations?.[Annotations.externalName] ??
    deriveSubnetGroupName(mr.metadata.namespace ?? "default", mr.metadata.name)
  );
}

export class DBSubnetGroupClient
  implements ExternalClient<DBSubnetGroupParameters, DBSubnetGroupObservation, SubnetGroupPlan>
{
  readonly #api: SubnetGroupApi;

  constructor(api: SubnetGroupApi) {
    this.#api = api;
  }

  async observe(mr: SubnetGroup): Promise<SubnetGroupObservation> {
    return this.#observation(mr, await this.#api.describe(subnetGroupNameOf(mr)));
  }

  async observeMany(mrs: SubnetGroup[]): Promise<Map<string, SubnetGroupObservation>> {
    const found = await this.#api.describeMany(mrs.map(subnetGroupNameOf));
    const out = new Map<string, SubnetGroupObservation>();
    // One ListTagsForResource per group (its describe carries no tags): sent together, paced by the
    // RDS budget, rather than one after another.
    await Promise.all(
      mrs.map(async (mr) => {
        const name = subnetGroupNameOf(mr);
        out.set(name, await this.#observation(mr, found.get(name.toLowerCase())));
      }),
    );
    return out;
  }

  async #observation(mr: SubnetGroup, g: DBSubnetGroup | undefined): Promise<SubnetGroupObservation> {
    if (!g) {
      return {
        exists: false,
        drift: [],
        ready: { status: false, reason: "Unavailable", message: "DB subnet group does not exist" },
      };
    }
    const p = mr.spec.forProvider;
    const observedTags = g.DBSubnetGroupArn ? await this.#api.tags(g.DBSubnetGroupArn) : {};
    const found = compare(p, g, observedTags, {
      tags: desiredTags(mr, p.tags),
      authoritative: p.tags !== undefined,
    });
    return {
      exists: true,
      drift: found.drift,
      atProvider: toAtProvider(g),
      ready: { status: true, reason: "Available" },
      ownership: ownershipFromTags(observedTags),
      private: { modify: found.modify, tags: found.tags, arn: g.DBSubnetGroupArn },
    };
  }

  async create(mr: SubnetGroup): Promise<CreateResult> {
    const p = mr.spec.forProvider;
    const made = await this.#api.create({
      name: subnetGroupNameOf(mr),
      description: p.description,
      subnetIds: [...p.subnetIds],
      tags: desiredTags(mr, p.tags),
    });
    return made === "exists" ? { alreadyExists: true } : {};
  }

  async update(mr: SubnetGroup, observation: SubnetGroupObservation): Promise<UpdateResult> {
    const plan = observation.private;
    if (!observation.exists || !plan) return {};
    const p = mr.spec.forProvider;
    if (plan.modify) {
      await this.#api.modify({
        name: subnetGroupNameOf(mr),
        description: p.description,
        subnetIds: [...p.subnetIds],
      });
    }
    if (plan.arn && hasTagChanges(plan.tags)) {
      if (Object.keys(plan.tags.set).length > 0) await this.#api.addTags(plan.arn, plan.tags.set);
      if (plan.tags.remove.length > 0) await this.#api.removeTags(plan.arn, plan.tags.remove);
    }
    return {};
  }

  async delete(mr: SubnetGroup, observation: SubnetGroupObservation): Promise<DeleteResult> {
    if (!observation.exists) return { gone: true };
    // RDS refuses while an instance uses the group (InvalidDBSubnetGroupStateFault,
    // transient: retried until the instance is gone).
    await this.#api.delete(subnetGroupNameOf(mr));
    return { gone: true };
  }
}

export const dbSubnetGroupProvider: Provider<
  DBSubnetGroupParameters,
  DBSubnetGroupObservation,
  SubnetGroupPlan
> = {
  services: { [RDS_SERVICE]: RDS_BUDGET },
  async connect(mr, ctx) {
    return new DBSubnetGroupClient(sdkSubnetGroupApi(await resolveAwsConnection(mr, ctx)));
  },
  connectionKey: (mr, ctx) => awsConnectionKey(mr, ctx),
  deriveExternalName: deriveSubnetGroupName,
  checkExternalName: subnetGroupNameProblem,
};
