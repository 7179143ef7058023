// The steady-state shortcut. Most polls of a healthy fleet find nothing:
// the cloud matches the spec and the status already says so. Such a poll
// needs no worker, no reconcile and no write, so the manager can schedule
// the next one directly instead of queueing the key behind real work
// (spec changes, corrections). This predicate is deliberately strict: any
// doubt sends the key through the full reconcile.
import type { Managed } from "../../apis/aws/v1alpha1/common.ts";
import type { Observation } from "../provider.ts";
import { ConditionType, getCondition, Reason } from "./conditions.ts";
import { canonicalJson } from "./drift-report.ts";
import { ownershipOf } from "./external-name.ts";
import { isPaused } from "./policies.ts";

/** True when reconciling `mr` with `obs` would change nothing and write nothing. */
export function isSteady(mr: Managed, obs: Observation): boolean {
  if (mr.metadata.deletionTimestamp || isPaused(mr)) return false;
  if (!obs.exists || obs.drift.length > 0 || !obs.ready.status || obs.inProgress) return false;
  if (obs.lateInit && Object.keys(obs.lateInit).length > 0) return false;
  if (ownershipOf(mr, obs.ownership).kind !== "ours") return false;

  const status = mr.status;
  if (!status || status.observedGeneration !== mr.metadata.generation) return false;
  const has = (type: string, value: string, reason: string, message?: string) => {
    const c = getCondition(status.conditions, type);
    return c?.status === value && c.reason === reason && (message === undefined || c.message === message);
  };
  if (!has(ConditionType.Ready, "True", obs.ready.reason)) return false;
  if ((getCondition(status.conditions, ConditionType.Ready)?.message ?? "") !== (obs.ready.message ?? "")) {
    return false;
  }
  if (!has(ConditionType.Synced, "True", Reason.ReconcileSuccess)) return false;
  if (!has(ConditionType.Drifted, "False", Reason.InSync)) return false;
  if ((status.drift?.fields?.length ?? 0) > 0) return false;
  return obs.atProvider === undefined || canonicalJson(obs.atProvider) === canonicalJson(status.atProvider);
}
