// What the managed reconciler needs from Kubernetes, as narrow interfaces.
// controller/kube implements them with @kubernetes/client-node; unit tests
// of the reconciler's decisions use in-memory versions.
import type { Managed, ManagedStatus } from "../api/managed.ts";
import type { TenancyReading } from "./tenancy.ts";

export interface ResourceRef {
  apiVersion: string;
  kind: string;
  plural: string;
  namespace: string;
  name: string;
}

export interface ManagedStore {
  /**
   * Merge-patches metadata (annotations, finalizers) guarded by the object's
   * resourceVersion; returns the updated object. A conflict throws
   * ConflictError. Every write to an object that is gone throws ObjectGoneError.
   */
  patchMetadata(
    mr: Managed,
    patch: { annotations?: Record<string, string | null>; finalizers?: string[] },
  ): Promise<Managed>;
  /** Merge-patches spec.forProvider with late-initialized values; returns the updated object. */
  patchForProvider(mr: Managed, values: Record<string, unknown>): Promise<Managed>;
  /**
   * Replaces status through the status subresource. Retries conflicts by
   * re-reading the object and re-applying `status`. Returns the updated object.
   */
  writeStatus(mr: Managed, status: ManagedStatus<unknown>): Promise<Managed>;
}

export type EventType = "Normal" | "Warning";

export interface EventRecorder {
  /** Records a core/v1 Event on the object; repeated identical events are aggregated (count++). Never throws. */
  record(mr: Managed, type: EventType, reason: string, message: string): void;
}

export interface ConnectionSecretWriter {
  /**
   * Creates or updates the Secret named by spec.writeConnectionSecretToRef,
   * owned by the managed resource. Skips the write when the data is unchanged.
   */
  write(mr: Managed, details: Record<string, string>): Promise<void>;
}

export interface TenancySource {
  /** The config object `mr` names, its tenancy policy, and the labels of its namespace, from caches. */
  read(mr: Managed): TenancyReading;
}

export class ConflictError extends Error {
  override readonly name = "ConflictError";
}

/**
 * The custom resource no longer exists: it was deleted while being
 * reconciled (its finalizer released, or never added yet). Stores throw it
 * for a write that finds the object gone; a reconcile that meets it is done,
 * not failed.
 */
export class ObjectGoneError extends Error {
  override readonly name = "ObjectGoneError";
}
