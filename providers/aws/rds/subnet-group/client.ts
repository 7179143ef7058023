// The RDS calls the DBSubnetGroup provider makes. DescribeDBSubnetGroups has
// no batched form by name (it takes one name, or none and then pages through
// every group of the account; its Filters parameter "isn't currently
// supported"), and its answer carries no tags, so ownership costs one
// ListTagsForResource per group.
import {
  AddTagsToResourceCommand,
  CreateDBSubnetGroupCommand,
  type DBSubnetGroup,
  DeleteDBSubnetGroupCommand,
  DescribeDBSubnetGroupsCommand,
  ListTagsForResourceCommand,
  ModifyDBSubnetGroupCommand,
  RDSClient,
  RemoveTagsFromResourceCommand,
} from "@aws-sdk/client-rds";
import {
  type AwsConnection,
  classifiedSender,
  classifyAwsError,
  isAwsError,
  sharedClient,
  tagListToMap,
  tagMapToList,
} from "../../shared/index.ts";
import { RDS_SERVICE } from "../client.ts";

export const SubnetGroupErrors = {
  notFound: ["DBSubnetGroupNotFoundFault", "DBSubnetGroupNotFound"],
  alreadyExists: ["DBSubnetGroupAlreadyExistsFault", "DBSubnetGroupAlreadyExists"],
  /** A DB instance still uses the group; it can go once the instance has. */
  inUse: ["InvalidDBSubnetGroupStateFault", "InvalidDBSubnetGroupState"],
} as const;

export const SUBNET_GROUP_TERMINAL_CODES: ReadonlySet<string> = new Set([
  "InvalidParameterValue",
  "InvalidParameterCombination",
  "MissingParameter",
  "DBSubnetGroupDoesNotCoverEnoughAZs",
  "InvalidSubnet",
  // A subnet ID that does not exist never will: AWS assigns the IDs.
  "InvalidSubnetID.NotFound",
  "DBSubnetQuotaExceededFault",
  "DBSubnetGroupQuotaExceeded",
  "DBSubnetGroupQuotaExceededFault",
  "SubnetAlreadyInUse",
]);

/** DescribeDBSubnetGroups pages hold 20 to 100 groups. */
export const LIST_PAGE = 100;

function classify(err: unknown): unknown {
  return classifyAwsError(err, SUBNET_GROUP_TERMINAL_CODES);
}

export interface SubnetGroupApi {
  describe(name: string): Promise<DBSubnetGroup | undefined>;
  /**
   * The groups among `names` that exist, keyed by lower-case name. Pages
   * through the account's groups and stops once every name is found.
   */
  describeMany(names: string[]): Promise<Map<string, DBSubnetGroup>>;
  tags(arn: string): Promise<Record<string, string>>;
  /** "exists" when the name is taken (nothing was created). */
  create(input: {
    name: string;
    description: string;
    subnetIds: string[];
    tags: Record<string, string>;
  }): Promise<"created" | "exists">;
  modify(input: { name: string; description: string; subnetIds: string[] }): Promise<void>;
  addTags(arn: string, tags: Record<string, string>): Promise<void>;
  removeTags(arn: string, keys: string[]): Promise<void>;
  /** False when it was already gone. */
  delete(name: string): Promise<boolean>;
}

export function sdkSubnetGroupApi(conn: AwsConnection): SubnetGroupApi {
  const client = sharedClient(conn, RDS_SERVICE, (cfg) => new RDSClient(cfg));
  const send = classifiedSender(SUBNET_GROUP_TERMINAL_CODES);
  return {
    async describe(name) {
      try {
        const out = await client.send(new DescribeDBSubnetGroupsCommand({ DBSubnetGroupName: name }));
        return out.DBSubnetGroups?.[0];
      } catch (err) {
        if (isAwsError(err, ...SubnetGroupErrors.notFound)) return undefined;
        throw classify(err);
      }
    },

    async describeMany(names) {
      const wanted = new Set(names.map((n) => n.toLowerCase()));
      const found = new Map<string, DBSubnetGroup>();
      let marker: string | undefined;
      do {
        const out = await send(() =>
          client.send(
            new DescribeDBSubnetGroupsCommand({
              MaxRecords: LIST_PAGE,
              ...(marker ? { Marker: marker } : {}),
            }),
          ),
        );
        for (const g of out.DBSubnetGroups ?? []) {
          const key = g.DBSubnetGroupName?.toLowerCase();
          if (key && wanted.has(key)) found.set(key, g);
        }
        marker = out.Marker;
      } while (marker && found.size < wanted.size);
      return found;
    },

    async tags(arn) {
      const out = await send(() => client.send(new ListTagsForResourceCommand({ ResourceName: arn })));
      return tagListToMap(out.TagList);
    },

    async create({ name, description, subnetIds, tags }) {
      try {
        await client.send(
          new CreateDBSubnetGroupCommand({
            DBSubnetGroupName: name,
            DBSubnetGroupDescription: description,
            SubnetIds: subnetIds,
            Tags: tagMapToList(tags),
          }),
        );
        return "created";
      } catch (err) {
        if (isAwsError(err, ...SubnetGroupErrors.alreadyExists)) return "exists";
        throw classify(err);
      }
    },

    async modify({ name, description, subnetIds }) {
      await send(() =>
        client.send(
          new ModifyDBSubnetGroupCommand({
            DBSubnetGroupName: name,
            DBSubnetGroupDescription: description,
            SubnetIds: subnetIds,
          }),
        ),
      );
    },

    async addTags(arn, tags) {
      await send(() =>
        client.send(new AddTagsToResourceCommand({ ResourceName: arn, Tags: tagMapToList(tags) })),
      );
    },

    async removeTags(arn, keys) {
      await send(() => client.send(new RemoveTagsFromResourceCommand({ ResourceName: arn, TagKeys: keys })));
    },

    async delete(name) {
      try {
        await client.send(new DeleteDBSubnetGroupCommand({ DBSubnetGroupName: name }));
        return true;
      } catch (err) {
        if (isAwsError(err, ...SubnetGroupErrors.notFound)) return false;
        throw classify(err);
      }
    },
  };
}
