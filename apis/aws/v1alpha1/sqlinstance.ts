// SqlInstance: one RDS DB instance (not Aurora clusters). Optional fields
// the user leaves empty take the cloud's value (late initialization) and are
// not drift; fields RDS cannot change in place are immutable through CEL.
import { z } from "zod";
import {
  localRef,
  localReference,
  localSelector,
  objectName,
  SECRET_KEY_PATTERN,
} from "../../../controller/api/index.ts";
import { defineAwsKind, tagMap } from "./common.ts";
import { DB_SUBNET_GROUP_KIND } from "./dbsubnetgroup.ts";
import { SECURITY_GROUP_KIND } from "./securitygroup.ts";
import { engineRules } from "./sqlinstance-engines.ts";

/** RDS engines for stand-alone DB instances. Aurora engines need a DB cluster and are not served here. */
export const SQL_ENGINES = [
  "postgres",
  "mysql",
  "mariadb",
  "oracle-ee",
  "oracle-ee-cdb",
  "oracle-se2",
  "oracle-se2-cdb",
  "sqlserver-ee",
  "sqlserver-se",
  "sqlserver-ex",
  "sqlserver-web",
  "db2-ae",
  "db2-se",
] as const;

export const STORAGE_TYPES = ["gp2", "gp3", "io1", "io2", "standard"] as const;

/** The Secret that keeps a generated master password is named after the SqlInstance plus this. */
export const GENERATED_PASSWORD_SECRET_SUFFIX = "-master-password";

/** RDS identifier rules: letter first, letters, digits and hyphens, no double or trailing hyphen. */
export const RDS_IDENTIFIER_PATTERN = "^[a-zA-Z](-?[a-zA-Z0-9])*$";

const immutable = (field: string) => ({
  "x-kubernetes-validations": [{ rule: "self == oldSelf", message: `${field} is immutable` }],
});

/** CEL for an optional field that may be neither added, removed nor changed after creation. */
const optionalImmutableRule = (field: string) => ({
  rule: `has(self.${field}) == has(oldSelf.${field}) && (!has(self.${field}) || self.${field} == oldSelf.${field})`,
  message: `${field} is immutable`,
  fieldPath: `.${field}`,
});

