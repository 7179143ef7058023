// What a reconcile tells users about drift and failures: the Drifted and
// Synced conditions, status.drift with its history and counters, events
// and metrics. The reconciler (managed.ts) decides and calls the cloud;
// this module only words and counts what it found and did.
import type { DriftField } from "../api/managed.ts";
import { ConditionType, getCondition, Reason } from "./conditions.ts";
import { describeFields, samePaths, withHistory } from "./drift-report.ts";
import { externalNameOf } from "./external-name.ts";
import type { Pass } from "./pass.ts";
import type { EventRecorder, EventType } from "./ports.ts";
import { type StepError, TerminalCode } from "./steps.ts";

/** Event reasons of the success paths, as users see them in `kubectl describe`; failures use FailureReason. */
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
  LateInitialized: "LateInitialized",
  /** Values taken from referenced resources were written into the spec. */
  ResolvedReferences: "ResolvedReferences",
} as const;

export interface ReconcileMetrics {
  driftDetected(kind: string, fields: number): void;
  driftCorrected(kind: string, secondsToCorrect: number | undefined): void;
  recreated(kind: string): void;
  statusWrite(kind: string): void;
}

/** Appended to a failure while the custom resource is being deleted. */
export const DELETION_BLOCKED =
  "; the deletion waits, and the finalizer stays until the cloud resource is deleted (to keep the cloud resource and let the object go, set spec.deletionPolicy: Orphan)";

/** The drift field that stands for the whole resource being gone. */
export const RESOURCE_MISSING: DriftField = { path: "(resource)", desired: "present", observed: "absent" };

export class Reporter {
  readonly #kind: string;
  readonly #events: EventRecorder;
  readonly #metrics: ReconcileMetrics | undefined;
  readonly #now: () => number;

  constructor(deps: { kind: string; events: EventRecorder; metrics?: ReconcileMetrics; now: () => number }) {
    this.#kind = deps.kind;
    this.#events = deps.events;
    this.#metrics = deps.metrics;
    this.#now = deps.now;
  }

  event(pass: Pass, type: EventType, reason: string, message: string): void {
    this.#events.record(pass.mr, type, reason, message);
  }

  /** Drift the next update corrects: reported before the correction is made. */
  detected(pass: Pass, fields: DriftField[]): void {
    pass.status.drift = { ...pass.drift(), fields, lastDetectedTime: pass.now };
    pass.setDrifted({
      status: "True",
      reason: Reason.DriftDetected,
      message: `${fields.length} field(s) differ from the spec`,
    });
    this.event(pass, "Warning", EventReason.DriftDetected, `Drift in ${describeFields(fields)}`);
    this.#metrics?.driftDetected(this.#kind, fields.length);
  }

  corrected(pass: Pass, fields: DriftField[]): void {
    const drift = pass.drift();
    const detectedAt = drift.lastDetectedTime ? Date.parse(drift.lastDetectedTime) : undefined;
    pass.status.drift = withHistory(
      { ...drift, fields: [], corrections: drift.corrections + 1, lastCorrectedTime: pass.now },
      { time: pass.now, action: "Corrected", fields: fields.map((f) => f.path) },
    );
    pass.setDrifted({
      status: "False",
      reason: Reason.DriftCorrected,
      message: `corrected ${paths(fields)}`,
    });
    this.event(pass, "Normal", EventReason.DriftCorrected, `Corrected ${describeFields(fields)}`);
    this.#metrics?.driftCorrected(
      this.#kind,
      detectedAt === undefined ? undefined : (this.#now() - detectedAt) / 1000,
    );
  }

  /** A spec change applied: not drift. */
  updated(pass: Pass, fields: DriftField[]): void {
    pass.status.drift = { ...pass.drift(), fields: [] };
    pass.setDrifted({ status: "False", reason: Reason.InSync });
    this.event(pass, "Normal", EventReason.UpdatedExternalResource, `Updated ${paths(fields)}`);
  }

  /** Reports drift without correcting it; a history entry and an event only when the set of fields changes. */
  reported(pass: Pass, fields: DriftField[], isDrift: boolean, policyForbids: boolean): void {
    const drift = pass.drift();
    if (!samePaths(drift.fields, fields)) {
      pass.status.drift = withHistory(
        { ...drift, fields, lastDetectedTime: pass.now },
        { time: pass.now, action: "Reported", fields: fields.map((f) => f.path) },
      );
      if (isDrift || policyForbids) {
        this.event(
          pass,
          "Warning",
          EventReason.DriftDetected,
          `Drift in ${describeFields(fields)}${policyForbids ? " (not corrected: managementPolicies do not allow Update)" : ""}`,
        );
        this.#metrics?.driftDetected(this.#kind, fields.length);
      }
    }
    pass.setDrifted({
      status: "True",
      reason: Reason.DriftDetected,
      message: policyForbids
        ? "the cloud differs from the spec; managementPolicies do not allow Update, so it is only reported"
        : "the cloud differs from the spec; waiting for the cloud to finish its current operation",
    });
  }

