// The working state of one reconcile and the status it builds. The status
// the reconciler writes when there is nothing to do (applyInSync) lives here
// as a function of the status before and the observation, so the steady-poll
// shortcut can compute it too and know, without a reconcile, that a poll
// would write nothing.
import type { DriftStatus, Managed, ManagedStatus } from "../api/managed.ts";
import type { Observation } from "../provider.ts";
import { type ConditionInput, ConditionType, Reason, setCondition } from "./conditions.ts";
import { canonicalJson, emptyDrift } from "./drift-report.ts";

export class Pass {
  /** Replaced whenever a write returns a newer object. */
  mr: Managed;
  status: ManagedStatus<unknown>;
  /** The generation whose spec the cloud reflects once this pass succeeds. */
  generation: number | undefined;
  readonly nowMs: number;
  readonly now: string;

  constructor(mr: Managed, nowMs: number) {
    this.mr = mr;
    this.status = structuredClone(mr.status ?? {});
    this.generation = mr.metadata.generation;
    this.nowMs = nowMs;
    this.now = new Date(nowMs).toISOString();
  }

  drift(): DriftStatus {
    return { ...emptyDrift(), ...this.status.drift };
  }

  setCondition(c: ConditionInput): void {
    this.status.conditions = setCondition(this.status.conditions, c, this.now, this.generation);
  }

  setSynced(c: Omit<ConditionInput, "type">): void {
    this.setCondition({ type: ConditionType.Synced, ...c });
  }

  setDrifted(c: Omit<ConditionInput, "type">): void {
    this.setCondition({ type: ConditionType.Drifted, ...c });
  }

  setReady(obs: Observation): void {
    this.setCondition({
      type: ConditionType.Ready,
      status: obs.ready.status ? "True" : "False",
      reason: obs.ready.reason,
      ...(obs.ready.message ? { message: obs.ready.message } : {}),
    });
  }

  /** Synced=True, and the cloud now reflects `generation`. */
  succeeded(): void {
    this.setSynced({ status: "True", reason: Reason.ReconcileSuccess });
    this.status.observedGeneration = this.generation;
  }

  /** The status once the cloud is found to match the spec, with no drift left to report. */
  inSync(obs: Observation): void {
    this.status.atProvider = obs.atProvider ?? this.status.atProvider;
    this.status.drift = { ...this.drift(), fields: [] };
    this.setDrifted({ status: "False", reason: Reason.InSync });
    this.setReady(obs);
    this.succeeded();
  }

  /** True when nothing but drift.lastCheckTime differs from the status this pass started from. */
  unchanged(): boolean {
    return sameStatus(this.mr.status ?? {}, this.status);
  }
}

/** Equal statuses, ignoring drift.lastCheckTime (a heartbeat, not a change). */
export function sameStatus(a: ManagedStatus<unknown>, b: ManagedStatus<unknown>): boolean {
  const strip = (s: ManagedStatus<unknown>) => {
    const drift = s.drift ? { ...emptyDrift(), ...s.drift, lastCheckTime: undefined } : undefined;
    return canonicalJson({ ...s, drift });
  };
  return strip(a) === strip(b);
}
