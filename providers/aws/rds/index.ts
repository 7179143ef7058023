// The SqlInstance provider: RDS DB instances. The engine decides when to
// create, update or delete, whose instance it is and whether its deletion
// protection may be lifted; this module only maps one SqlInstance onto the
// RDS API (mapping.ts holds the pure rules, client.ts the SDK calls).
import type { DBInstance } from "@aws-sdk/client-rds";
import type {
  SqlInstanceObservation,
  SqlInstanceParameters,
} from "../../../apis/aws/v1alpha1/sqlinstance.ts";
import { Annotations, type Managed } from "../../../controller/api/index.ts";
import {
  type BudgetLimits,
  type CreateResult,
  type DeleteOptions,
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
  type TagChanges,
  tagListToMap,
} from "../shared/index.ts";
import { isAlreadyExists, RDS_SERVICE, type RdsApi, sdkRdsApi } from "./client.ts";
import {
  compare,
  connectionDetails,
  createInput,
  deriveIdentifier,
  isValidIdentifier,
  lateInit,
  type ModifiableField,
  modifyInput,
  Paths,
  RDS_IDENTIFIER_MAX,
  readiness,
  toAtProvider,
} from "./mapping.ts";
import {
  checkRotation,
  ensurePassword,
  passwordSource,
  readPassword,
  requirePasswordBeforeCreate,
} from "./password.ts";

export { RDS_TERMINAL_CODES } from "./client.ts";
export { deriveIdentifier } from "./mapping.ts";

type SqlInstance = Managed<SqlInstanceParameters, SqlInstanceObservation>;

/** What observe found to change, for update to carry out without working it out again. */
export interface SqlInstancePlan {
  modify: ReadonlySet<ModifiableField>;
  tags: TagChanges;
  /** The password Secret changed: the new password is to be applied. */
  rotatePassword: boolean;
}

type SqlObservation = Observation<SqlInstanceObservation, SqlInstancePlan>;

/** Terminal error codes raised by this provider itself (AWS codes are in RDS_TERMINAL_CODES). */
export const RdsCodes = {
  FinalSnapshotIdentifierRequired: "FinalSnapshotIdentifierRequired",
} as const;

/**
 * AWS allows a burst of 300 and 12/s across all RDS APIs per account and
 * region; setpoint takes 100 at 10/s, leaving headroom for other clients of
 * the account (consoles, scripts, other controllers).
 */
export const RDS_BUDGET: BudgetLimits = { burst: 100, ratePerSecond: 10 };

export function externalName(mr: Managed): string {
  return (
    mr.metadata.annotations?.[Annotations.externalName] ??
    deriveIdentifier(mr.metadata.namespace ?? "default", mr.metadata.name)
  );
}

export class SqlInstanceClient
  implements ExternalClient<SqlInstanceParameters, SqlInstanceObservation, SqlInstancePlan>
{
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
        drift: [],
        ready: { status: false, reason: "Unavailable", message: "DB instance does not exist" },
      };
    }
    const p = mr.spec.forProvider;
    const pw = await readPassword(this.#kube, passwordSource(mr));
    const at = mr.status?.atProvider;
    const ownership = ownershipFromTags(tagListToMap(inst.TagList));
    const rotation = checkRotation(
      pw,
      {
        ...(at?.masterPasswordSecretVersion !== undefined ? { applied: at.masterPasswordSecretVersion } : {}),
        ...(at?.masterPasswordSecretVersionAtAdoption !== undefined
          ? { adopted: at.masterPasswordSecretVersionAtAdoption }
          : {}),
      },
      ownership.uid !== undefined && ownership.uid === mr.metadata.uid,
    );
    const found = compare(p, inst, { tags: desiredTags(mr, p.tags), authoritative: p.tags !== undefined });
    const drift: FieldDiff[] = found.drift;
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
      deleting: inst.DBInstanceStatus === "deleting",
      drift,
      atProvider: toAtProvider(inst, rotation.reportedVersion, rotation.adoptedVersion),
      ready,
      inProgress,
      ownership,
      deletionProtection: {
        enabled: inst.DeletionProtection === true,
        requested: p.deletionProtection,
        field: Paths.deletionProtection,
      },
      private: { modify: found.modify, tags: found.tags, rotatePassword: rotation.needsRotation },
    };
    // Until a rotation is applied the Secret holds a password the database
    // does not accept yet (and may never: RDS can refuse it, or the policy may
    // forbid updates). Publishing it would break every client that reads the
    // connection secret; update() publishes it once ModifyDBInstance took it.
    // An adopted instance's password is not the Secret's until setpoint set
    // it: its connection Secret gets everything but the password.
    if (!rotation.needsRotation)
      obs.connectionDetails = connectionDetails(inst, rotation.passwordKnown ? pw.password : undefined);
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
      // Whether it is our own lost create or someone else's instance, the engine decides.
      if (isAlreadyExists(err)) return { alreadyExists: true };
      throw err;
    }
  }

  async update(mr: SqlInstance, observation: SqlObservation): Promise<UpdateResult> {
    const plan = observation.private;
    if (observation.inProgress || !observation.exists || !plan) return {};
    const id = externalName(mr);
    const p = mr.spec.forProvider;
    const result: UpdateResult = {};
    const newPassword = plan.rotatePassword ? await ensurePassword(this.#kube, mr) : undefined;
    const input = modifyInput(id, p, plan.modify, newPassword?.password);
    const modified = input ? await this.#api.modify(input) : undefined;
    const { tags } = plan;
    const arn = observation.atProvider?.arn;
    if (arn && hasTagChanges(tags)) {
      if (Object.keys(tags.set).length > 0) await this.#api.addTags(arn, tags.set);
      if (tags.remove.length > 0) await this.#api.removeTags(arn, tags.remove);
    }
    if (newPassword) {
      const at: Record<string, unknown> = {};
      if (newPassword.version !== undefined) at.masterPasswordSecretVersion = newPassword.version;
      // An adopted instance's password is setpoint's from now on.
      if (observation.atProvider?.masterPasswordSecretVersionAtAdoption !== undefined)
        at.masterPasswordSecretVersionAtAdoption = undefined;
      if (Object.keys(at).length > 0) result.atProvider = at;
      // The observation carried no connection details while the rotation was pending.
      const inst = modified ?? (await this.#api.describe(id));
      if (inst) result.connectionDetails = connectionDetails(inst, newPassword.password);
    }
    return result;
  }

  async delete(mr: SqlInstance, observation: SqlObservation, options: DeleteOptions): Promise<DeleteResult> {
    if (!observation.exists) return { gone: true };
    const id = externalName(mr);
    const p = mr.spec.forProvider;
    if (options.disableDeletionProtection) {
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

export const sqlInstanceProvider: Provider<SqlInstanceParameters, SqlInstanceObservation, SqlInstancePlan> = {
  services: { [RDS_SERVICE]: RDS_BUDGET },
  async connect(mr, ctx) {
    const conn = await resolveAwsConnection(mr, ctx);
    await requirePasswordBeforeCreate(ctx.kube, mr);
    return new SqlInstanceClient(sdkRdsApi(conn), ctx.kube);
  },
  connectionKey: (mr, ctx) => awsConnectionKey(mr, ctx),
  deriveExternalName: deriveIdentifier,
  checkExternalName: (name) =>
    isValidIdentifier(name)
      ? undefined
      : `a DB instance identifier has 1 to ${RDS_IDENTIFIER_MAX} letters, digits and hyphens, starts with a letter, and has no hyphen at the end or two in a row`,
};
