// The steady-state shortcut. Most polls of a healthy fleet find nothing:
// the cloud matches the spec and the status already says so. Such a poll
// needs no worker, no reconcile and no write, so the manager can schedule
// the next one directly instead of queueing the key behind real work
// (spec changes, corrections). It asks the reconciler's own decision and
// builds the status the reconciler would write, so the two cannot disagree:
// a poll is steady exactly when a reconcile would decide "nothing to do" and
// write nothing.
import type { Managed } from "../api/managed.ts";
import type { Observation } from "../provider.ts";
import { decide } from "./decide.ts";
import { Pass } from "./pass.ts";
import { isPaused, permissionsOf } from "./policies.ts";

/** True when reconciling `mr` with `obs` would change nothing and write nothing, and it is Ready and idle. */
export function isSteady(mr: Managed, obs: Observation): boolean {
  if (mr.metadata.deletionTimestamp || isPaused(mr)) return false;
  // Converging resources poll faster, through the queue.
  if (!obs.ready.status || obs.inProgress) return false;
  const can = permissionsOf(mr.spec.managementPolicies);
  if (!can.observe) return false;
  const decision = decide(mr, obs, can);
  if (decision.action !== "none" || decision.markCreated || decision.lateInit) return false;
  const pass = new Pass(mr, 0);
  pass.inSync(obs);
  return pass.unchanged();
}
