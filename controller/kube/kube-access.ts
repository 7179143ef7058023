// What providers may read and write in Kubernetes (the KubeAccess port of controller/provider.ts).
// Providers read credentials and password Secrets, read their ProviderConfig, and write generated
// Secrets (a generated master password) owned by the resource so they are garbage-collected with it.
// Keeping this behind a three-method interface keeps providers free of any Kubernetes client and lets
// their tests use a map. Secret values are decoded here and never logged.
import type { Managed } from "../api/index.ts";
import type { KubeAccess, SecretData } from "../provider.ts";
import { apiVersionPath, type KubeClient, type KubeTarget, kubeClientOf, splitApiVersion } from "./client.ts";
import { isNotFound, wrapApiError } from "./errors.ts";
import { decodeData, readSecret, upsertOwnedSecret } from "./secrets.ts";

export class KubeAccessImpl implements KubeAccess {
  readonly #client: KubeClient;

  constructor(kc: KubeTarget) {
    this.#client = kubeClientOf(kc);
  }

  async getSecret(namespace: string, name: string): Promise<SecretData | undefined> {
    const secret = await readSecret(this.#client, namespace, name);
    if (!secret) return undefined;
    return { resourceVersion: secret.metadata?.resourceVersion ?? "", data: decodeData(secret.data) };
  }

  async applySecret(owner: Managed, name: string, data: Record<string, string>): Promise<void> {
    await upsertOwnedSecret(this.#client, owner, name, "Opaque", data);
  }

  /** `kind` is not needed to build the URL (the plural is); it is part of the port for implementations that index by kind. */
  async getClusterObject(
    apiVersion: string,
    _kind: string,
    plural: string,
    name: string,
  ): Promise<Record<string, unknown> | undefined> {
    const { group, version } = splitApiVersion(apiVersion);
    try {
      return await this.#client.getJson<Record<string, unknown>>(
        `${apiVersionPath(group, version)}/${plural}/${encodeURIComponent(name)}`,
      );
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw wrapApiError(err, `reading ${plural}.${group || "core"} ${name}`);
    }
  }
}
