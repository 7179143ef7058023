// Providers read ProviderConfigs and Secrets on every connect and observe.
// At thousands of resources per poll those reads would cost more than the
// cloud calls, so ProviderConfigs come from the watch cache and Secrets
// from a short-lived cache. A rotated password is therefore seen within
// the TTL plus one poll.
import type { Managed } from "../apis/aws/v1alpha1/common.ts";
import { PROVIDER_CONFIG_PLURAL } from "../apis/aws/v1alpha1/providerconfig.ts";
import type { KubeAccess, SecretData } from "./provider.ts";

export interface CachedKubeAccessOptions {
  /** Returns the watched ProviderConfig, or undefined when it does not exist. */
  providerConfig(name: string): Record<string, unknown> | undefined;
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
    if (plural === PROVIDER_CONFIG_PLURAL && apiVersion.startsWith("aws.setpoint.dev/")) {
      return this.#o.providerConfig(name);
    }
    return this.#inner.getClusterObject(apiVersion, kind, plural, name);
  }
}
