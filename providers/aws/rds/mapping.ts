// Pure mapping between a SqlInstance spec and the RDS API: identifier
// derivation, spec → CreateDBInstance, DBInstance → atProvider/readiness,
// the field-by-field comparison (drift, and the plan an update carries out),
// late initialization, and plan → ModifyDBInstance.
// No I/O here, so every rule is unit-tested with plain objects.
// Just over 400 lines: one table of SqlInstance fields to RDS fields, kept together so that create,
// compare and modify cannot disagree about a field.
import { createHash } from "node:crypto";
import type {
  CreateDBInstanceCommandInput,
  DBInstance,
  ModifyDBInstanceCommandInput,
} from "@aws-sdk/client-rds";
import type {
  SqlInstanceObservation,
  SqlInstanceParameters,
} from "../../../apis/aws/v1alpha1/sqlinstance.ts";
import type { FieldDiff, ReadyReason } from "../../../controller/provider.ts";
import { diffTags, type TagChanges, tagChangesToDrift, tagListToMap, tagMapToList } from "../shared/index.ts";

// ---------------------------------------------------------------- identifiers

export const RDS_IDENTIFIER_MAX = 63;
const HASH_LEN = 8;

function shortHash(s: string): string {
  return createHash("sha256").update(s).digest("hex").slice(0, HASH_LEN);
}

/** True for a valid RDS DB instance identifier. */
export function isValidIdentifier(id: string): boolean {
  return id.length >= 1 && id.length <= RDS_IDENTIFIER_MAX && /^[a-z](-?[a-z0-9])*$/i.test(id);
}

/**
 * "<namespace>-<name>", made into a valid RDS identifier. When sanitising
 * changed anything or the result is too long, a hash of the original
 * namespace/name is appended, so that two different resources never map to
 * one identifier through sanitising or truncation.
 */
export function deriveIdentifier(namespace: string, name: string): string {
  const raw = `${namespace}-${name}`.toLowerCase();
  let id = raw
    .replace(/[^a-z0-9-]/g, "-")
    .replace(/-{2,}/g, "-")
    .replace(/^-+|-+$/g, "");
  if (!/^[a-z]/.test(id)) id = `r-${id}`.replace(/-+$/, "");
  if (id === raw && id.length <= RDS_IDENTIFIER_MAX) return id;
  const hash = shortHash(`${namespace}/${name}`);
  const room = RDS_IDENTIFIER_MAX - HASH_LEN - 1;
  const head = id.slice(0, room).replace(/-+$/, "");
  return `${head}-${hash}`;
}

// ----------------------------------------------------------------- readiness

export interface Readiness {
  ready: { status: boolean; reason: ReadyReason; message?: string };
  inProgress: boolean;
}

/** Usable, and no change under way. */
const AVAILABLE = new Set(["available", "storage-optimization"]);
/** Usable, but RDS is busy with it: no modify now. */
const BUSY_USABLE = new Set([
  "backing-up",
  "modifying",
  "configuring-enhanced-monitoring",
  "configuring-iam-database-auth",
  "configuring-log-exports",
  "resetting-master-credentials",
  "renaming",
  "storage-config-upgrade",
]);
/** Not usable while RDS works on it; it will come back by itself. */
const BUSY_UNAVAILABLE = new Set([
  "rebooting",
  "upgrading",
  "starting",
  "stopping",
  "maintenance",
  "moving-to-vpc",
  "converting-to-vpc",
  "storage-initialization",
]);

/** Maps DBInstanceStatus to the Ready condition and whether the cloud is busy. */
export function readiness(status: string | undefined): Readiness {
  const s = status ?? "unknown";
  const message = `DB instance status is ${s}`;
  if (AVAILABLE.has(s)) return { ready: { status: true, reason: "Available" }, inProgress: false };
  if (s === "creating") return { ready: { status: false, reason: "Creating", message }, inProgress: true };
  if (s === "deleting") return { ready: { status: false, reason: "Deleting", message }, inProgress: true };
  if (BUSY_USABLE.has(s)) return { ready: { status: true, reason: "Available", message }, inProgress: true };
  if (BUSY_UNAVAILABLE.has(s))
    return { ready: { status: false, reason: "Unavailable", message }, inProgress: true };
  // failed, storage-full, incompatible-*, inaccessible-encryption-credentials,
  // restore-error, insufficient-capacity, stopped, and anything new: not
  // usable, and not going to change by itself, so an update may fix it.
  return { ready: { status: false, reason: "Unavailable", message }, inProgress: false };
}

// ------------------------------------------------------------------ atProvider

