// The reconciler's decisions, as pure functions of the custom resource, the
// observation, the management policies and the administrator's consent to
// adoption (tenancy.ts). The reconciler carries them out;
// the steady-poll shortcut (steady.ts) asks the same function, so "nothing
// to do" means one thing everywhere. Ownership, adoption and deletion
// protection are decided here and nowhere else: providers only report what
// they found.
import type { Managed } from "../api/managed.ts";
import { Annotations, FINALIZER } from "../api/metadata.ts";
import { type Observation, TerminalError } from "../provider.ts";
import { createdBySetpoint, externalNameOf, type OwnershipVerdict, ownershipOf } from "./external-name.ts";
import { deletesInCloud, type Permissions } from "./policies.ts";
import { TerminalCode } from "./steps.ts";
import { type AdoptionConsent, adoptionForbidden } from "./tenancy.ts";

/** Work that comes with any decision on an existing resource that is ours. */
export interface Chores {
  /** Record the create annotation: the resource is ours (a lost create) or adopted. */
  markCreated: boolean;
  /** Values to late-initialize into spec.forProvider, when the policy allows it. */
  lateInit: Record<string, unknown> | undefined;
}

export type Decision =
  /** The resource exists and is not ours to change. */
  | { action: "refuse"; error: TerminalError }
  | { action: "create"; recreate: boolean }
  /** Missing, and the policy does not allow creating it: report only. */
  | { action: "report-missing"; existedBefore: boolean }
  /** Apply the spec; `drift` says whether the difference is the cloud's doing (counted) or a spec change. */
  | ({ action: "update"; drift: boolean } & Chores)
  /**
   * Report the difference without changing anything: the cloud is busy, or
   * the policy forbids updates. `holdGeneration`: a spec change waits for a
   * busy cloud, so observedGeneration must not move yet.
   */
  | ({ action: "report-drift"; drift: boolean; policyForbids: boolean; holdGeneration: boolean } & Chores)
  | ({ action: "none" } & Chores);

/**
 * What to do with an existing or missing resource that is not being deleted.
 * `adoption` is the administrator's word on taking over an untagged resource;
 * without it (the steady-poll shortcut asks without one) adoption is refused.
 */
export function decide(
  mr: Managed,
  obs: Observation,
  can: Permissions,
  adoption: AdoptionConsent = adoptionForbidden(mr, "the administrator's consent was not checked"),
): Decision {
  if (!obs.exists) {
    return can.create
      ? { action: "create", recreate: createdBySetpoint(mr) }
      : { action: "report-missing", existedBefore: createdBySetpoint(mr) };
  }
  const verdict = ownershipOf(mr, obs.ownership);
  if (verdict.kind === "foreign" || verdict.kind === "untagged") {
    return { action: "refuse", error: ownershipRefusal(mr, verdict) };
  }
  // Adoption writes nothing until the administrator allowed it: no tags, no
  // password, no change, no connection Secret.
  if (verdict.kind === "adoptable" && !adoption.allowed) return { action: "refuse", error: adoption.error };
  const chores: Chores = {
    markCreated: !createdBySetpoint(mr),
    lateInit:
      can.lateInitialize && obs.lateInit && Object.keys(obs.lateInit).length > 0 ? obs.lateInit : undefined,
  };
  if (obs.drift.length === 0) return { action: "none", ...chores };
  // Drift is what the cloud did on its own: a difference on a spec the
  // cloud already matched. A difference right after a spec change is just
  // the change to apply.
  const specChanged = mr.metadata.generation !== mr.status?.observedGeneration;
  const drift = !specChanged && obs.drift.some((d) => d.cause !== "reference");
  if (obs.inProgress || !can.update) {
    return {
      action: "report-drift",
      drift,
      policyForbids: !can.update,
      holdGeneration: specChanged && can.update,
      ...chores,
    };
  }
  return { action: "update", drift, ...chores };
}

/** The engine's refusal of a resource that is someone else's, or untagged and not chosen by name. */
export function ownershipRefusal(
  mr: Managed,
  verdict: Extract<OwnershipVerdict, { kind: "foreign" | "untagged" }>,
): TerminalError {
  const name = externalNameOf(mr);
  return verdict.kind === "foreign"
    ? new TerminalError(
        TerminalCode.ForeignOwner,
        `${mr.kind} ${name} exists and is owned by ${verdict.owner}; setpoint will not change it. Choose another name or delete the other resource first.`,
      )
    : new TerminalError(
        TerminalCode.UntaggedResourceExists,
        `${name} already exists and carries no setpoint owner tags; to adopt it, set the ${Annotations.externalName} annotation explicitly (and the ProviderConfig must allow adoption).`,
      );
}

export type DeletionDecision =
  /** Not holding our finalizer: nothing of ours to do. */
  | { action: "done" }
  /** Release the finalizer and leave the cloud alone; `why` goes into the event. */
  | { action: "orphan"; why: "policy" | "not-owned" | "adoption-refused" }
  /** The policies allow deleting in the cloud: observe to decide further. */
  | { action: "observe" }
  /** Nothing (left) in the cloud: release the finalizer. */
  | { action: "released" }
  /** The cloud is deleting it already: look again later. */
  | { action: "wait" }
  | { action: "refuse"; error: TerminalError }
  | { action: "delete"; disableDeletionProtection: boolean };

/**
 * What a deletion of the custom resource does. Called first without an
 * observation (the policy may settle it), then with one. An untagged resource
 * that the administrator does not let this namespace adopt is never deleted.
 */
export function decideDeletion(
  mr: Managed,
  obs: Observation | undefined,
  adoption: AdoptionConsent = adoptionForbidden(mr, "the administrator's consent was not checked"),
): DeletionDecision {
  if (!mr.metadata.finalizers?.includes(FINALIZER)) return { action: "done" };
  // No external-name annotation (removed by hand): the provider observes the
  // derived name, so a cloud resource of ours is still found and deleted,
  // never dropped silently with the finalizer.
  if (!deletesInCloud(mr)) return { action: "orphan", why: "policy" };
  if (!obs) return { action: "observe" };
  if (!obs.exists) return { action: "released" };
  const verdict = ownershipOf(mr, obs.ownership);
  // Never delete what is not ours; the custom resource may go, the cloud resource stays.
  if (verdict.kind === "foreign" || verdict.kind === "untagged") {
    return { action: "orphan", why: "not-owned" };
  }
  if (verdict.kind === "adoptable" && !adoption.allowed) {
    return { action: "orphan", why: "adoption-refused" };
  }
  if (obs.deleting) return { action: "wait" };
  const protection = obs.deletionProtection;
  // Protection the spec asks for is the user's word: it stays, and so does
  // the resource. Protection the spec does not mention is not lifted either:
  // someone turned it on, and a delete that ignores it could lose data.
  if (protection?.requested === true || (protection?.enabled && protection.requested === undefined)) {
    return {
      action: "refuse",
      error: new TerminalError(
        TerminalCode.DeletionProtected,
        `${mr.kind} ${externalNameOf(mr) ?? mr.metadata.name} has deletion protection${protection.requested ? ", as its spec asks" : " on in the cloud, and its spec does not say to lift it"}: set spec.${protection.field} to false to delete it, or deletionPolicy: Orphan to keep it`,
      ),
    };
  }
  return { action: "delete", disableDeletionProtection: protection?.enabled === true };
}
