// The managed reconciler: the policy half of the crossplane-runtime split.
// For one custom resource it decides, in a fixed order, what to do:
//   paused? → policies → deletion → finalizer and external name → connect →
//   observe → ownership → late-init → create | update | nothing → status,
//   events, requeue.
// Providers only map; every decision about drift, ownership, counting and
// reporting is made here, once, for every kind.
import {
  Annotations,
  type DriftField,
  type DriftStatus,
  FINALIZER,
  type KindDefinition,
  type Managed,
  type ManagedStatus,
} from "../../apis/aws/v1alpha1/common.ts";
import type { ConnectContext, ExternalClient, Observation, Provider } from "../provider.ts";
import { isTerminal, TerminalError } from "../provider.ts";
import { type ConditionInput, ConditionType, getCondition, Reason, setCondition } from "./conditions.ts";
import {
  canonicalJson,
  describeFields,
  emptyDrift,
  samePaths,
  toDriftFields,
  withHistory,
} from "./drift-report.ts";
import { createdBySetpoint, externalNameOf, ownershipOf } from "./external-name.ts";
import { deletesInCloud, isPaused, permissionsOf } from "./policies.ts";
import type { ConnectionSecretWriter, EventRecorder, ManagedStore } from "./ports.ts";

/** Event reasons, as users see them in `kubectl describe` and `kubectl get events`. */
export const EventReason = {
  DriftDetected: "DriftDetected",
  DriftCorrected: "DriftCorrected",
  ExternalResourceRecreated: "ExternalResourceRecreated",
  ExternalResourceMissing: "ExternalResourceMissing",
  CreatedExternalResource: "CreatedExternalResource",
  UpdatedExternalResource: "UpdatedExternalResource",
  DeletingExternalResource: "DeletingExternalResource",
  DeletedExternalResource: "DeletedExternalResource",
  OrphanedExternalResource: "OrphanedExternalResource",
  ReconcileError: "ReconcileError",
  ReconcileTerminal: "ReconcileTerminal",
  LateInitialized: "LateInitialized",
} as const;

/** Codes of terminal conditions the engine itself raises. */
export const TerminalCode = {
  ForeignOwner: "ForeignOwner",
  UntaggedResourceExists: "UntaggedResourceExists",
  InvalidManagementPolicies: "InvalidManagementPolicies",
} as const;

/** What the caller (the controller loop) should do with the key next. */
export type ReconcileOutcome =
  | { kind: "poll"; ready: boolean; inProgress: boolean }
  | { kind: "retry"; error: unknown }
  | { kind: "terminal"; error: unknown }
  | { kind: "done" };

export interface ReconcileMetrics {
  driftDetected(kind: string, fields: number): void;
  driftCorrected(kind: string, secondsToCorrect: number | undefined): void;
  recreated(kind: string): void;
  statusWrite(kind: string): void;
}

export interface ReconcilerDeps {
  kind: KindDefinition;
  provider: Provider;
  store: ManagedStore;
  events: EventRecorder;
  connectionSecrets: ConnectionSecretWriter;
  connectContext: ConnectContext;
  now: () => number;
  metrics?: ReconcileMetrics;
  log?: {
    info(obj: object, msg: string): void;
    warn(obj: object, msg: string): void;
    debug(obj: object, msg: string): void;
  };
  /** Refresh status.drift.lastCheckTime at least this often even when nothing changed; 0 disables it. */
  statusHeartbeatMs?: number;
}

/** The mutable working state of one reconcile; `mr` is replaced whenever a write returns a newer object. */
interface Pass {
  mr: Managed;
  status: ManagedStatus<unknown>;
  /** The generation whose spec the cloud now reflects, once this pass succeeds. */
  generation: number | undefined;
  now: string;
}

export class ManagedReconciler {
  readonly #d: ReconcilerDeps;

  constructor(deps: ReconcilerDeps) {
    this.#d = deps;
  }

