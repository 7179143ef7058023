// What the manager needs from Kubernetes, as one narrow factory. The real
// one (kube-clients.ts) builds client-node clients from a kubeconfig; unit
// tests pass in-memory sources and stores, so each of the manager's
// decisions can be tested with a fake clock and no API server.
import type { Managed } from "../api/managed.ts";
import type { KubeObject } from "../kube/reflector.ts";
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

export interface ManagerKube {
  watch<T extends KubeObject>(spec: WatchSpec<T>): WatchSource<T>;
  /** Writes to managed objects; a write to an object that is gone throws ObjectGoneError. */
  managedStore(pluralOf: (mr: Managed) => string): ManagedStore;
  eventRecorder(log: Logger): EventRecorder;
  connectionSecretWriter(): ConnectionSecretWriter;
  /** Direct reads for providers; the manager puts its caches in front. */
  kubeAccess(): KubeAccess;
  leaderElector(spec: LeaderElectionSpec): Elector;
}
