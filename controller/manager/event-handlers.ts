// Watch events → queue keys: which changes to a managed object call for a
// reconcile (the predicate), and what each event does to its key.
import type { Managed } from "../api/managed.ts";
import { Annotations, FINALIZER } from "../api/metadata.ts";
import { keyOf, type ResourceKey } from "./keys.ts";
import type { WatchHandlers } from "./ports.ts";

/**
 * Only changes a user made to what the resource should be trigger a
 * reconcile. Our own writes come back through the watch too: status writes,
 * and the bookkeeping a reconcile adds and then goes on with (our finalizer,
 * a derived external name, the create-succeeded mark). Reconciling again on
 * those would repeat the pass that made them, and for a pass that failed
 * terminally, repeat its cloud calls at once instead of after the terminal
 * retry interval. They are told apart by content, not by resourceVersion:
 * the watch may deliver an echo before the write's own response arrives.
 */
export function needsReconcile(old: Managed, mr: Managed): boolean {
  return (
    old.metadata.generation !== mr.metadata.generation ||
    old.metadata.deletionTimestamp !== mr.metadata.deletionTimestamp ||
    JSON.stringify(userAnnotations(old)) !== JSON.stringify(userAnnotations(mr)) ||
    JSON.stringify(userFinalizers(old)) !== JSON.stringify(userFinalizers(mr)) ||
    // Our finalizer removed by hand from a live object: put it back.
    (hasOurFinalizer(old) && !hasOurFinalizer(mr))
  );
}

/** The annotations without the engine's own marks; a derived external name counts as a mark. */
function userAnnotations(mr: Managed): Record<string, string> {
  const out = { ...mr.metadata.annotations };
  const derived = out[Annotations.externalNameDerived] === "true";
  delete out[Annotations.externalNameDerived];
  delete out[Annotations.externalCreateSucceeded];
  if (derived) delete out[Annotations.externalName];
  return out;
}

const hasOurFinalizer = (mr: Managed) => mr.metadata.finalizers?.includes(FINALIZER) === true;
const userFinalizers = (mr: Managed) => (mr.metadata.finalizers ?? []).filter((f) => f !== FINALIZER);

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
