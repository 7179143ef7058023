// Objects the reconciler wrote, newer than the watch cache may be yet. A
// worker that picked up the cached copy right after our own write would act
// on a stale object: re-add an annotation, conflict on resourceVersion, or,
// after a finished deletion, run the deletion again on the copy that still
// holds the finalizer. So the newest copy wins until the watch catches up.
import type { Managed } from "../api/managed.ts";
import type { ManagedStore } from "../reconciler/ports.ts";
import type { ResourceKey } from "./keys.ts";

export class WrittenObjects {
  readonly #written = new Map<ResourceKey, Managed>();

  remember(key: ResourceKey, mr: Managed): Managed {
    this.#written.set(key, mr);
    return mr;
  }

  /** The newest of the cached copy and our own last write; undefined once the object left the cache. */
  current(key: ResourceKey, cached: Managed | undefined): Managed | undefined {
    if (!cached) return undefined;
    const mine = this.#written.get(key);
    if (!mine) return cached;
    if (newerOrSame(cached.metadata.resourceVersion, mine.metadata.resourceVersion)) {
      this.#written.delete(key);
      return cached;
    }
    return mine;
  }

  forget(key: ResourceKey): void {
    this.#written.delete(key);
  }

  get size(): number {
    return this.#written.size;
  }

  /** A store whose every write is remembered under the key `keyFor` gives the object. */
  wrap(store: ManagedStore, keyFor: (mr: Managed) => ResourceKey): ManagedStore {
    const keep = (mr: Managed) => this.remember(keyFor(mr), mr);
    return {
      patchMetadata: async (mr, patch) => keep(await store.patchMetadata(mr, patch)),
      patchForProvider: async (mr, values) => keep(await store.patchForProvider(mr, values)),
      writeStatus: async (mr, status) => keep(await store.writeStatus(mr, status)),
    };
  }
}

/** resourceVersions are opaque, but etcd's are increasing integers; anything else counts as newer. */
export function newerOrSame(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b) return true;
  try {
    return BigInt(a) >= BigInt(b);
  } catch {
    return true;
  }
}