export function toAtProvider(
  inst: DBInstance,
  masterPasswordSecretVersion?: string,
  masterPasswordSecretVersionAtAdoption?: string,
): SqlInstanceObservation {
  const at: SqlInstanceObservation = {};
  if (inst.DBInstanceIdentifier !== undefined) at.dbInstanceIdentifier = inst.DBInstanceIdentifier;
  if (inst.DBInstanceArn !== undefined) at.arn = inst.DBInstanceArn;
  if (inst.DBInstanceStatus !== undefined) at.status = inst.DBInstanceStatus;
  if (inst.Endpoint?.Address !== undefined || inst.Endpoint?.Port !== undefined) {
    at.endpoint = {};
    if (inst.Endpoint.Address !== undefined) at.endpoint.address = inst.Endpoint.Address;
    if (inst.Endpoint.Port !== undefined) at.endpoint.port = inst.Endpoint.Port;
  }
  if (inst.EngineVersion !== undefined) at.engineVersion = inst.EngineVersion;
  if (inst.DbiResourceId !== undefined) at.resourceId = inst.DbiResourceId;
  if (inst.DeletionProtection !== undefined) at.deletionProtection = inst.DeletionProtection;
  if (masterPasswordSecretVersion !== undefined) at.masterPasswordSecretVersion = masterPasswordSecretVersion;
  if (masterPasswordSecretVersionAtAdoption !== undefined)
    at.masterPasswordSecretVersionAtAdoption = masterPasswordSecretVersionAtAdoption;
  return at;
}

/** endpoint, host, port, username, password and database; only the keys whose values are known. */
export function connectionDetails(inst: DBInstance, password: string | undefined): Record<string, string> {
  const d: Record<string, string> = {};
  const host = inst.Endpoint?.Address;
  const port = inst.Endpoint?.Port ?? inst.DbInstancePort;
  if (host !== undefined) d.host = host;
  if (port !== undefined && port !== 0) d.port = String(port);
  if (host !== undefined && d.port !== undefined) d.endpoint = `${host}:${d.port}`;
  if (inst.MasterUsername !== undefined) d.username = inst.MasterUsername;
  if (password !== undefined) d.password = password;
  if (inst.DBName !== undefined) d.database = inst.DBName;
  return d;
}

// ---------------------------------------------------------------------- create

export function createInput(
  identifier: string,
  p: SqlInstanceParameters,
  tags: Record<string, string>,
  password: string,
): CreateDBInstanceCommandInput {
  const input: CreateDBInstanceCommandInput = {
    DBInstanceIdentifier: identifier,
    Engine: p.engine,
    DBInstanceClass: p.instanceClass,
    AllocatedStorage: p.allocatedStorage,
    MasterUsername: p.masterUsername,
    MasterUserPassword: password,
    Tags: tagMapToList(tags),
  };
  if (p.engineVersion !== undefined) input.EngineVersion = p.engineVersion;
  if (p.storageType !== undefined) input.StorageType = p.storageType;
  if (p.iops !== undefined) input.Iops = p.iops;
  if (p.dbName !== undefined) input.DBName = p.dbName;
  if (p.port !== undefined) input.Port = p.port;
  if (p.multiAZ !== undefined) input.MultiAZ = p.multiAZ;
  if (p.publiclyAccessible !== undefined) input.PubliclyAccessible = p.publiclyAccessible;
  if (p.backupRetentionPeriod !== undefined) input.BackupRetentionPeriod = p.backupRetentionPeriod;
  if (p.deletionProtection !== undefined) input.DeletionProtection = p.deletionProtection;
  if (p.dbSubnetGroupName !== undefined) input.DBSubnetGroupName = p.dbSubnetGroupName;
  if (p.vpcSecurityGroupIds !== undefined) input.VpcSecurityGroupIds = [...p.vpcSecurityGroupIds];
  return input;
}

// --------------------------------------------------------------- engine version

function versionParts(v: string): string[] {
  return v.split(".");
}

function comparePart(a: string, b: string): number {
  if (/^\d+$/.test(a) && /^\d+$/.test(b)) return Number(a) - Number(b);
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Negative when a < b, 0 when equal, positive when a > b; numeric parts compare as numbers. */
export function compareEngineVersions(a: string, b: string): number {
  const pa = versionParts(a);
  const pb = versionParts(b);
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const c = comparePart(pa[i]!, pb[i]!);
    if (c !== 0) return c;
  }
  return pa.length - pb.length;
}

/** "8.0" is satisfied by "8.0" and "8.0.35" but not by "8.4.1"; "8.0.3" is not satisfied by "8.0.35". */
export function engineVersionMatches(desired: string, observed: string): boolean {
  const d = versionParts(desired);
  const o = versionParts(observed);
  return d.length <= o.length && d.every((part, i) => comparePart(part, o[i]!) === 0);
}

