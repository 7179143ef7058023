// Condition bookkeeping. lastTransitionTime moves only when a condition's
// status flips, so rewriting the same conditions never changes the status
// and never causes a status write.
import type { Condition } from "../api/index.ts";

export const ConditionType = {
  Ready: "Ready",
  Synced: "Synced",
  Drifted: "Drifted",
} as const;

/** Reasons, as users see them in `kubectl get` and `kubectl describe`. */
export const Reason = {
  // Ready
  Available: "Available",
  Creating: "Creating",
  Deleting: "Deleting",
  Unavailable: "Unavailable",
  // Synced
  ReconcileSuccess: "ReconcileSuccess",
  ReconcileError: "ReconcileError",
  ReconcileTerminal: "ReconcileTerminal",
  Paused: "Paused",
  /** A referenced resource is missing or not Ready: nothing is sent to the cloud until it is. */
  ReferenceNotReady: "ReferenceNotReady",
  /** Deleting waits: other resources still refer to this one. */
  StillReferenced: "StillReferenced",
  // Drifted
  InSync: "InSync",
  DriftDetected: "DriftDetected",
  DriftCorrected: "DriftCorrected",
  ExternalResourceMissing: "ExternalResourceMissing",
} as const;

export interface ConditionInput {
  type: string;
  status: "True" | "False" | "Unknown";
  reason: string;
  message?: string;
}

/** Returns a new list with `input` set, keeping lastTransitionTime when the status did not flip. */
export function setCondition(
  conditions: readonly Condition[] | undefined,
  input: ConditionInput,
  now: string,
  observedGeneration?: number,
): Condition[] {
  const list = [...(conditions ?? [])];
  const index = list.findIndex((c) => c.type === input.type);
  const previous = index >= 0 ? list[index] : undefined;
  const next: Condition = {
    type: input.type,
    status: input.status,
    reason: input.reason,
    ...(input.message ? { message: truncate(input.message, 1024) } : {}),
    lastTransitionTime: previous && previous.status === input.status ? previous.lastTransitionTime : now,
    ...(observedGeneration !== undefined ? { observedGeneration } : {}),
  };
  if (index >= 0) list[index] = next;
  else list.push(next);
  return list;
}

export function getCondition(
  conditions: readonly Condition[] | undefined,
  type: string,
): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
