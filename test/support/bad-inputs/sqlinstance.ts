// Bad SqlInstances: the RDS fields, the limits AWS documents for them, the
// master password Secret, and RDS's own refusals. A table, one entry per bad
// input, so it is long by nature.
import { CreateDBInstanceCommand } from "@aws-sdk/client-rds";
import { deriveIdentifier } from "../../../providers/aws/rds/mapping.ts";
import { SEED_DB_SUBNET_GROUP } from "../env.ts";
import { answered, type Entry, type Json, rejected, tags, withForProvider } from "./catalogue.ts";
import { managedEntries } from "./managed.ts";

export const SQL_BASE: Json = {
  forProvider: {
    engine: "postgres",
    instanceClass: "db.t3.micro",
    allocatedStorage: 20,
    masterUsername: "app",
    dbSubnetGroupName: SEED_DB_SUBNET_GROUP,
  },
};

const FP = "spec.forProvider";

type Category = Parameters<typeof rejected>[0]["category"];

/** A SqlInstance whose forProvider, changed by `patch`, the API server refuses on `field` with `message`. */
function bad(name: string, category: Category, patch: Json, field: string, message: string | RegExp): Entry {
  return rejected({
    name: `a SqlInstance with ${name}`,
    kind: "SqlInstance",
    category,
    spec: withForProvider(SQL_BASE, patch),
    expect: { field: field === "" ? FP : `${FP}.${field}`, message },
  });
}

/** A change, after creation, to a field RDS cannot change in place. */
function immutable(field: string, from: Json, to: Json, message: string | RegExp): Entry {
  return rejected({
    name: `a change of a SqlInstance's ${field}`,
    kind: "SqlInstance",
    category: "immutable field",
    spec: withForProvider(SQL_BASE, from),
    patch: { spec: { forProvider: to } },
    expect: { field: `${FP}.${field}`, message },
  });
}

const withPassword = (key = "password", name = "orders-db-password") => ({
  masterPasswordSecretRef: { name, key },
});

/** A SqlInstance whose user password Secret is wrong; no cloud call until it is right. */
function passwordEntry(name: string, data: Record<string, string> | undefined, message: RegExp): Entry {
  return answered({
    name: `a SqlInstance whose ${name}`,
    kind: "SqlInstance",
    category: "Secret",
    resource: (c) => ({
      kind: "SqlInstance",
      spec: withForProvider(
        { ...SQL_BASE, providerConfigRef: { name: c.providerConfig } },
        withPassword("password", `${c.name}-password`),
      ),
    }),
    secrets: (c) => (data ? [{ namespace: c.namespace, name: `${c.name}-password`, data }] : []),
    expect: { reason: "ReconcileError", message, event: "CannotResolveResourceReferences", maxCloudCalls: 0 },
  });
}