/**
 * Whether the engine version needs an upgrade. A matching or higher observed
 * version (an automatic minor upgrade) is not drift: correcting it would be a
 * downgrade, which RDS cannot do.
 */
export function engineVersionDrifted(
  desired: string,
  observed: string | undefined,
  pending?: string,
): boolean {
  if (observed === undefined) return false;
  if (engineVersionMatches(desired, observed)) return false;
  if (pending !== undefined && engineVersionMatches(desired, pending)) return false;
  return compareEngineVersions(observed, desired) < 0;
}

// ------------------------------------------------------------------------ diff

export const Paths = {
  allocatedStorage: "forProvider.allocatedStorage",
  instanceClass: "forProvider.instanceClass",
  backupRetentionPeriod: "forProvider.backupRetentionPeriod",
  deletionProtection: "forProvider.deletionProtection",
  publiclyAccessible: "forProvider.publiclyAccessible",
  multiAZ: "forProvider.multiAZ",
  engineVersion: "forProvider.engineVersion",
  port: "forProvider.port",
  storageType: "forProvider.storageType",
  iops: "forProvider.iops",
  vpcSecurityGroupIds: "forProvider.vpcSecurityGroupIds",
  tags: "forProvider.tags",
  masterPassword: "forProvider.masterPasswordSecretRef",
} as const;

/** Security groups in effect or being added; those being removed no longer count. */
export function observedSecurityGroups(inst: DBInstance): string[] {
  return (inst.VpcSecurityGroups ?? [])
    .filter((g) => g.VpcSecurityGroupId !== undefined && g.Status !== "removing" && g.Status !== "inactive")
    .map((g) => g.VpcSecurityGroupId!)
    .sort();
}

export function observedPort(inst: DBInstance): number | undefined {
  const port = inst.Endpoint?.Port ?? inst.DbInstancePort;
  return port === 0 ? undefined : port;
}

interface ScalarField {
  key: ModifiableField;
  observed: (i: DBInstance) => unknown;
  pending?: (i: DBInstance) => unknown;
}

/** Scalar fields compared by equality; a pending modification to the desired value counts as done. */
const SCALAR_FIELDS: ScalarField[] = [
  {
    key: "allocatedStorage",
    observed: (i) => i.AllocatedStorage,
    pending: (i) => i.PendingModifiedValues?.AllocatedStorage,
  },
  {
    key: "instanceClass",
    observed: (i) => i.DBInstanceClass,
    pending: (i) => i.PendingModifiedValues?.DBInstanceClass,
  },
  {
    key: "backupRetentionPeriod",
    observed: (i) => i.BackupRetentionPeriod,
    pending: (i) => i.PendingModifiedValues?.BackupRetentionPeriod,
  },
  { key: "deletionProtection", observed: (i) => i.DeletionProtection },
  { key: "publiclyAccessible", observed: (i) => i.PubliclyAccessible },
  { key: "multiAZ", observed: (i) => i.MultiAZ, pending: (i) => i.PendingModifiedValues?.MultiAZ },
  { key: "port", observed: observedPort, pending: (i) => i.PendingModifiedValues?.Port },
  {
    key: "storageType",
    observed: (i) => i.StorageType,
    pending: (i) => i.PendingModifiedValues?.StorageType,
  },
  { key: "iops", observed: (i) => i.Iops, pending: (i) => i.PendingModifiedValues?.Iops },
];

export interface DesiredTags {
  /** User tags plus owner tags. */
  tags: Record<string, string>;
  /** False when the user left spec tags empty: extra cloud tags are then left alone. */
  authoritative: boolean;
}

/** The spec fields ModifyDBInstance can change in place. */
export type ModifiableField = Exclude<keyof SqlInstanceParameters & keyof typeof Paths, "tags">;

export interface Comparison {
  /** Every managed field whose observed value differs from the spec, by spec path. */
  drift: FieldDiff[];
  /** The same differences, as what an update sends: the fields to modify and the tag calls. */
  modify: Set<ModifiableField>;
  tags: TagChanges;
}

/**
 * Compares the spec with the instance. Fields the user left empty are
 * late-initialized, never drift.
 */