  /** A missing resource the policy does not allow creating. */
  missing(pass: Pass, existedBefore: boolean): void {
    const fields = existedBefore ? [RESOURCE_MISSING] : [];
    const drift = pass.drift();
    if (fields.length > 0 && !samePaths(drift.fields, fields)) {
      pass.status.drift = withHistory(
        { ...drift, fields, lastDetectedTime: pass.now },
        { time: pass.now, action: "Reported", fields: [RESOURCE_MISSING.path] },
      );
      this.event(
        pass,
        "Warning",
        EventReason.ExternalResourceMissing,
        `${externalNameOf(pass.mr)} does not exist in the cloud; the policy does not allow creating it`,
      );
    }
    pass.setDrifted(
      fields.length > 0
        ? {
            status: "True",
            reason: Reason.ExternalResourceMissing,
            message: "the cloud resource was deleted outside setpoint",
          }
        : { status: "False", reason: Reason.InSync },
    );
    pass.setCondition({
      type: ConditionType.Ready,
      status: "False",
      reason: Reason.Unavailable,
      message: "the cloud resource does not exist",
    });
  }

  /**
   * A resource deleted out of band, about to be recreated: the most drastic
   * drift there is. False when a failed recreate reported it already.
   */
  recreating(pass: Pass): boolean {
    if (pass.drift().fields.some((f) => f.path === RESOURCE_MISSING.path)) return false;
    pass.status.drift = { ...pass.drift(), fields: [RESOURCE_MISSING], lastDetectedTime: pass.now };
    pass.setDrifted({
      status: "True",
      reason: Reason.ExternalResourceMissing,
      message: "the cloud resource was deleted outside setpoint; recreating it",
    });
    this.event(
      pass,
      "Warning",
      EventReason.DriftDetected,
      `${externalNameOf(pass.mr)} was deleted outside setpoint`,
    );
    this.#metrics?.driftDetected(this.#kind, 1);
    return true;
  }

  recreated(pass: Pass): void {
    const drift = pass.drift();
    pass.status.drift = withHistory(
      { ...drift, fields: [], recreations: drift.recreations + 1, lastCorrectedTime: pass.now },
      { time: pass.now, action: "Recreated", fields: [RESOURCE_MISSING.path] },
    );
    pass.setDrifted({
      status: "False",
      reason: Reason.DriftCorrected,
      message: "recreated the cloud resource",
    });
    this.event(
      pass,
      "Normal",
      EventReason.ExternalResourceRecreated,
      `Recreated ${externalNameOf(pass.mr)} after it was deleted outside setpoint`,
    );
    this.#metrics?.recreated(this.#kind);
  }

  created(pass: Pass): void {
    pass.setDrifted({ status: "False", reason: Reason.InSync });
    this.event(pass, "Normal", EventReason.CreatedExternalResource, `Created ${externalNameOf(pass.mr)}`);
  }

  /**
   * Synced=False for a failure, with the step in its message, and an event
   * when the message is new. Returns the message.
   */
  failed(pass: Pass, err: StepError, opts: { deleting?: boolean } = {}): string {
    const retryIn = err.retryAfterMs;
    // A wait for other resources ends as soon as one of them changes (the reference fan-out); the
    // delay is only the latest time it is looked at again.
    const when = err.conditionReason ? `looked at again when it changes, at the latest in` : "retrying in";
    let message = retryIn === undefined ? err.message : `${err.message} (${when} ${retryIn / 1000}s)`;
    // A deletion that cannot go on must say so, and how to give up on it:
    // the finalizer stays, because the cloud resource may still exist.
    if (opts.deleting && err.code !== TerminalCode.DeletionProtected) message += DELETION_BLOCKED;
    const previous = getCondition(pass.status.conditions, ConditionType.Synced);
    pass.setSynced({
      status: "False",
      reason: err.conditionReason ?? (err.terminal ? Reason.ReconcileTerminal : Reason.ReconcileError),
      message,
    });
    // A wait the provider asked for is not a warning.
    if (previous?.message !== message)
      this.event(pass, retryIn === undefined ? "Warning" : "Normal", err.reason, message);
    return message;
  }
}

function paths(fields: readonly DriftField[]): string {
  return fields.map((f) => f.path).join(", ");
}