export const SqlInstanceParameters = z
  .object({
    engine: z.enum(SQL_ENGINES).meta({
      description: "Database engine, e.g. postgres or mysql. Immutable.",
      ...immutable("engine"),
    }),
    engineVersion: z
      .string()
      .regex(/^[0-9][0-9A-Za-z.-]*$/)
      .max(64)
      .optional()
      .meta({
        description:
          'Engine version, e.g. "16.4" or "8.0". A prefix matches newer patch versions ("8.0" matches "8.0.35"). Setpoint upgrades to a higher version but never downgrades. Checked against the engine\'s version format and its range of majors, every one RDS has run and room for the next (PostgreSQL 9.3 to 29, MySQL 5.1 to 9.x, MariaDB 10 to 12, Oracle 11 to 29, SQL Server 10.50 to 19, Db2 11 to 19); a well-formed version that RDS does not offer is refused at create. Empty: the engine default, filled in from the cloud.',
      }),
    instanceClass: z
      .string()
      .regex(/^db\.[a-z0-9][a-z0-9.-]*$/)
      .max(64)
      .meta({ description: "DB instance class, e.g. db.t3.micro." }),
    allocatedStorage: z.int().min(5).max(65536).meta({ description: "Allocated storage in GiB." }),
    storageType: z
      .enum(STORAGE_TYPES)
      .optional()
      .meta({ description: "Storage type. Empty: the RDS default, filled in from the cloud." }),
    iops: z
      .int()
      .min(1000)
      .max(256000)
      .optional()
      .meta({ description: "Provisioned IOPS; required for io1 and io2, optional for gp3." }),
    masterUsername: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9_]*$/)
      .min(1)
      .max(128)
      .meta({
        description:
          "Name of the master user: a letter, then letters, digits and underscores; at most 63 characters for PostgreSQL, 32 for MySQL, 16 for MariaDB and Db2, 30 for Oracle, 128 for SQL Server. rdsadmin is reserved by RDS, and admin and pg_* by PostgreSQL. Immutable.",
        ...immutable("masterUsername"),
      }),
    masterPasswordSecretRef: localRef(
      {
        name: objectName("Name of a Secret in the resource's namespace."),
        key: z
          .string()
          .min(1)
          .max(253)
          .regex(new RegExp(SECRET_KEY_PATTERN))
          .default("password")
          .meta({ description: 'Key in the Secret: letters, digits, "-", "_" and ".".' }),
      },
      "Secret holding the master password. Changing the Secret's value rotates the password. Empty: setpoint generates a strong password and keeps it in the Secret <name>-master-password.",
    ).optional(),
    dbName: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9_]*$/)
      .max(64)
      .optional()
      .meta({
        description:
          "Name of the database created with the instance: at most 63 characters for PostgreSQL, 64 for MySQL and MariaDB, 8 for Oracle (the SID) and Db2; SQL Server takes none. Immutable.",
      }),
    port: z.int().min(1150).max(65535).optional().meta({
      description:
        "Port the database listens on, 1150 to 65535 (SQL Server: not 1234, 1434, 3260, 3343, 3389, 47001 or 49152 to 49156). Empty: the engine default, filled in from the cloud.",
    }),
    multiAZ: z
      .boolean()
      .optional()
      .meta({ description: "Run a standby in a second availability zone. Empty: filled in from the cloud." }),
    publiclyAccessible: z
      .boolean()
      .optional()
      .meta({ description: "Give the instance a public address. Empty: filled in from the cloud." }),
    backupRetentionPeriod: z.int().min(0).max(35).optional().meta({
      description:
        "Days to keep automated backups; 0 disables them. Empty: the RDS default, filled in from the cloud.",
    }),
    deletionProtection: z.boolean().optional().meta({
      description:
        "Protect the instance from deletion. While true, deleting the resource fails with DeletionProtected until it is set to false.",
    }),
    dbSubnetGroupName: z
      .string()
      .min(1)
      .max(255)
      .regex(/^[a-zA-Z0-9._ -]+$/)
      .optional()
      .meta({
        description:
          "DB subnet group, which chooses the VPC: letters, digits, periods, underscores, spaces and hyphens. Immutable. Empty: the default VPC, or the group dbSubnetGroupNameRef names.",
      }),
    dbSubnetGroupNameRef: localReference(DB_SUBNET_GROUP_KIND).optional().meta({
      description:
        "A DBSubnetGroup in this namespace whose name setpoint writes into dbSubnetGroupName once it is Ready; until then nothing is created. Immutable.",
    }),
    vpcSecurityGroupIds: z
      .array(
        z
          .string()
          .max(64)
          .regex(/^sg-[0-9a-f]+$/),
      )
      .max(100)
      .optional()
      .meta({
        description:
          "VPC security groups, compared as a set, each at most once. Empty: the VPC's default security group, filled in from the cloud. With vpcSecurityGroupIdRefs or vpcSecurityGroupIdSelector, setpoint writes the groups' IDs here.",
        "x-kubernetes-list-type": "set",
      }),
    vpcSecurityGroupIdRefs: z.array(localReference(SECURITY_GROUP_KIND)).max(100).optional().meta({
      description:
        "SecurityGroups in this namespace whose IDs setpoint writes into vpcSecurityGroupIds once all are Ready; a group recreated with a new ID is applied as a change.",
    }),
    vpcSecurityGroupIdSelector: localSelector(SECURITY_GROUP_KIND).optional(),
    tags: tagMap(["aws:", "rds:"]).optional(),
    skipFinalSnapshot: z.boolean().default(true).meta({
      description: "Delete without a final snapshot. When false, finalSnapshotIdentifier is required.",
    }),
    finalSnapshotIdentifier: z
      .string()
      .regex(new RegExp(RDS_IDENTIFIER_PATTERN))
      .max(255)
      .optional()
      .meta({ description: "Name of the snapshot taken on delete when skipFinalSnapshot is false." }),
  })
  .meta({
    description: "The RDS DB instance's desired settings.",
    "x-kubernetes-validations": [
      optionalImmutableRule("dbName"),
      {
        // A reference fills the name in once; after that the name is as immutable as one written by hand.
        rule: "(!has(oldSelf.dbSubnetGroupName) && has(self.dbSubnetGroupNameRef)) || (has(self.dbSubnetGroupName) == has(oldSelf.dbSubnetGroupName) && (!has(self.dbSubnetGroupName) || self.dbSubnetGroupName == oldSelf.dbSubnetGroupName))",
        message: "dbSubnetGroupName is immutable",
        fieldPath: ".dbSubnetGroupName",
      },
      optionalImmutableRule("dbSubnetGroupNameRef"),
      {
        rule: "!has(self.vpcSecurityGroupIdRefs) || !has(self.vpcSecurityGroupIdSelector)",
        message: "give vpcSecurityGroupIdRefs or vpcSecurityGroupIdSelector, not both",
      },
      {
        rule: "self.skipFinalSnapshot || has(self.finalSnapshotIdentifier)",
        message: "finalSnapshotIdentifier is required when skipFinalSnapshot is false",
      },
      {
        rule: "!has(self.storageType) || !(self.storageType in ['io1', 'io2']) || has(self.iops)",
        message: "storageType io1 and io2 need iops",
      },
      ...engineRules(),
    ],
  });
