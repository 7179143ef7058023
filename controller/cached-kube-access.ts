// Providers read ProviderConfigs and Secrets on every connect and observe.
// At thousands of resources per poll those reads would cost more than the
// cloud calls, so ProviderConfigs come from the watch cache and Secrets
// from a short-lived cache. A rotated password is therefore seen within
// the TTL plus one poll.
import type { Managed } from "./api/index.ts";
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
  secretTtlMs?: number;
  now?: () => number;
}

export class CachedKubeAccess implements KubeAccess {
  readonly #inner: KubeAccess;
  readonly #o: CachedKubeAccessOptions;
  readonly #secrets = new Map<string, { at: number; value: Promise<SecretData | undefined> }>();

  constructor(inner: KubeAccess, options: CachedKubeAccessOptions) {
    this.#inner = inner;
    this.#o = options;
  }

  getSecret(namespace: string, name: string): Promise<SecretData | undefined> {
    const key = `${namespace}/${name}`;
    const now = (this.#o.now ?? Date.now)();
    const hit = this.#secrets.get(key);
    if (hit && now - hit.at < (this.#o.secretTtlMs ?? 5000)) return hit.value;
    const value = this.#inner.getSecret(namespace, name);
    // A failed read is not cached: the next caller tries again.
    value.catch(() => this.#secrets.delete(key));
    this.#secrets.set(key, { at: now, value });
    if (this.#secrets.size > 10_000) this.#secrets.delete(this.#secrets.keys().next().value as string);
    return value;
  }

  async applySecret(owner: Managed, name: string, data: Record<string, string>): Promise<void> {
    await this.#inner.applySecret(owner, name, data);
    this.#secrets.delete(`${owner.metadata.namespace}/${name}`);
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
