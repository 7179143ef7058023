// Watch events → queue keys: which changes to a managed object call for a
// reconcile (the predicate), and what each event does to its key.
import type { Managed } from "../api/managed.ts";
import { keyOf, type ResourceKey } from "./keys.ts";
import type { WatchHandlers } from "./ports.ts";

/**
 * Only changes a user (or setpoint itself) made to what the resource should
 * be trigger a reconcile; our own status writes come back through the
 * watch too and must not cause a loop.
 */
export function needsReconcile(old: Managed, mr: Managed): boolean {
  return (
    old.metadata.generation !== mr.metadata.generation ||
    old.metadata.deletionTimestamp !== mr.metadata.deletionTimestamp ||
    JSON.stringify(old.metadata.annotations ?? {}) !== JSON.stringify(mr.metadata.annotations ?? {}) ||
    JSON.stringify(old.metadata.finalizers ?? []) !== JSON.stringify(mr.metadata.finalizers ?? [])
  );
}

export interface KeySink {
  /** Reconcile the key as soon as a worker is free. */
  enqueue(key: ResourceKey): void;
  /** The object is gone: drop everything kept for the key. */
  forget(key: ResourceKey): void;
  /** The number of cached objects changed. */
  resized(): void;
}

export function managedHandlers(kind: string, sink: KeySink): WatchHandlers<Managed> {
  return {
    onAdd: (mr) => {
      sink.enqueue(keyOf(kind, mr));
      sink.resized();
    },
    onUpdate: (old, mr) => {
      if (needsReconcile(old, mr)) sink.enqueue(keyOf(kind, mr));
    },
    onDelete: (mr) => {
      sink.forget(keyOf(kind, mr));
      sink.resized();
    },
  };
}