export function compare(p: SqlInstanceParameters, inst: DBInstance, desiredTags: DesiredTags): Comparison {
  const drift: FieldDiff[] = [];
  const modify = new Set<ModifiableField>();
  const differs = (key: ModifiableField, desired: unknown, observed: unknown) => {
    drift.push({ path: Paths[key], desired, observed });
    modify.add(key);
  };
  for (const f of SCALAR_FIELDS) {
    const desired = p[f.key];
    if (desired === undefined) continue;
    const observed = f.observed(inst);
    // Unreported (e.g. the port while creating, or an emulator's gap) is unknown, not drift.
    if (observed === undefined || observed === desired) continue;
    if (f.pending && f.pending(inst) === desired) continue;
    differs(f.key, desired, observed);
  }
  if (
    p.engineVersion !== undefined &&
    engineVersionDrifted(p.engineVersion, inst.EngineVersion, inst.PendingModifiedValues?.EngineVersion)
  ) {
    differs("engineVersion", p.engineVersion, inst.EngineVersion);
  }
  if (p.vpcSecurityGroupIds !== undefined) {
    const desired = [...new Set(p.vpcSecurityGroupIds)].sort();
    const observed = observedSecurityGroups(inst);
    if (desired.join(",") !== observed.join(",")) differs("vpcSecurityGroupIds", desired, observed);
  }
  const observedTags = tagListToMap(inst.TagList);
  const tags = diffTags(desiredTags.tags, observedTags, { authoritative: desiredTags.authoritative });
  drift.push(...tagChangesToDrift(tags, observedTags, Paths.tags));
  return { drift, modify, tags };
}

/** The drift alone, for callers that do not update. */
export function diff(p: SqlInstanceParameters, inst: DBInstance, desiredTags: DesiredTags): FieldDiff[] {
  return compare(p, inst, desiredTags).drift;
}

// ------------------------------------------------------------------ late init

/** Cloud values for the optional fields the user left empty. */
export function lateInit(p: SqlInstanceParameters, inst: DBInstance): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const fill = (key: keyof SqlInstanceParameters, value: unknown) => {
    if (p[key] === undefined && value !== undefined) out[key] = value;
  };
  fill("engineVersion", inst.EngineVersion);
  fill("port", observedPort(inst));
  fill("storageType", inst.StorageType);
  fill("backupRetentionPeriod", inst.BackupRetentionPeriod);
  fill("multiAZ", inst.MultiAZ);
  fill("publiclyAccessible", inst.PubliclyAccessible);
  fill("deletionProtection", inst.DeletionProtection);
  const groups = observedSecurityGroups(inst);
  if (groups.length > 0) fill("vpcSecurityGroupIds", groups);
  return out;
}

// ---------------------------------------------------------------------- update

/**
 * One ModifyDBInstance with only the fields that differ, applied
 * immediately, plus the new master password when one is given; undefined
 * when there is nothing to send. Values come from the spec, so the call
 * carries exactly what the user asked for.
 */
export function modifyInput(
  identifier: string,
  p: SqlInstanceParameters,
  modify: ReadonlySet<ModifiableField>,
  newPassword?: string,
): ModifyDBInstanceCommandInput | undefined {
  const input: ModifyDBInstanceCommandInput = { DBInstanceIdentifier: identifier, ApplyImmediately: true };
  let changed = false;
  const set = <K extends keyof ModifyDBInstanceCommandInput>(
    field: ModifiableField,
    key: K,
    value: ModifyDBInstanceCommandInput[K] | undefined,
  ) => {
    if (modify.has(field) && value !== undefined) {
      input[key] = value;
      changed = true;
    }
  };
  set("allocatedStorage", "AllocatedStorage", p.allocatedStorage);
  set("instanceClass", "DBInstanceClass", p.instanceClass);
  set("backupRetentionPeriod", "BackupRetentionPeriod", p.backupRetentionPeriod);
  set("deletionProtection", "DeletionProtection", p.deletionProtection);
  set("publiclyAccessible", "PubliclyAccessible", p.publiclyAccessible);
  set("multiAZ", "MultiAZ", p.multiAZ);
  set("port", "DBPortNumber", p.port);
  set("storageType", "StorageType", p.storageType);
  set("iops", "Iops", p.iops);
  set("vpcSecurityGroupIds", "VpcSecurityGroupIds", p.vpcSecurityGroupIds && [...p.vpcSecurityGroupIds]);
  set("engineVersion", "EngineVersion", p.engineVersion);
  // The spec is the user's explicit ask; RDS refuses a major upgrade without this flag.
  if (input.EngineVersion !== undefined) input.AllowMajorVersionUpgrade = true;
  // RDS needs the IOPS with a change to provisioned-IOPS storage.
  if (input.StorageType !== undefined && input.Iops === undefined && p.iops !== undefined)
    input.Iops = p.iops;
  if (newPassword !== undefined) {
    input.MasterUserPassword = newPassword;
    changed = true;
  }
  return changed ? input : undefined;
}
