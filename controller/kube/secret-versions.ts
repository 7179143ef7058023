// Which Secrets exist and at which resourceVersion, from a metadata-only watch (PartialObjectMetadata),
// so that a Secret read on every poll (a password, cloud credentials) is fetched again only when it
// changed, and a connection Secret someone deleted is noticed at the next poll. Metadata only, because a
// shared cluster holds many Secrets setpoint never reads (Helm keeps every release in one, up to 1 MB
// each): watching their data would put all of it in memory and through the wire on every relist. The
// cache keeps three strings per Secret.
//
// RBAC: list and watch on secrets, in the namespace the controller is limited to or cluster-wide, next
// to the get, create and update it already needs.
import type { Clock } from "../clock.ts";
import type { KubeTarget } from "./client.ts";
import type { KubeLogger } from "./log.ts";
import { type KubeObject, objectKey, Reflector } from "./reflector.ts";

/** What cached readers need to know about Secrets. */
export interface SecretVersionSource {
  /** True once the first list is in, and only for namespaces the watch covers. */
  covers(namespace: string): boolean;
  /** The Secret's resourceVersion, or undefined when it does not exist. Valid only where covers() is true. */
  versionOf(namespace: string, name: string): string | undefined;
  /** Called with "namespace/name" whenever a Secret is added, changed or deleted. Returns an unsubscribe. */
  onChange(listener: (key: string, version: string | undefined) => void): () => void;
}

interface SecretMeta extends KubeObject {
  metadata: { name?: string; namespace?: string; uid?: string; resourceVersion?: string };
}

/** Keeps name, namespace, uid and resourceVersion: labels, annotations and managedFields can be large. */
export function secretMetaOnly(obj: SecretMeta): SecretMeta {
  const m = obj.metadata ?? {};
  return {
    metadata: {
      ...(m.name !== undefined ? { name: m.name } : {}),
      ...(m.namespace !== undefined ? { namespace: m.namespace } : {}),
      ...(m.uid !== undefined ? { uid: m.uid } : {}),
      ...(m.resourceVersion !== undefined ? { resourceVersion: m.resourceVersion } : {}),
    },
  };
}

export interface SecretVersionsOptions {
  /** Only this namespace; all when absent. */
  namespace?: string;
  log?: KubeLogger;
  clock?: Clock;
}

/** A SecretVersionSource backed by a metadata-only Reflector. start() and stop() go with the manager's. */
export class SecretVersions implements SecretVersionSource {
  readonly #reflector: Reflector<SecretMeta>;
  readonly #namespace: string | undefined;
  readonly #listeners = new Set<(key: string, version: string | undefined) => void>();

  constructor(target: KubeTarget, opts: SecretVersionsOptions = {}) {
    this.#namespace = opts.namespace;
    const notify = (obj: SecretMeta, deleted: boolean) => {
      const key = objectKey(obj);
      if (key === undefined) return;
      const version = deleted ? undefined : obj.metadata.resourceVersion;
      for (const l of this.#listeners) l(key, version);
    };
    this.#reflector = new Reflector<SecretMeta>({
      kubeConfig: target,
      group: "",
      version: "v1",
      plural: "secrets",
      metadataOnly: true,
      ...(opts.namespace ? { namespace: opts.namespace } : {}),
      name: "secrets (metadata)",
      transform: secretMetaOnly,
      handlers: {
        onAdd: (o) => notify(o, false),
        onUpdate: (_old, o) => notify(o, false),
        onDelete: (o) => notify(o, true),
      },
      ...(opts.log ? { log: opts.log } : {}),
      ...(opts.clock ? { clock: opts.clock } : {}),
    });
  }

  /** Resolves once the first list is in. Readers fall back to direct reads until then. */
  start(): Promise<void> {
    return this.#reflector.start();
  }

  stop(): Promise<void> {
    return this.#reflector.stop();
  }

  get size(): number {
    return this.#reflector.size;
  }

  covers(namespace: string): boolean {
    return this.#reflector.hasSynced() && (this.#namespace === undefined || this.#namespace === namespace);
  }

  versionOf(namespace: string, name: string): string | undefined {
    return this.#reflector.get(`${namespace}/${name}`)?.metadata.resourceVersion;
  }

  onChange(listener: (key: string, version: string | undefined) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}

/**
 * True when resourceVersion `a` is newer than `b`. resourceVersions are opaque to clients, but etcd's
 * are increasing integers; anything else is compared for equality only (different counts as newer).
 */
export function newerVersion(a: string, b: string): boolean {
  if (a === b) return false;
  if (/^\d+$/.test(a) && /^\d+$/.test(b)) return a.length !== b.length ? a.length > b.length : a > b;
  return true;
}
