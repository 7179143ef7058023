// An in-memory ManagerKube for the manager's unit tests: watch sources whose
// events the test delivers when it chooses (so a stale cache is a test
// input, not a race), a store that plays the API server (resourceVersions,
// finalizers, deletion), and recorders for events and connection Secrets.
import type { Managed, ManagedStatus } from "../api/managed.ts";
import type { KubeObject } from "../kube/reflector.ts";
import type { KubeAccess, SecretData } from "../provider.ts";
import {
  type ConnectionSecretWriter,
  type EventRecorder,
  type ManagedStore,
  ObjectGoneError,
} from "../reconciler/ports.ts";
import type {
  Elector,
  LeaderElectionSpec,
  ManagerKube,
  WatchHandlers,
  WatchSource,
  WatchSpec,
} from "./ports.ts";

export class FakeSource<T extends KubeObject> implements WatchSource<T> {
  readonly spec: WatchSpec<T>;
  readonly #items = new Map<string, T>();
  started = false;

  constructor(spec: WatchSpec<T>) {
    this.spec = spec;
  }

  async start(): Promise<void> {
    this.started = true;
  }

  async stop(): Promise<void> {}

  get(key: string): T | undefined {
    return this.#items.get(key);
  }

  list(): T[] {
    return [...this.#items.values()];
  }

  get size(): number {
    return this.#items.size;
  }

  /** Delivers an add or update event, as the watch would. */
  put(obj: T): void {
    const key = cacheKey(obj);
    const old = this.#items.get(key);
    this.#items.set(key, structuredClone(obj));
    const handlers: WatchHandlers<T> = this.spec.handlers;
    if (old) handlers.onUpdate?.(old, obj);
    else handlers.onAdd?.(obj);
  }

  /** Delivers a delete event. */
  remove(obj: T): void {
    const key = cacheKey(obj);
    const old = this.#items.get(key);
    if (!old) return;
    this.#items.delete(key);
    this.spec.handlers.onDelete?.(old);
  }
}

function cacheKey(obj: KubeObject): string {
  const ns = obj.metadata?.namespace;
  return ns ? `${ns}/${obj.metadata?.name}` : (obj.metadata?.name ?? "");
}

/** The API server's copy of every managed object, with the rules the engine relies on. */
export class FakeServer {
  readonly objects = new Map<string, Managed>();
  #rv = 100;
  writes = 0;

  nextVersion(): string {
    return String(++this.#rv);
  }

  create(mr: Managed): Managed {
    const stored = structuredClone(mr);
    stored.metadata.resourceVersion = this.nextVersion();
    stored.metadata.generation ??= 1;
    this.objects.set(idOf(stored), stored);
    return structuredClone(stored);
  }

  /** What a user's kubectl delete does: with finalizers the object stays, marked for deletion. */
  requestDeletion(mr: Managed, at = "2026-01-01T00:00:00Z"): Managed | undefined {
    const stored = this.objects.get(idOf(mr));
    if (!stored) return undefined;
    if (!stored.metadata.finalizers?.length) {
      this.objects.delete(idOf(mr));
      return undefined;
    }
    stored.metadata.deletionTimestamp = at;
    stored.metadata.resourceVersion = this.nextVersion();
    return structuredClone(stored);
  }

  store(): ManagedStore {
    const write = (mr: Managed, change: (stored: Managed) => void): Managed => {
      const stored = this.objects.get(idOf(mr));
      if (!stored) throw new ObjectGoneError(`${idOf(mr)} is gone`);
      change(stored);
      stored.metadata.resourceVersion = this.nextVersion();
      this.writes++;
      const answer = structuredClone(stored);
      // The last finalizer released on an object marked for deletion: it goes.
      if (stored.metadata.deletionTimestamp && !stored.metadata.finalizers?.length)
        this.objects.delete(idOf(mr));
      return answer;
    };
    return {
      patchMetadata: async (mr, patch) =>
        write(mr, (s) => {
          const annotations = { ...s.metadata.annotations };
          for (const [k, v] of Object.entries(patch.annotations ?? {})) {
            if (v === null) delete annotations[k];
            else annotations[k] = v;
          }
          s.metadata.annotations = annotations;
          if (patch.finalizers) s.metadata.finalizers = [...patch.finalizers];
        }),
      patchForProvider: async (mr, values) =>
        write(mr, (s) => {
          s.spec.forProvider = { ...(s.spec.forProvider as object), ...values };
          s.metadata.generation = (s.metadata.generation ?? 1) + 1;
        }),
      writeStatus: async (mr, status: ManagedStatus<unknown>) =>
        write(mr, (s) => {
          s.status = structuredClone(status);
        }),
    };
  }
}

function idOf(mr: Managed): string {
  return `${mr.kind}/${mr.metadata.namespace ?? ""}/${mr.metadata.name}`;
}

export class FakeElector implements Elector {
  readonly spec: LeaderElectionSpec;
  started = false;
  stopped = false;

  constructor(spec: LeaderElectionSpec) {
    this.spec = spec;
  }

  start(): void {
    this.started = true;
  }

  async stop(): Promise<void> {
    this.stopped = true;
  }
}

export class FakeKube implements ManagerKube {
  readonly server = new FakeServer();
  readonly sources: FakeSource<KubeObject>[] = [];
  readonly events: { reason: string; type: string; message: string; name: string }[] = [];
  readonly secrets: { name: string; details: Record<string, string> }[] = [];
  readonly clusterObjects = new Map<string, Record<string, unknown>>();
  clusterReads = 0;
  elector: FakeElector | undefined;

  watch<T extends KubeObject>(spec: WatchSpec<T>): WatchSource<T> {
    const source = new FakeSource<T>(spec);
    this.sources.push(source as unknown as FakeSource<KubeObject>);
    return source;
  }

  /** The watch source of one plural. */
  source<T extends KubeObject = Managed>(plural: string): FakeSource<T> {
    const found = this.sources.find((s) => s.spec.plural === plural);
    if (!found) throw new Error(`no watch on ${plural}`);
    return found as unknown as FakeSource<T>;
  }

  managedStore(): ManagedStore {
    return this.server.store();
  }

  eventRecorder(): EventRecorder {
    return {
      record: (mr, type, reason, message) =>
        this.events.push({ type, reason, message, name: mr.metadata.name }),
    };
  }

  connectionSecretWriter(): ConnectionSecretWriter {
    return {
      write: async (mr, details) => {
        this.secrets.push({ name: mr.spec.writeConnectionSecretToRef?.name ?? "", details });
      },
    };
  }

  kubeAccess(): KubeAccess {
    return {
      getSecret: async (): Promise<SecretData | undefined> => undefined,
      applySecret: async () => {},
      getClusterObject: async (_apiVersion, _kind, plural, name) => {
        this.clusterReads++;
        return this.clusterObjects.get(`${plural}/${name}`);
      },
    };
  }

  leaderElector(spec: LeaderElectionSpec): Elector {
    this.elector = new FakeElector(spec);
    return this.elector;
  }
}
