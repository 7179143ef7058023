// The SqlInstance provider: RDS DB instances. The engine decides when to
// create, update or delete; this module only maps one SqlInstance onto the
// RDS API (mapping.ts holds the pure rules, client.ts the SDK calls).
import type { DBInstance } from "@aws-sdk/client-rds";
import { Annotations, type Managed } from "../../../apis/aws/v1alpha1/common.ts";
import type {
  SqlInstanceObservation,
  SqlInstanceParameters,
} from "../../../apis/aws/v1alpha1/sqlinstance.ts";
import {
  type CreateResult,
  type DeleteResult,
  type ExternalClient,
  type FieldDiff,
  type KubeAccess,
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
  SetpointCodes,
  tagListToMap,
} from "../shared/index.ts";
import { isAlreadyExists, type RdsApi, sdkRdsApi } from "./client.ts";
import {
  connectionDetails,
  createInput,
  deriveIdentifier,
  diff,
  lateInit,
  modifyInput,
  Paths,
  readiness,
  tagChangesFromDrift,
  toAtProvider,
} from "./mapping.ts";
import { checkRotation, ensurePassword, passwordSource, readPassword } from "./password.ts";

export { RDS_TERMINAL_CODES } from "./client.ts";
export { deriveIdentifier } from "./mapping.ts";

type SqlInstance = Managed<SqlInstanceParameters, SqlInstanceObservation>;
type SqlObservation = Observation<SqlInstanceObservation>;

/** Terminal error codes raised by this provider itself (AWS codes are in RDS_TERMINAL_CODES). */
export const RdsCodes = {
  DeletionProtected: "DeletionProtected",
  ForeignOwner: SetpointCodes.ForeignOwner,
  FinalSnapshotIdentifierRequired: "FinalSnapshotIdentifierRequired",
} as const;

export const SQL_INSTANCE_KIND = "SqlInstance";

export function externalName(mr: Managed): string {
  return (
    mr.metadata.annotations?.[Annotations.externalName] ??
    deriveIdentifier(mr.metadata.namespace ?? "default", mr.metadata.name)
  );
}

export class SqlInstanceClient implements ExternalClient<SqlInstanceParameters, SqlInstanceObservation> {
  readonly #api: RdsApi;
  readonly #kube: KubeAccess;

  constructor(api: RdsApi, kube: KubeAccess) {
    this.#api = api;
    this.#kube = kube;
  }

  async observe(mr: SqlInstance): Promise<SqlObservation> {
    return this.#observation(mr, await this.#api.describe(externalName(mr)));
  }