  /**
   * Reconciles one resource. Never throws: every failure becomes a status
   * condition, an event and an outcome the queue understands.
   * `prefetched` is an observation from a batched poll sweep, used instead
   * of calling observe() again.
   */
  async reconcile(input: Managed, prefetched?: Observation): Promise<ReconcileOutcome> {
    const pass: Pass = {
      mr: input,
      status: structuredClone(input.status ?? {}),
      generation: input.metadata.generation,
      now: new Date(this.#d.now()).toISOString(),
    };
    try {
      return await this.#run(pass, prefetched);
    } catch (err) {
      return this.#fail(pass, err);
    }
  }

  async #run(pass: Pass, prefetched?: Observation): Promise<ReconcileOutcome> {
    const { mr } = pass;
    if (isPaused(mr)) {
      this.#setSynced(pass, {
        status: "False",
        reason: Reason.Paused,
        message: "reconciliation is paused by annotation",
      });
      await this.#writeStatus(pass);
      return { kind: "done" };
    }
    const can = permissionsOf(mr.spec.managementPolicies);
    if (!can.observe) {
      throw terminal(TerminalCode.InvalidManagementPolicies, "managementPolicies must include Observe or *");
    }
    if (mr.metadata.deletionTimestamp) return this.#delete(pass);

    await this.#ensureFinalizerAndName(pass);
    const client = await this.#d.provider.connect(pass.mr, this.#d.connectContext);
    try {
      const observation = prefetched ?? (await client.observe(pass.mr));
      return await this.#act(pass, client, observation);
    } finally {
      await client.close?.();
    }
  }

  async #act(pass: Pass, client: ExternalClient, obs: Observation): Promise<ReconcileOutcome> {
    const can = permissionsOf(pass.mr.spec.managementPolicies);
    if (!obs.exists) return this.#missing(pass, client);

    const verdict = ownershipOf(pass.mr, obs.ownership);
    if (verdict.kind === "foreign") {
      throw terminal(
        TerminalCode.ForeignOwner,
        `${this.#d.kind.kind} ${externalNameOf(pass.mr)} exists and is owned by ${verdict.owner}; setpoint will not change it. Choose another name or delete the other resource first.`,
      );
    }
    if (verdict.kind === "untagged") {
      throw terminal(
        TerminalCode.UntaggedResourceExists,
        `${externalNameOf(pass.mr)} already exists and carries no setpoint owner tags; to adopt it, set the ${Annotations.externalName} annotation explicitly.`,
      );
    }

    if (!createdBySetpoint(pass.mr)) {
      // Ours (a create whose response was lost) or adopted: record it, so a
      // later out-of-band delete counts as a recreation, not a first create.
      pass.mr = await this.#d.store.patchMetadata(pass.mr, {
        annotations: { [Annotations.externalCreateSucceeded]: pass.now },
      });
    }
    if (can.lateInitialize && obs.lateInit && Object.keys(obs.lateInit).length > 0) {
      await this.#lateInitialize(pass, obs.lateInit);
    }
    await this.#publishConnection(pass.mr, obs.connectionDetails);
    pass.status.atProvider = obs.atProvider ?? pass.status.atProvider;

    const drift = this.#drift(pass);
    const fields = toDriftFields(obs.drift, this.#d.kind.sensitivePaths);
    const specChanged = pass.mr.metadata.generation !== pass.mr.status?.observedGeneration;
    // Drift is what the cloud did on its own: a difference on a spec the
    // cloud already matched. A difference right after a spec change is just
    // the change to apply.
    const external = obs.drift.filter((d) => d.cause !== "reference");
    const isDrift = !specChanged && external.length > 0;

    if (obs.drift.length === 0) {
      pass.status.drift = { ...drift, fields: [] };
      this.#setDrifted(pass, { status: "False", reason: Reason.InSync });
    } else if (obs.inProgress || !can.update) {
      // Report only: the cloud is busy (the next poll looks again), or the
      // policy forbids changes, in which case the report doubles as a plan.
      this.#report(pass, fields, isDrift, !can.update);
      // A spec change that waits for a busy cloud is not applied yet: keep
      // the old observedGeneration, or the next poll would take the user's
      // own edit for drift and "correct" it.
      if (specChanged && can.update) pass.generation = pass.mr.status?.observedGeneration;
    } else {
      if (isDrift) {
        this.#detected(pass, fields);
        await this.#writeStatus(pass);
      }
      const result = await client.update(pass.mr, obs);
      if (result.atProvider) {
        pass.status.atProvider = { ...(pass.status.atProvider as object), ...result.atProvider };
      }
      await this.#publishConnection(pass.mr, result.connectionDetails);
      if (isDrift) this.#corrected(pass, fields);
      else {
        pass.status.drift = { ...this.#drift(pass), fields: [] };
        this.#setDrifted(pass, { status: "False", reason: Reason.InSync });
        this.#event(
          pass,
          "Normal",
          EventReason.UpdatedExternalResource,
          `Updated ${fields.map((f) => f.path).join(", ")}`,
        );
      }
      this.#setReady(pass, obs);
      this.#succeeded(pass);
      await this.#writeStatus(pass);
      // Look again soon: the correction is verified by the next observation.
      return { kind: "poll", ready: false, inProgress: true };
    }

    this.#setReady(pass, obs);
    this.#succeeded(pass);
    await this.#writeStatus(pass);
    return { kind: "poll", ready: obs.ready.status, inProgress: obs.inProgress === true };
  }

  async #missing(pass: Pass, client: ExternalClient): Promise<ReconcileOutcome> {
    const can = permissionsOf(pass.mr.spec.managementPolicies);
    const existedBefore = createdBySetpoint(pass.mr);
    if (!can.create) {
      const fields: DriftField[] = existedBefore
        ? [{ path: "(resource)", desired: "present", observed: "absent" }]
        : [];
      const drift = this.#drift(pass);
      if (fields.length > 0 && !samePaths(drift.fields, fields)) {
        pass.status.drift = withHistory(
          { ...drift, fields, lastDetectedTime: pass.now },
          {
            time: pass.now,
            action: "Reported",
            fields: ["(resource)"],
          },
        );
        this.#event(
          pass,
          "Warning",
          EventReason.ExternalResourceMissing,
          `${externalNameOf(pass.mr)} does not exist in the cloud; the policy does not allow creating it`,
        );
      }
      this.#setDrifted(
        pass,
        fields.length > 0
          ? {
              status: "True",
              reason: Reason.ExternalResourceMissing,
              message: "the cloud resource was deleted outside setpoint",
            }
          : { status: "False", reason: Reason.InSync },
      );
      this.#setCondition(pass, {
        type: ConditionType.Ready,
        status: "False",
        reason: Reason.Unavailable,
        message: "the cloud resource does not exist",
      });
      this.#succeeded(pass);
      await this.#writeStatus(pass);
      return { kind: "poll", ready: false, inProgress: false };
    }

    // A retry after a failed recreate has reported the deletion already.
    const reported = this.#drift(pass).fields.some((f) => f.path === "(resource)");
    if (existedBefore && !reported) {
      // Recreation is a correction of the most drastic drift there is.
      const drift = this.#drift(pass);
      pass.status.drift = {
        ...drift,
        fields: [{ path: "(resource)", desired: "present", observed: "absent" }],
        lastDetectedTime: pass.now,
      };
      this.#setDrifted(pass, {
        status: "True",
        reason: Reason.ExternalResourceMissing,
        message: "the cloud resource was deleted outside setpoint; recreating it",
      });
      this.#event(
        pass,
        "Warning",
        EventReason.DriftDetected,
        `${externalNameOf(pass.mr)} was deleted outside setpoint`,
      );
      this.#d.metrics?.driftDetected(this.#d.kind.kind, 1);
      await this.#writeStatus(pass);
    }

    const result = await client.create(pass.mr);
    await this.#publishConnection(pass.mr, result.connectionDetails);
    if (existedBefore) {
      const drift = this.#drift(pass);
      pass.status.drift = withHistory(
        { ...drift, fields: [], recreations: drift.recreations + 1, lastCorrectedTime: pass.now },
        { time: pass.now, action: "Recreated", fields: ["(resource)"] },
      );
      this.#setDrifted(pass, {
        status: "False",
        reason: Reason.DriftCorrected,
        message: "recreated the cloud resource",
      });
      this.#event(
        pass,
        "Normal",
        EventReason.ExternalResourceRecreated,
        `Recreated ${externalNameOf(pass.mr)} after it was deleted outside setpoint`,
      );
      this.#d.metrics?.recreated(this.#d.kind.kind);
    } else {
      pass.mr = await this.#d.store.patchMetadata(pass.mr, {
        annotations: { [Annotations.externalCreateSucceeded]: pass.now },
      });
      this.#setDrifted(pass, { status: "False", reason: Reason.InSync });
      this.#event(pass, "Normal", EventReason.CreatedExternalResource, `Created ${externalNameOf(pass.mr)}`);
    }
    this.#setCondition(pass, {
      type: ConditionType.Ready,
      status: "False",
      reason: Reason.Creating,
      message: "waiting for the cloud resource to become available",
    });
    this.#succeeded(pass);
    await this.#writeStatus(pass);
    return { kind: "poll", ready: false, inProgress: true };
  }

  async #delete(pass: Pass): Promise<ReconcileOutcome> {
    if (!pass.mr.metadata.finalizers?.includes(FINALIZER)) return { kind: "done" };
    if (!deletesInCloud(pass.mr) || !externalNameOf(pass.mr)) {
      if (externalNameOf(pass.mr)) {
        this.#event(
          pass,
          "Normal",
          EventReason.OrphanedExternalResource,
          `Left ${externalNameOf(pass.mr)} in the cloud (deletionPolicy or managementPolicies say so)`,
        );
      }
      await this.#removeFinalizer(pass);
      return { kind: "done" };
    }
    const client = await this.#d.provider.connect(pass.mr, this.#d.connectContext);
    try {
      const obs = await client.observe(pass.mr);
      if (obs.exists) {
        const verdict = ownershipOf(pass.mr, obs.ownership);
        if (verdict.kind === "foreign" || verdict.kind === "untagged") {
          // Never delete what is not ours; the custom resource may go, the cloud resource stays.
          this.#event(
            pass,
            "Warning",
            EventReason.OrphanedExternalResource,
            `Did not delete ${externalNameOf(pass.mr)}: it is not owned by this resource`,
          );
          await this.#removeFinalizer(pass);
          return { kind: "done" };
        }
        if (obs.ready.reason !== Reason.Deleting) {
          const result = await client.delete(pass.mr, obs);
          this.#event(
            pass,
            "Normal",
            EventReason.DeletingExternalResource,
            `Deleting ${externalNameOf(pass.mr)}`,
          );
          if (!result.gone) {
            this.#setCondition(pass, {
              type: ConditionType.Ready,
              status: "False",
              reason: Reason.Deleting,
              message: "waiting for the cloud resource to be deleted",
            });
            this.#succeeded(pass);
            await this.#writeStatus(pass);
            return { kind: "poll", ready: false, inProgress: true };
          }
        } else {
          return { kind: "poll", ready: false, inProgress: true };
        }
      }
      this.#event(pass, "Normal", EventReason.DeletedExternalResource, `Deleted ${externalNameOf(pass.mr)}`);
      await this.#removeFinalizer(pass);
      return { kind: "done" };
    } finally {
      await client.close?.();
    }
  }

  async #ensureFinalizerAndName(pass: Pass): Promise<void> {
    const { metadata } = pass.mr;
    const annotations: Record<string, string> = {};
    if (!externalNameOf(pass.mr)) {
      annotations[Annotations.externalName] = this.#d.provider.deriveExternalName(
        metadata.namespace ?? "",
        metadata.name,
      );
      annotations[Annotations.externalNameDerived] = "true";
    }
    const needsFinalizer = !metadata.finalizers?.includes(FINALIZER);
    if (!needsFinalizer && Object.keys(annotations).length === 0) return;
    pass.mr = await this.#d.store.patchMetadata(pass.mr, {
      ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
      ...(needsFinalizer ? { finalizers: [...(metadata.finalizers ?? []), FINALIZER] } : {}),
    });
  }

  async #removeFinalizer(pass: Pass): Promise<void> {
    const finalizers = (pass.mr.metadata.finalizers ?? []).filter((f) => f !== FINALIZER);
    pass.mr = await this.#d.store.patchMetadata(pass.mr, { finalizers });
  }

  async #lateInitialize(pass: Pass, values: Record<string, unknown>): Promise<void> {
    const wasSynced = pass.mr.metadata.generation === pass.mr.status?.observedGeneration;
    pass.mr = await this.#d.store.patchForProvider(pass.mr, values);
    // Our own late-init bumps the generation; it is not a user's spec change.
    if (wasSynced) {
      pass.generation = pass.mr.metadata.generation;
      pass.mr = { ...pass.mr, status: { ...pass.mr.status, observedGeneration: pass.generation } };
    }
    this.#event(
      pass,
      "Normal",
      EventReason.LateInitialized,
      `Took ${Object.keys(values).join(", ")} from the cloud`,
    );
  }

  async #publishConnection(mr: Managed, details: Record<string, string> | undefined): Promise<void> {
    if (!details || !mr.spec.writeConnectionSecretToRef) return;
    await this.#d.connectionSecrets.write(mr, details);
  }

  #drift(pass: Pass): DriftStatus {
    return { ...emptyDrift(), ...pass.status.drift };
  }

  #detected(pass: Pass, fields: DriftField[]): void {
    pass.status.drift = { ...this.#drift(pass), fields, lastDetectedTime: pass.now };
    this.#setDrifted(pass, {
      status: "True",
      reason: Reason.DriftDetected,
      message: `${fields.length} field(s) differ from the spec`,
    });
    this.#event(pass, "Warning", EventReason.DriftDetected, `Drift in ${describeFields(fields)}`);
    this.#d.metrics?.driftDetected(this.#d.kind.kind, fields.length);
  }

  #corrected(pass: Pass, fields: DriftField[]): void {
    const drift = this.#drift(pass);
    const detectedAt = drift.lastDetectedTime ? Date.parse(drift.lastDetectedTime) : undefined;
    pass.status.drift = withHistory(
      { ...drift, fields: [], corrections: drift.corrections + 1, lastCorrectedTime: pass.now },
      { time: pass.now, action: "Corrected", fields: fields.map((f) => f.path) },
    );
    this.#setDrifted(pass, {
      status: "False",
      reason: Reason.DriftCorrected,
      message: `corrected ${fields.map((f) => f.path).join(", ")}`,
    });
    this.#event(pass, "Normal", EventReason.DriftCorrected, `Corrected ${describeFields(fields)}`);
    this.#d.metrics?.driftCorrected(
      this.#d.kind.kind,
      detectedAt === undefined ? undefined : (this.#d.now() - detectedAt) / 1000,
    );
  }

  /** Reports drift without correcting it; a history entry and an event only when the set of fields changes. */
  #report(pass: Pass, fields: DriftField[], isDrift: boolean, policyForbids: boolean): void {
    const drift = this.#drift(pass);
    if (!samePaths(drift.fields, fields)) {
      pass.status.drift = withHistory(
        { ...drift, fields, lastDetectedTime: pass.now },
        { time: pass.now, action: "Reported", fields: fields.map((f) => f.path) },
      );
      if (isDrift || policyForbids) {
        this.#event(
          pass,
          "Warning",
          EventReason.DriftDetected,
          `Drift in ${describeFields(fields)}${policyForbids ? " (not corrected: managementPolicies do not allow Update)" : ""}`,
        );
        this.#d.metrics?.driftDetected(this.#d.kind.kind, fields.length);
      }
    }
    this.#setDrifted(pass, {
      status: "True",
      reason: Reason.DriftDetected,
      message: policyForbids
        ? "the cloud differs from the spec; managementPolicies do not allow Update, so it is only reported"
        : "the cloud differs from the spec; waiting for the cloud to finish its current operation",
    });
  }

  #setReady(pass: Pass, obs: Observation): void {
    this.#setCondition(pass, {
      type: ConditionType.Ready,
      status: obs.ready.status ? "True" : "False",
      reason: obs.ready.reason,
      ...(obs.ready.message ? { message: obs.ready.message } : {}),
    });
  }

  #succeeded(pass: Pass): void {
    this.#setSynced(pass, { status: "True", reason: Reason.ReconcileSuccess });
    pass.status.observedGeneration = pass.generation;
  }

  #setSynced(pass: Pass, c: Omit<ConditionInput, "type">): void {
    this.#setCondition(pass, { type: ConditionType.Synced, ...c });
  }

  #setDrifted(pass: Pass, c: Omit<ConditionInput, "type">): void {
    this.#setCondition(pass, { type: ConditionType.Drifted, ...c });
  }

  #setCondition(pass: Pass, c: ConditionInput): void {
    pass.status.conditions = setCondition(pass.status.conditions, c, pass.now, pass.generation);
  }

  #event(pass: Pass, type: "Normal" | "Warning", reason: string, message: string): void {
    this.#d.events.record(pass.mr, type, reason, message);
  }

  /** Writes status only when it changed, so an idle cluster makes no writes. */
  async #writeStatus(pass: Pass): Promise<void> {
    const before = pass.mr.status ?? {};
    const heartbeat = this.#d.statusHeartbeatMs ?? 0;
    const lastCheck = before.drift?.lastCheckTime ? Date.parse(before.drift.lastCheckTime) : 0;
    const due = heartbeat > 0 && this.#d.now() - lastCheck >= heartbeat;
    if (!due && isDeepStrictEqualIgnoringCheck(before, pass.status)) return;
    pass.status.drift = { ...this.#drift(pass), lastCheckTime: pass.now };
    pass.mr = await this.#d.store.writeStatus(pass.mr, pass.status);
    pass.status = structuredClone(pass.mr.status ?? pass.status);
    this.#d.metrics?.statusWrite(this.#d.kind.kind);
  }

  async #fail(pass: Pass, err: unknown): Promise<ReconcileOutcome> {
    const isTerm = isTerminal(err);
    const message = errorMessage(err);
    this.#d.log?.warn({ err: message, terminal: isTerm, resource: keyOf(pass.mr) }, "reconcile failed");
    const previous = getCondition(pass.status.conditions, ConditionType.Synced);
    this.#setSynced(pass, {
      status: "False",
      reason: isTerm ? Reason.ReconcileTerminal : Reason.ReconcileError,
      message,
    });
    if (previous?.message !== message) {
      this.#event(
        pass,
        "Warning",
        isTerm ? EventReason.ReconcileTerminal : EventReason.ReconcileError,
        message,
      );
    }
    try {
      await this.#writeStatus(pass);
    } catch (writeErr) {
      this.#d.log?.warn(
        { err: errorMessage(writeErr), resource: keyOf(pass.mr) },
        "could not record the failure in status",
      );
    }
    return isTerm ? { kind: "terminal", error: err } : { kind: "retry", error: err };
  }
}

function terminal(code: string, message: string): TerminalError {
  return new TerminalError(code, message);
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === "string" && code.length > 0 && !err.message.startsWith(code)
      ? `${code}: ${err.message}`
      : err.message;
  }
  return String(err);
}

export function keyOf(mr: Managed): string {
  return `${mr.metadata.namespace ?? ""}/${mr.metadata.name}`;
}

function isDeepStrictEqualIgnoringCheck(a: ManagedStatus<unknown>, b: ManagedStatus<unknown>): boolean {
  const strip = (s: ManagedStatus<unknown>) => {
    const drift = s.drift ? { ...emptyDrift(), ...s.drift, lastCheckTime: undefined } : undefined;
    return canonicalJson({ ...s, drift });
  };
  return strip(a) === strip(b);
}