export type SqlInstanceParameters = z.infer<typeof SqlInstanceParameters>;

export const SqlInstanceObservation = z
  .object({
    dbInstanceIdentifier: z.string().optional().meta({ description: "The RDS DB instance identifier." }),
    arn: z.string().optional().meta({ description: "The DB instance's ARN." }),
    status: z
      .string()
      .optional()
      .meta({ description: "The RDS status, e.g. available, creating or modifying." }),
    endpoint: z
      .object({
        address: z.string().optional().meta({ description: "DNS name of the instance." }),
        port: z.int().optional().meta({ description: "Port of the instance." }),
      })
      .optional()
      .meta({ description: "Where clients connect." }),
    engineVersion: z.string().optional().meta({ description: "The running engine version." }),
    resourceId: z.string().optional().meta({ description: "The region-unique, immutable DbiResourceId." }),
    deletionProtection: z
      .boolean()
      .optional()
      .meta({ description: "Whether the cloud has deletion protection on." }),
    masterPasswordSecretVersion: z.string().optional().meta({
      description: "resourceVersion of the password Secret last applied; a new one triggers a rotation.",
    }),
    masterPasswordSecretVersionAtAdoption: z.string().optional().meta({
      description:
        "Set while the instance is adopted and setpoint has not set its password: the password Secret's resourceVersion at adoption (empty: there was none). The connection Secret carries no password until the Secret changes and setpoint sets the new password.",
    }),
  })
  .meta({ description: "Observed, non-secret state of the RDS DB instance." });
export type SqlInstanceObservation = z.infer<typeof SqlInstanceObservation>;

export const SqlInstanceKind = defineAwsKind({
  kind: "SqlInstance",
  plural: "sqlinstances",
  singular: "sqlinstance",
  shortNames: ["sqli"],
  description:
    "An AWS RDS DB instance. setpoint creates it, polls it, corrects drift and reports it in status.drift.",
  forProvider: SqlInstanceParameters,
  atProvider: SqlInstanceObservation,
  sensitivePaths: ["forProvider.masterPasswordSecretRef"],
  references: [
    {
      field: "forProvider.dbSubnetGroupNameRef",
      kind: DB_SUBNET_GROUP_KIND,
      into: "forProvider.dbSubnetGroupName",
      from: "externalName",
    },
    {
      field: "forProvider.vpcSecurityGroupIdRefs",
      selector: "forProvider.vpcSecurityGroupIdSelector",
      kind: SECURITY_GROUP_KIND,
      into: "forProvider.vpcSecurityGroupIds",
      from: "status.atProvider.groupId",
      many: true,
    },
  ],
  rules: [
    {
      rule: `has(self.spec.forProvider.masterPasswordSecretRef) || size(self.metadata.name) <= ${253 - GENERATED_PASSWORD_SECRET_SUFFIX.length}`,
      message: `without masterPasswordSecretRef, setpoint keeps the password in the Secret <name>${GENERATED_PASSWORD_SECRET_SUFFIX}, so the name may have at most ${253 - GENERATED_PASSWORD_SECRET_SUFFIX.length} characters`,
      fieldPath: ".spec.forProvider",
    },
    {
      rule: `!has(self.spec.writeConnectionSecretToRef) || self.spec.writeConnectionSecretToRef.name != (has(self.spec.forProvider.masterPasswordSecretRef) ? self.spec.forProvider.masterPasswordSecretRef.name : self.metadata.name + '${GENERATED_PASSWORD_SECRET_SUFFIX}')`,
      message:
        "writeConnectionSecretToRef names the master password Secret, which the connection details would overwrite: choose another name",
      fieldPath: ".spec.writeConnectionSecretToRef.name",
    },
  ],
});
