// Management policies: which of Observe, Create, Update, Delete and
// LateInitialize setpoint may perform on a resource.
import { Annotations, type Managed, type ManagementAction } from "../api/index.ts";

export interface Permissions {
  observe: boolean;
  create: boolean;
  update: boolean;
  delete: boolean;
  lateInitialize: boolean;
}

export function permissionsOf(policies: readonly ManagementAction[] | undefined): Permissions {
  const list = policies && policies.length > 0 ? policies : ["*"];
  const all = list.includes("*");
  const has = (a: ManagementAction) => all || list.includes(a);
  return {
    observe: all || list.includes("Observe"),
    create: has("Create"),
    update: has("Update"),
    delete: has("Delete"),
    lateInitialize: has("LateInitialize"),
  };
}

/** Deleting the custom resource deletes the cloud resource only when both the policy and deletionPolicy allow it. */
export function deletesInCloud(mr: Managed): boolean {
  return permissionsOf(mr.spec.managementPolicies).delete && mr.spec.deletionPolicy !== "Orphan";
}

export function isPaused(mr: Managed): boolean {
  return mr.metadata.annotations?.[Annotations.paused] === "true";
}