export const SQL_INSTANCE_ENTRIES: Entry[] = [
  ...managedEntries("SqlInstance", SQL_BASE, {
    value: "Bad_Name!",
    why: /external-name is "Bad_Name!", which cannot name a SqlInstance in the cloud: a DB instance identifier has 1 to 63 letters/,
  }),
  // Types, ranges and enums.
  bad(
    "allocatedStorage as a string",
    "wrong type",
    { allocatedStorage: "20" },
    "allocatedStorage",
    "must be of type integer",
  ),
  bad(
    "allocatedStorage 20.5",
    "wrong type",
    { allocatedStorage: 20.5 },
    "allocatedStorage",
    "must be of type integer",
  ),
  bad(
    "allocatedStorage 4 GiB",
    "out of range",
    { allocatedStorage: 4 },
    "allocatedStorage",
    /greater than or equal to 5/,
  ),
  bad(
    "allocatedStorage 70000 GiB",
    "out of range",
    { allocatedStorage: 70000 },
    "allocatedStorage",
    /less than or equal to 65536/,
  ),
  bad("multiAZ as the string yes", "wrong type", { multiAZ: "yes" }, "multiAZ", "must be of type boolean"),
  bad("port 80, below RDS's 1150", "out of range", { port: 80 }, "port", /greater than or equal to 1150/),
  bad("port 70000", "out of range", { port: 70000 }, "port", /less than or equal to 65535/),
  bad(
    "backupRetentionPeriod 36 days",
    "out of range",
    { backupRetentionPeriod: 36 },
    "backupRetentionPeriod",
    /less than or equal to 35/,
  ),
  bad(
    "iops 500, below io1's minimum",
    "out of range",
    { storageType: "io1", iops: 500 },
    "iops",
    /greater than or equal to 1000/,
  ),
  bad('engine "postgresql"', "unknown enum value", { engine: "postgresql" }, "engine", "Unsupported value"),
  bad(
    "an Aurora engine, which needs a DB cluster",
    "unknown enum value",
    { engine: "aurora-postgresql" },
    "engine",
    "Unsupported value",
  ),
  bad("storageType gp4", "unknown enum value", { storageType: "gp4" }, "storageType", "Unsupported value"),
  // Strings: empty, huge, shapes.
  bad(
    "an empty masterUsername",
    "empty or huge string",
    { masterUsername: "" },
    "masterUsername",
    /at least 1 chars/,
  ),
  bad(
    "a 10,000-character instanceClass",
    "empty or huge string",
    { instanceClass: `db.${"x".repeat(10_000)}` },
    "instanceClass",
    /Too long|at most 64/,
  ),
  bad(
    'instanceClass "t3.micro", without db.',
    "name AWS refuses",
    { instanceClass: "t3.micro" },
    "instanceClass",
    "should match",
  ),
  bad(
    'engineVersion "latest"',
    "name AWS refuses",
    { engineVersion: "latest" },
    "engineVersion",
    "should match",
  ),
  bad(
    "a masterUsername starting with a digit",
    "name AWS refuses",
    { masterUsername: "1app" },
    "masterUsername",
    "should match",
  ),
  bad("a dbName with a hyphen", "name AWS refuses", { dbName: "orders-db" }, "dbName", "should match"),
  bad(
    "a finalSnapshotIdentifier with two hyphens in a row",
    "name AWS refuses",
    { skipFinalSnapshot: false, finalSnapshotIdentifier: "final--snap" },
    "finalSnapshotIdentifier",
    "should match",
  ),
  bad(
    "a security group ID that is not one",
    "name AWS refuses",
    { vpcSecurityGroupIds: ["sg-XYZ"] },
    "vpcSecurityGroupIds[0]",
    "should match",
  ),
  bad(
    "a security group listed twice",
    "cross-field rule",
    { vpcSecurityGroupIds: ["sg-0a1b", "sg-0a1b"] },
    "vpcSecurityGroupIds[1]",
    "Duplicate value",
  ),
  bad(
    "a DB subnet group name with a slash",
    "name AWS refuses",
    { dbSubnetGroupName: "team/db" },
    "dbSubnetGroupName",
    "should match",
  ),
  bad(
    "a password Secret named Bad_Name",
    "name AWS refuses",
    { masterPasswordSecretRef: { name: "Bad_Name" } },
    "masterPasswordSecretRef.name",
    "should match",
  ),
  bad(
    "a password Secret key with a space",
    "name AWS refuses",
    withPassword("pass word"),
    "masterPasswordSecretRef.key",
    "should match",
  ),
  bad(
    "a password Secret in another namespace",
    "cross-field rule",
    { masterPasswordSecretRef: { name: "db-pw", namespace: "other-team" } },
    "masterPasswordSecretRef",
    "references stay in the resource's own namespace",
  ),
  // What AWS documents, checked before any endpoint sees it.
  bad(
    "60 tags: AWS allows 50, and setpoint's own 2 count",
    "AWS limit",
    { tags: tags(60) },
    "tags",
    /must have at most 48 items|Too many/,
  ),
  bad(
    "49 tags, one more than the 48 a user may set",
    "AWS limit",
    { tags: tags(49) },
    "tags",
    /must have at most 48 items|Too many/,
  ),
  bad(
    "a tag key starting with aws:",
    "AWS limit",
    { tags: { "aws:cost-center": "x" } },
    "tags",
    "tag keys starting with aws: or rds: are reserved by AWS",
  ),
  bad(
    "a tag key starting with rds:, which RDS reserves",
    "AWS limit",
    { tags: { "RDS:team": "x" } },
    "tags",
    "reserved by AWS",
  ),
  bad(
    "setpoint's own owner tag",
    "ownership",
    { tags: { "setpoint.dev/owner": "other/db" } },
    "tags",
    "are setpoint's own tags and cannot be set",
  ),
  bad(
    "a 129-character tag key",
    "AWS limit",
    { tags: { ["k".repeat(129)]: "v" } },
    "tags",
    "tag keys must have 1 to 128 characters",
  ),
  bad(
    "a 257-character tag value",
    "AWS limit",
    { tags: { team: "v".repeat(257) } },
    "tags.team",
    /Too long|at most 256/,
  ),
  bad(
    "a tag value with a character AWS refuses",
    "AWS limit",
    { tags: { team: "a#b" } },
    "tags",
    "may contain only letters, digits, spaces",
  ),
  bad(
    "master username rdsadmin, which RDS keeps for itself",
    "AWS limit",
    { masterUsername: "rdsadmin" },
    "masterUsername",
    "masterUsername rdsadmin is reserved by RDS",
  ),
  bad(
    "master username RDSADMIN, in capitals",
    "AWS limit",
    { masterUsername: "RDSADMIN" },
    "masterUsername",
    "reserved by RDS",
  ),
  bad(
    "master username admin on PostgreSQL",
    "AWS limit",
    { masterUsername: "admin" },
    "masterUsername",
    "reserved by PostgreSQL",
  ),
  bad(
    "master username pg_owner on PostgreSQL",
    "AWS limit",
    { masterUsername: "pg_owner" },
    "masterUsername",
    "names starting with pg_ are reserved",
  ),
  bad(
    "a 64-character master username on PostgreSQL",
    "AWS limit",
    { masterUsername: `u${"x".repeat(63)}` },
    "masterUsername",
    "at most 63 characters for PostgreSQL",
  ),
  bad(
    "a 17-character master username on MariaDB",
    "AWS limit",
    { engine: "mariadb", masterUsername: `u${"x".repeat(16)}` },
    "masterUsername",
    "at most 16 characters for MariaDB",
  ),
  bad(
    "a 33-character master username on MySQL",
    "AWS limit",
    { engine: "mysql", masterUsername: `u${"x".repeat(32)}` },
    "masterUsername",
    "at most 32 characters for MySQL",
  ),
  bad(
    'engine version "99.9" for PostgreSQL',
    "AWS limit",
    { engineVersion: "99.9" },
    "engineVersion",
    "engineVersion is not a PostgreSQL version",
  ),
  bad(
    'engine version "8.0" for PostgreSQL, a MySQL version',
    "AWS limit",
    { engineVersion: "8.0" },
    "engineVersion",
    "not a PostgreSQL version",
  ),
  bad(
    'engine version "16.4" for MySQL',
    "AWS limit",
    { engine: "mysql", engineVersion: "16.4" },
    "engineVersion",
    "not a MySQL version",
  ),
  bad(
    'engine version "15" for SQL Server, without the .00',
    "AWS limit",
    { engine: "sqlserver-ex", masterUsername: "app", engineVersion: "15" },
    "engineVersion",
    "not a SQL Server version",
  ),
  bad(
    "a dbName on SQL Server, which takes none",
    "AWS limit",
    { engine: "sqlserver-ex", dbName: "orders" },
    "dbName",
    "dbName is not supported for SQL Server",
  ),
  bad(
    "a 9-character dbName on Oracle (the SID)",
    "AWS limit",
    { engine: "oracle-se2", dbName: "ORDERSDB1" },
    "dbName",
    "at most 8 characters for Oracle",
  ),
  bad(
    "port 1434 on SQL Server, which RDS keeps",
    "AWS limit",
    { engine: "sqlserver-ex", port: 1434 },
    "port",
    "reserved by RDS for SQL Server",
  ),
  // Fields that depend on one another.
  bad(
    "storageType io1 without iops",
    "cross-field rule",
    { storageType: "io1" },
    "",
    "storageType io1 and io2 need iops",
  ),
  bad(
    "skipFinalSnapshot false without a snapshot name",
    "cross-field rule",
    { skipFinalSnapshot: false },
    "",
    "finalSnapshotIdentifier is required when skipFinalSnapshot is false",
  ),
  rejected({
    name: "a SqlInstance whose connection Secret is its own password Secret",
    kind: "SqlInstance",
    category: "cross-field rule",
    spec: {
      ...withForProvider(SQL_BASE, withPassword()),
      writeConnectionSecretToRef: { name: "orders-db-password" },
    },
    expect: { field: "spec.writeConnectionSecretToRef.name", message: "names the master password Secret" },
  }),
  rejected({
    name: "a SqlInstance whose connection Secret is its generated password Secret",
    kind: "SqlInstance",
    category: "cross-field rule",
    metadataName: "orders",
    spec: { ...SQL_BASE, writeConnectionSecretToRef: { name: "orders-master-password" } },
    expect: { field: "spec.writeConnectionSecretToRef.name", message: "names the master password Secret" },
  }),
  rejected({
    name: "a SqlInstance named with 240 characters, too long for its generated password Secret's name",
    kind: "SqlInstance",
    category: "name AWS refuses",
    metadataName: "o".repeat(240),
    spec: SQL_BASE,
    expect: { field: FP, message: "so the name may have at most 237 characters" },
  }),
  // Fields RDS cannot change in place.
  immutable("engine", {}, { engine: "mysql" }, "engine is immutable"),
  immutable("masterUsername", {}, { masterUsername: "other" }, "masterUsername is immutable"),
  immutable("dbName", { dbName: "orders" }, { dbName: "billing" }, "dbName is immutable"),
  immutable("dbSubnetGroupName", {}, { dbSubnetGroupName: "other-group" }, "dbSubnetGroupName is immutable"),
  // Accepted, and answered by the controller.
  passwordEntry(
    "password Secret does not exist",
    undefined,
    /^cannot resolve references: master password Secret .+-password not found/,
  ),
  passwordEntry("password Secret has no key password", { pw: "s3cret-value" }, /has no key "password"/),
  passwordEntry(
    "password is 5 characters, and RDS needs 8",
    { password: "short" },
    /cannot be used: it has 5 characters, and RDS takes 8 to 128/,
  ),
  passwordEntry(
    "password contains an @, which RDS refuses",
    { password: "p@ssword-123" },
    /cannot be used: it contains a character RDS refuses/,
  ),
  answered({
    name: "a SqlInstance in a DB subnet group that does not exist",
    kind: "SqlInstance",
    category: "cloud refusal",
    resource: (c) => ({
      kind: "SqlInstance",
      spec: withForProvider(
        { ...SQL_BASE, providerConfigRef: { name: c.providerConfig } },
        { dbSubnetGroupName: "no-such-group" },
      ),
    }),
    expect: {
      reason: "ReconcileTerminal",
      message: /^cannot create external resource: DBSubnetGroupNotFoundFault/,
      event: "CannotCreateExternalResource",
      maxCloudCalls: 2,
    },
  }),
  answered({
    name: "a SqlInstance whose external-name is another team's DB instance",
    kind: "SqlInstance",
    category: "ownership",
    resource: (c) => ({
      kind: "SqlInstance",
      spec: { ...SQL_BASE, providerConfigRef: { name: c.providerConfig } },
      annotations: { "setpoint.dev/external-name": `${c.name}-theirs` },
    }),
    inCloud: async (c) => {
      await c.rds.send(
        new CreateDBInstanceCommand({
          DBInstanceIdentifier: `${c.name}-theirs`,
          Engine: "postgres",
          DBInstanceClass: "db.t3.micro",
          AllocatedStorage: 20,
          MasterUsername: "them",
          MasterUserPassword: "their-password-1",
          Tags: [
            { Key: "setpoint.dev/owner", Value: "other-team/db" },
            { Key: "setpoint.dev/uid", Value: "0000-other" },
          ],
        }),
      );
    },
    expect: {
      reason: "ReconcileTerminal",
      message: /owned by other-team\/db; setpoint will not change it/,
      event: "CannotManageExternalResource",
      maxCloudCalls: 1,
    },
  }),
  answered({
    name: "a SqlInstance whose derived name an untagged DB instance already has",
    kind: "SqlInstance",
    category: "ownership",
    resource: (c) => ({
      kind: "SqlInstance",
      spec: { ...SQL_BASE, providerConfigRef: { name: c.providerConfig } },
    }),
    inCloud: async (c) => {
      await c.rds.send(
        new CreateDBInstanceCommand({
          DBInstanceIdentifier: deriveIdentifier(c.namespace, c.name),
          Engine: "postgres",
          DBInstanceClass: "db.t3.micro",
          AllocatedStorage: 20,
          MasterUsername: "them",
          MasterUserPassword: "their-password-1",
        }),
      );
    },
    expect: {
      reason: "ReconcileTerminal",
      message: /already exists and carries no setpoint owner tags/,
      event: "CannotManageExternalResource",
      maxCloudCalls: 1,
    },
  }),
  answered({
    name: "a SqlInstance that names an untagged DB instance its ProviderConfig does not let it adopt",
    kind: "SqlInstance",
    category: "ownership",
    resource: (c) => ({
      kind: "SqlInstance",
      spec: { ...SQL_BASE, providerConfigRef: { name: c.providerConfig } },
      annotations: { "setpoint.dev/external-name": `${c.name}-legacy` },
    }),
    inCloud: async (c) => {
      await c.rds.send(
        new CreateDBInstanceCommand({
          DBInstanceIdentifier: `${c.name}-legacy`,
          Engine: "postgres",
          DBInstanceClass: "db.t3.micro",
          AllocatedStorage: 20,
          MasterUsername: "them",
          MasterUserPassword: "their-password-1",
        }),
      );
    },
    expect: {
      reason: "ReconcileTerminal",
      message: /AdoptionNotAllowed: .*carries no setpoint owner tags, so using it would adopt it/,
      event: "CannotManageExternalResource",
      maxCloudCalls: 1,
    },
  }),
  answered({
    name: "a SqlInstance whose external-name is 64 characters, one more than RDS allows",
    kind: "SqlInstance",
    category: "name AWS refuses",
    resource: (c) => ({
      kind: "SqlInstance",
      spec: { ...SQL_BASE, providerConfigRef: { name: c.providerConfig } },
      annotations: { "setpoint.dev/external-name": `d${"b".repeat(63)}` },
    }),
    expect: {
      reason: "ReconcileTerminal",
      message: /cannot name a SqlInstance in the cloud: a DB instance identifier has 1 to 63/,
      event: "CannotInitializeManagedResource",
      maxCloudCalls: 0,
    },
  }),
];
