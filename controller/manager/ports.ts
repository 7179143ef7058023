// What the manager needs from Kubernetes, as one narrow factory. The real
// one (kube-clients.ts) builds client-node clients from a kubeconfig; unit
// tests pass in-memory sources and stores, so each of the manager's
// decisions can be tested with a fake clock and no API server.
import type { Managed } from "../api/managed.ts";
import type { KubeObject } from "../kube/reflector.ts";
import type { SecretVersionSource } from "../kube/secret-versions.ts";
import type { Logger } from "../ops/logger.ts";
import type { KubeAccess } from "../provider.ts";
import type { ConnectionSecretWriter, EventRecorder, ManagedStore } from "../reconciler/ports.ts";

/** A watched, cached list of one resource type. */
export interface WatchSource<T extends KubeObject> {
  /** Resolves once the first list is cached. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** By cache key: "namespace/name", or "name" for cluster-scoped objects. */
  get(key: string): T | undefined;
  list(): T[];
  readonly size: number;
}

export interface WatchHandlers<T> {
  onAdd?(obj: T): void;
  onUpdate?(oldObj: T, newObj: T): void;
  onDelete?(obj: T): void;
}

export interface WatchSpec<T> {
  group: string;
  version: string;
  plural: string;
  /** Only this namespace; all when absent. */
  namespace?: string;
  handlers: WatchHandlers<T>;
  log: Logger;
}

export interface LeaderElectionSpec {
  namespace: string;
  name: string;
  identity?: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  log: Logger;
  onStartedLeading(): void;
  onStoppedLeading(): void;
}

export interface Elector {
  start(): void;
  /** Stops campaigning and releases the Lease if held. */
  stop(): Promise<void>;
}

/** Which Secrets exist at which resourceVersion, from a watch that starts and stops with the manager. */
export interface SecretVersionWatch extends SecretVersionSource {
  /** Resolves once the first list is in; until then readers fall back to their TTL caches. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface ManagerKube {
  watch<T extends KubeObject>(spec: WatchSpec<T>): WatchSource<T>;
  /** Writes to managed objects; a write to an object that is gone throws ObjectGoneError. */
  managedStore(pluralOf: (mr: Managed) => string): ManagedStore;
  eventRecorder(log: Logger): EventRecorder;
  /** Sees a changed or deleted connection Secret through `versions`, when given. */
  connectionSecretWriter(versions?: SecretVersionSource): ConnectionSecretWriter;
  /**
   * A metadata-only Secret watch (list + watch on secrets, see deploy/rbac/rules.ts), so that Secrets
   * read on every poll are fetched again only when they change. Optional: without it, reads go through
   * a short TTL cache.
   */
  secretVersions?(spec: { namespace?: string; log: Logger }): SecretVersionWatch;
  /** Direct reads for providers; the manager puts its caches in front. */
  kubeAccess(): KubeAccess;
  leaderElector(spec: LeaderElectionSpec): Elector;
}
