// Providers read ProviderConfigs and Secrets on every connect and observe.
// At thousands of resources per poll those reads would cost more than the
// cloud calls, so ProviderConfigs come from the watch cache, and Secrets
// are read once per resourceVersion: a metadata-only watch of Secrets
// (kube/secret-versions.ts) says when one changed or went away, so a
// steady fleet makes no Secret reads at all, and a rotated password is
// seen at the next poll. Where that watch does not reach (another
// namespace than the controller's, or before its first list) Secrets come
// from a short-lived cache instead, seen within the TTL plus one poll.
import type { Managed } from "./api/index.ts";
import { newerVersion, type SecretVersionSource } from "./kube/secret-versions.ts";
import type { KubeAccess, SecretData } from "./provider.ts";

export interface CachedKubeAccessOptions {
  /**
   * A reader of the watch cache for this type of cluster-scoped object, or
   * undefined when the type is not watched (the read then goes to the API).
   */
  watched(
    apiVersion: string,
    plural: string,
  ): ((name: string) => Record<string, unknown> | undefined) | undefined;
  /** Which Secrets exist at which version; without it every Secret read goes through the TTL cache. */
  secretVersions?: SecretVersionSource;
  secretTtlMs?: number;
  now?: () => number;
}

export interface CachedKubeAccessStats {
  /** Secret reads that went to the apiserver. */
  secretReads: number;
  /** Secret reads answered from memory. */
  secretHits: number;
}

interface Versioned {
  value: Promise<SecretData | undefined>;
  /** The version read; undefined while the read is in flight. */
  version: string | undefined;
  /** The watch's version when the read started. */
  basis: string | undefined;
  /** Read right after our own write, before the watch had seen it. */
  afterWrite: boolean;
  at: number;
}

/** How long a read after our own write stands in for a watch that has not reported the Secret yet. */
const AFTER_WRITE_GRACE_MS = 60_000;
const MAX_ENTRIES = 100_000;

export class CachedKubeAccess implements KubeAccess {
  readonly #inner: KubeAccess;
  readonly #o: CachedKubeAccessOptions;
  readonly #secrets = new Map<string, { at: number; value: Promise<SecretData | undefined> }>();
  readonly #versioned = new Map<string, Versioned>();
  /** Secrets we wrote: their next read goes to the apiserver whatever the watch says. */
  readonly #written = new Set<string>();
  readonly stats: CachedKubeAccessStats = { secretReads: 0, secretHits: 0 };

  constructor(inner: KubeAccess, options: CachedKubeAccessOptions) {
    this.#inner = inner;
    this.#o = options;
    options.secretVersions?.onChange((key, version) => {
      const hit = this.#versioned.get(key);
      if (!hit) return;
      if (version === undefined) this.#versioned.delete(key);
      else if (hit.version !== undefined && newerVersion(version, hit.version)) this.#versioned.delete(key);
      else if (hit.version === version) hit.afterWrite = false;
    });
  }

  #now(): number {
    return (this.#o.now ?? Date.now)();
  }

  getSecret(namespace: string, name: string): Promise<SecretData | undefined> {
    const versions = this.#o.secretVersions;
    if (versions?.covers(namespace)) return this.#versionedRead(versions, namespace, name);
    const key = `${namespace}/${name}`;
    const now = this.#now();
    const hit = this.#secrets.get(key);
    if (hit && now - hit.at < (this.#o.secretTtlMs ?? 5000)) {
      this.stats.secretHits++;
      return hit.value;
    }
    const value = this.#read(namespace, name);
    // A failed read is not cached: the next caller tries again.
    value.catch(() => this.#secrets.delete(key));
    this.#secrets.set(key, { at: now, value });
    if (this.#secrets.size > 10_000) this.#secrets.delete(this.#secrets.keys().next().value as string);
    return value;
  }

  #versionedRead(
    versions: SecretVersionSource,
    namespace: string,
    name: string,
  ): Promise<SecretData | undefined> {
    const key = `${namespace}/${name}`;
    const live = versions.versionOf(namespace, name);
    const hit = this.#versioned.get(key);
    const forced = this.#written.delete(key);
    if (hit && !forced && this.#valid(hit, live)) {
      this.stats.secretHits++;
      return hit.value;
    }
    if (live === undefined && !forced) {
      // The watch has listed every Secret here: this one does not exist, no read needed.
      this.#versioned.delete(key);
      this.stats.secretHits++;
      return Promise.resolve(undefined);
    }
    const entry: Versioned = {
      value: this.#read(namespace, name),
      version: undefined,
      basis: live,
      afterWrite: forced && live === undefined,
      at: this.#now(),
    };
    entry.value.then(
      (secret) => {
        entry.version = secret?.resourceVersion ?? "";
      },
      () => {
        if (this.#versioned.get(key) === entry) this.#versioned.delete(key);
      },
    );
    this.#versioned.delete(key);
    this.#versioned.set(key, entry);
    if (this.#versioned.size > MAX_ENTRIES)
      this.#versioned.delete(this.#versioned.keys().next().value as string);
    return entry.value;
  }

  #valid(hit: Versioned, live: string | undefined): boolean {
    if (live === undefined) return hit.afterWrite && this.#now() - hit.at < AFTER_WRITE_GRACE_MS;
    if (hit.version === undefined) return hit.basis === live;
    return !newerVersion(live, hit.version);
  }

  #read(namespace: string, name: string): Promise<SecretData | undefined> {
    this.stats.secretReads++;
    return this.#inner.getSecret(namespace, name);
  }

  async applySecret(owner: Managed, name: string, data: Record<string, string>): Promise<void> {
    await this.#inner.applySecret(owner, name, data);
    const key = `${owner.metadata.namespace}/${name}`;
    this.#secrets.delete(key);
    this.#versioned.delete(key);
    this.#written.add(key);
  }

  async getClusterObject(
    apiVersion: string,
    kind: string,
    plural: string,
    name: string,
  ): Promise<Record<string, unknown> | undefined> {
    const cached = this.#o.watched(apiVersion, plural);
    if (cached) return cached(name);
    return this.#inner.getClusterObject(apiVersion, kind, plural, name);
  }
}
