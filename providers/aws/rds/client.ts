// The RDS API calls setpoint makes, each mapped to a small result: a missing
// instance is `undefined`, not an exception, and every other error is sorted
// into terminal or transient by classifyAwsError.
import {
  AddTagsToResourceCommand,
  CreateDBInstanceCommand,
  type CreateDBInstanceCommandInput,
  type DBInstance,
  DeleteDBInstanceCommand,
  DescribeDBInstancesCommand,
  ModifyDBInstanceCommand,
  type ModifyDBInstanceCommandInput,
  RDSClient,
  RemoveTagsFromResourceCommand,
} from "@aws-sdk/client-rds";
import {
  type AwsConnection,
  classifyAwsError,
  isAwsError,
  sharedClient,
  tagMapToList,
} from "../shared/index.ts";

export const RDS_SERVICE = "rds";

/** AWS error codes (SDK exception names) the RDS provider acts on. */
export const RdsErrors = {
  // The SDK names modelled faults with a "Fault" suffix; the wire code has none.
  notFound: ["DBInstanceNotFoundFault", "DBInstanceNotFound"],
  alreadyExists: ["DBInstanceAlreadyExistsFault", "DBInstanceAlreadyExists"],
  invalidState: ["InvalidDBInstanceStateFault", "InvalidDBInstanceState"],
} as const;

/**
 * Errors no retry can fix until the spec, a referenced object or a quota
 * changes. InvalidDBInstanceState and InsufficientDBInstanceCapacity stay
 * transient: the instance is busy or AWS is short of capacity for now.
 */
export const RDS_TERMINAL_CODES: ReadonlySet<string> = new Set([
  "InvalidParameterValue",
  "InvalidParameterCombination",
  "InvalidParameter",
  "MissingParameter",
  "StorageQuotaExceededFault",
  "InstanceQuotaExceededFault",
  "SnapshotQuotaExceededFault",
  "DBSubnetGroupNotFoundFault",
  "DBSubnetGroupDoesNotCoverEnoughAZs",
  "DBSecurityGroupNotFoundFault",
  "DBParameterGroupNotFoundFault",
  "OptionGroupNotFoundFault",
  "DBSnapshotAlreadyExistsFault",
  "KMSKeyNotAccessibleFault",
  "InvalidVPCNetworkStateFault",
  "InvalidSubnet",
  "StorageTypeNotSupportedFault",
  "StorageTypeNotAvailableFault",
  "ProvisionedIopsNotAvailableInAZFault",
  "NetworkTypeNotSupported",
  "DomainNotFoundFault",
  "AuthorizationNotFoundFault",
  "CertificateNotFoundFault",
  "BackupPolicyNotFoundFault",
  "DBUpgradeDependencyFailureFault",
  "UnsupportedDBEngineVersionFault",
  "VpcEncryptionControlViolationException",
]);

/** DescribeDBInstances takes at most 100 records per page; one filter holds one batch of identifiers. */
export const DESCRIBE_BATCH = 100;

export function isNotFound(err: unknown): boolean {
  return isAwsError(err, ...RdsErrors.notFound);
}

export function isAlreadyExists(err: unknown): boolean {
  return isAwsError(err, ...RdsErrors.alreadyExists);
}

export function isInvalidState(err: unknown): boolean {
  return isAwsError(err, ...RdsErrors.invalidState);
}

function classify(err: unknown): unknown {
  return classifyAwsError(err, RDS_TERMINAL_CODES);
}

/** The subset of RDS the provider uses; an interface so unit tests can fake it. */
export interface RdsApi {
  describe(identifier: string): Promise<DBInstance | undefined>;
  /** Every instance among `identifiers` that exists, keyed by lower-case identifier. */
  describeMany(identifiers: string[]): Promise<Map<string, DBInstance>>;
  create(input: CreateDBInstanceCommandInput): Promise<DBInstance | undefined>;
  modify(input: ModifyDBInstanceCommandInput): Promise<DBInstance | undefined>;
  addTags(arn: string, tags: Record<string, string>): Promise<void>;
  removeTags(arn: string, keys: string[]): Promise<void>;
  /** Returns the instance as the delete left it, or undefined when it was already gone. */
  delete(identifier: string, finalSnapshotIdentifier: string | undefined): Promise<DBInstance | undefined>;
}

/** Create/modify/describe pass AWS errors that callers inspect (not found, already exists) through unchanged. */
export function sdkRdsApi(conn: AwsConnection): RdsApi {
  const client = sharedClient(conn, RDS_SERVICE, (cfg) => new RDSClient(cfg));
  return {
    async describe(identifier) {
      try {
        const out = await client.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: identifier }));
        return out.DBInstances?.[0];
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw classify(err);
      }
    },

    async describeMany(identifiers) {
      const found = new Map<string, DBInstance>();
      const unique = [...new Set(identifiers.map((id) => id.toLowerCase()))];
      for (let i = 0; i < unique.length; i += DESCRIBE_BATCH) {
        const batch = unique.slice(i, i + DESCRIBE_BATCH);
        let marker: string | undefined;
        do {
          try {
            const out = await client.send(
              new DescribeDBInstancesCommand({
                Filters: [{ Name: "db-instance-id", Values: batch }],
                MaxRecords: DESCRIBE_BATCH,
                ...(marker ? { Marker: marker } : {}),
              }),
            );
            for (const inst of out.DBInstances ?? []) {
              if (inst.DBInstanceIdentifier) found.set(inst.DBInstanceIdentifier.toLowerCase(), inst);
            }
            marker = out.Marker;
          } catch (err) {
            throw classify(err);
          }
        } while (marker);
      }
      return found;
    },

    async create(input) {
      try {
        return (await client.send(new CreateDBInstanceCommand(input))).DBInstance;
      } catch (err) {
        if (isAlreadyExists(err)) throw err;
        throw classify(err);
      }
    },

    async modify(input) {
      try {
        return (await client.send(new ModifyDBInstanceCommand(input))).DBInstance;
      } catch (err) {
        throw classify(err);
      }
    },

    async addTags(arn, tags) {
      try {
        await client.send(new AddTagsToResourceCommand({ ResourceName: arn, Tags: tagMapToList(tags) }));
      } catch (err) {
        throw classify(err);
      }
    },

    async removeTags(arn, keys) {
      try {
        await client.send(new RemoveTagsFromResourceCommand({ ResourceName: arn, TagKeys: keys }));
      } catch (err) {
        throw classify(err);
      }
    },

    async delete(identifier, finalSnapshotIdentifier) {
      try {
        const out = await client.send(
          new DeleteDBInstanceCommand({
            DBInstanceIdentifier: identifier,
            SkipFinalSnapshot: finalSnapshotIdentifier === undefined,
            ...(finalSnapshotIdentifier !== undefined
              ? { FinalDBSnapshotIdentifier: finalSnapshotIdentifier }
              : {}),
          }),
        );
        return out.DBInstance;
      } catch (err) {
        if (isNotFound(err)) return undefined;
        if (isInvalidState(err)) throw err;
        throw classify(err);
      }
    },
  };
}