  async observeMany(mrs: SqlInstance[]): Promise<Map<string, SqlObservation>> {
    const found = await this.#api.describeMany(mrs.map(externalName));
    const out = new Map<string, SqlObservation>();
    await Promise.all(
      mrs.map(async (mr) => {
        const id = externalName(mr);
        out.set(id, await this.#observation(mr, found.get(id.toLowerCase())));
      }),
    );
    return out;
  }

  async #observation(mr: SqlInstance, inst: DBInstance | undefined): Promise<SqlObservation> {
    if (!inst) {
      return {
        exists: false,
        upToDate: false,
        drift: [],
        ready: { status: false, reason: "Unavailable", message: "DB instance does not exist" },
      };
    }
    const p = mr.spec.forProvider;
    const pw = await readPassword(this.#kube, passwordSource(mr));
    const rotation = checkRotation(pw, mr.status?.atProvider?.masterPasswordSecretVersion);
    const drift: FieldDiff[] = diff(p, inst, {
      tags: desiredTags(mr, p.tags),
      authoritative: p.tags !== undefined,
    });
    if (rotation.needsRotation) {
      drift.push({
        path: Paths.masterPassword,
        desired: undefined,
        observed: undefined,
        sensitive: true,
        cause: "reference",
      });
    }
    const { ready, inProgress } = readiness(inst.DBInstanceStatus);
    const obs: SqlObservation = {
      exists: true,
      upToDate: drift.length === 0,
      drift,
      atProvider: toAtProvider(inst, rotation.reportedVersion),
      ready,
      inProgress,
      ownership: ownershipFromTags(tagListToMap(inst.TagList)),
    };
    // Until a rotation is applied the Secret holds a password the database
    // does not accept yet (and may never: RDS can refuse it, or the policy may
    // forbid updates). Publishing it would break every client that reads the
    // connection secret; update() publishes it once ModifyDBInstance took it.
    if (!rotation.needsRotation) obs.connectionDetails = connectionDetails(inst, pw.password);
    const li = lateInit(p, inst);
    if (Object.keys(li).length > 0) obs.lateInit = li;
    return obs;
  }

  async create(mr: SqlInstance): Promise<CreateResult> {
    const id = externalName(mr);
    const { password } = await ensurePassword(this.#kube, mr);
    const p = mr.spec.forProvider;
    try {
      const inst = await this.#api.create(createInput(id, p, desiredTags(mr, p.tags), password));
      return inst ? { connectionDetails: connectionDetails(inst, password) } : {};
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      // A create lost after it reached AWS finds its own instance; any other is someone else's.
      const existing = await this.#api.describe(id);
      const owner = existing ? ownershipFromTags(tagListToMap(existing.TagList)) : {};
      if (existing && owner.uid !== undefined && owner.uid === mr.metadata.uid) {
        return { connectionDetails: connectionDetails(existing, password) };
      }
      throw new TerminalError(
        RdsCodes.ForeignOwner,
        `DB instance ${id} already exists and is not owned by this SqlInstance` +
          (owner.owner ? ` (owner tag: ${owner.owner})` : " (no owner tag)") +
          `; choose another name with the ${Annotations.externalName} annotation, or adopt it deliberately`,
        { cause: err },
      );
    }
  }

  async update(mr: SqlInstance, observation: SqlObservation): Promise<UpdateResult> {
    if (observation.inProgress || !observation.exists) return {};
    const id = externalName(mr);
    const p = mr.spec.forProvider;
    const result: UpdateResult = {};
    let newPassword: { password: string; version?: string } | undefined;
    if (observation.drift.some((d) => d.path === Paths.masterPassword)) {
      newPassword = await ensurePassword(this.#kube, mr);
    }
    const input = modifyInput(id, p, observation.drift, newPassword?.password);
    const modified = input ? await this.#api.modify(input) : undefined;
    const tags = tagChangesFromDrift(observation.drift);
    const arn = observation.atProvider?.arn;
    if (arn && hasTagChanges(tags)) {
      if (Object.keys(tags.set).length > 0) await this.#api.addTags(arn, tags.set);
      if (tags.remove.length > 0) await this.#api.removeTags(arn, tags.remove);
    }
    if (newPassword) {
      if (newPassword.version !== undefined)
        result.atProvider = { masterPasswordSecretVersion: newPassword.version };
      // The observation carried no connection details while the rotation was pending.
      const inst = modified ?? (await this.#api.describe(id));
      if (inst) result.connectionDetails = connectionDetails(inst, newPassword.password);
    }
    return result;
  }

  async delete(mr: SqlInstance, observation: SqlObservation): Promise<DeleteResult> {
    if (!observation.exists) return { gone: true };
    if (observation.atProvider?.status === "deleting") return { gone: false };
    const id = externalName(mr);
    const p = mr.spec.forProvider;
    const cloudProtected = observation.atProvider?.deletionProtection === true;
    if (p.deletionProtection === true || (cloudProtected && p.deletionProtection === undefined)) {
      throw new TerminalError(
        RdsCodes.DeletionProtected,
        `DB instance ${id} has deletion protection: set spec.forProvider.deletionProtection to false to delete it, or deletionPolicy: Orphan to keep it`,
      );
    }
    if (cloudProtected) {
      await this.#api.modify({ DBInstanceIdentifier: id, DeletionProtection: false, ApplyImmediately: true });
    }
    let snapshot: string | undefined;
    if (p.skipFinalSnapshot === false) {
      snapshot = p.finalSnapshotIdentifier;
      if (snapshot === undefined) {
        throw new TerminalError(
          RdsCodes.FinalSnapshotIdentifierRequired,
          "spec.forProvider.finalSnapshotIdentifier is required when skipFinalSnapshot is false",
        );
      }
    }
    const inst = await this.#api.delete(id, snapshot);
    return { gone: inst === undefined };
  }
}

export const sqlInstanceProvider: Provider<SqlInstanceParameters, SqlInstanceObservation> = {
  kind: SQL_INSTANCE_KIND,
  async connect(mr, ctx) {
    const conn = await resolveAwsConnection(mr, ctx);
    return new SqlInstanceClient(sdkRdsApi(conn), ctx.kube);
  },
  connectionKey: (mr, ctx) => awsConnectionKey(mr, ctx),
  deriveExternalName: deriveIdentifier,
};
