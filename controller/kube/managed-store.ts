// The reconciler's reads and writes of managed resources, with the concurrency rules the design asks
// for. Metadata and spec writes are JSON merge patches that carry metadata.resourceVersion, so a
// patch built from a stale copy fails with 409 (surfaced as ConflictError) instead of silently undoing
// someone else's change, such as a finalizer another controller just added. Status goes through the
// status subresource with a PUT of just the status (the apiserver keeps spec and metadata from the
// stored object), which replaces it whole, so a drift field that cleared really disappears; a 409
// there is retried here by re-reading the object and re-applying the same status, because the status
// is the reconciler's own observation and stays true whatever changed meanwhile. Status writes are
// counted for metrics and the benchmark (an idle cluster must not churn them).
import { isDeepStrictEqual } from "node:util";
import type { Managed, ManagedStatus } from "../api/index.ts";
import { ConflictError, type ManagedStore, type ResourceRef } from "../reconciler/ports.ts";
import {
  type KubeClient,
  type KubeTarget,
  kubeClientOf,
  MERGE_PATCH,
  objectPath,
  splitApiVersion,
} from "./client.ts";
import { describeError, httpStatus, isNotFound, wrapApiError } from "./errors.ts";
import { stripForCache } from "./reflector.ts";

export interface KubeManagedStoreOptions {
  /** Attempts for one status write when it keeps meeting conflicts. Default 5. */
  statusAttempts?: number;
  /** Timeout of each request. */
  requestTimeoutMs?: number;
}

export interface ManagedStoreStats {
  /** Status writes the apiserver accepted. */
  statusWrites: number;
  /** Status writes that met a 409 and were retried. */
  statusConflicts: number;
  /** Status writes skipped because a re-read after a conflict already carried the same status. */
  statusSkipped: number;
  /** patchMetadata / patchForProvider calls accepted. */
  patches: number;
}

/** A ResourceRef for a managed object, from its apiVersion, kind and metadata. */
export function refOf(mr: Managed, plural: string): ResourceRef {
  return {
    apiVersion: mr.apiVersion,
    kind: mr.kind,
    plural,
    namespace: mr.metadata.namespace ?? "",
    name: mr.metadata.name,
  };
}

/** kind → plural, for objects whose plural is not given: the lowercase kind plus "s" (true for our kinds). */
export function defaultPlural(kind: string): string {
  return `${kind.toLowerCase()}s`;
}

export class KubeManagedStore implements ManagedStore {
  readonly #client: KubeClient;
  readonly #attempts: number;
  readonly #timeoutMs: number | undefined;
  readonly #plural: (mr: Managed) => string;
  readonly stats: ManagedStoreStats = { statusWrites: 0, statusConflicts: 0, statusSkipped: 0, patches: 0 };

  /**
   * @param pluralOf maps an object to its resource plural; the default lowercases the kind and adds
   *   "s", which holds for SqlInstance and LoadBalancer.
   */
  constructor(
    kc: KubeTarget,
    opts: KubeManagedStoreOptions = {},
    pluralOf: (mr: Managed) => string = (mr) => defaultPlural(mr.kind),
  ) {
    this.#client = kubeClientOf(kc);
    this.#attempts = Math.max(1, opts.statusAttempts ?? 5);
    this.#timeoutMs = opts.requestTimeoutMs;
    this.#plural = pluralOf;
  }

  /** Status writes the apiserver accepted, for metrics. */
  get statusWrites(): number {
    return this.stats.statusWrites;
  }

  async get(ref: ResourceRef): Promise<Managed | undefined> {
    const { group, version } = splitApiVersion(ref.apiVersion);
    try {
      const obj = await this.#client.request<Managed>(
        "GET",
        objectPath({ group, version, plural: ref.plural }, ref.namespace, ref.name),
        this.#timeout(),
      );
      return stripForCache(obj);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw wrapApiError(err, `reading ${ref.kind} ${ref.namespace}/${ref.name}`);
    }
  }

  async patchMetadata(
    mr: Managed,
    patch: { annotations?: Record<string, string | null>; finalizers?: string[] },
  ): Promise<Managed> {
    const metadata: Record<string, unknown> = { resourceVersion: mr.metadata.resourceVersion };
    if (patch.annotations) metadata.annotations = patch.annotations;
    if (patch.finalizers) metadata.finalizers = patch.finalizers;
    return this.#patch(mr, { metadata });
  }

  /** Guarded by resourceVersion as well: a late-initialized value must not overwrite a user's fresh edit. */
  async patchForProvider(mr: Managed, values: Record<string, unknown>): Promise<Managed> {
    return this.#patch(mr, {
      metadata: { resourceVersion: mr.metadata.resourceVersion },
      spec: { forProvider: values },
    });
  }

  async writeStatus(mr: Managed, status: ManagedStatus<unknown>): Promise<Managed> {
    let current = mr;
    for (let attempt = 1; ; attempt++) {
      try {
        const updated = await this.#putStatus(current, status);
        this.stats.statusWrites++;
        return updated;
      } catch (err) {
        if (httpStatus(err) !== 409) throw wrapApiError(err, `writing the status of ${describe(mr)}`);
        this.stats.statusConflicts++;
        if (attempt >= this.#attempts) {
          throw new ConflictError(
            `status of ${describe(mr)} still conflicted after ${attempt} attempts: ${describeError(err)}`,
            { cause: err },
          );
        }
      }
      const fresh = await this.get(refOf(mr, this.#plural(mr)));
      if (fresh === undefined) {
        throw Object.assign(new Error(`${describe(mr)} is gone; its status cannot be written`), {
          code: 404,
        });
      }
      if (isDeepStrictEqual(fresh.status ?? {}, status)) {
        this.stats.statusSkipped++;
        return fresh;
      }
      current = fresh;
    }
  }

  async #putStatus(mr: Managed, status: ManagedStatus<unknown>): Promise<Managed> {
    const { group, version } = splitApiVersion(mr.apiVersion);
    // Only identity, resourceVersion and status: on the status subresource the apiserver takes spec and
    // the rest of metadata from the stored object, so sending them would only cost bandwidth.
    const body = {
      apiVersion: mr.apiVersion,
      kind: mr.kind,
      metadata: {
        name: mr.metadata.name,
        namespace: mr.metadata.namespace,
        resourceVersion: mr.metadata.resourceVersion,
      },
      status,
    };
    const updated = await this.#client.request<Managed>(
      "PUT",
      objectPath(
        { group, version, plural: this.#plural(mr) },
        mr.metadata.namespace ?? "",
        mr.metadata.name,
        "status",
      ),
      { body, ...this.#timeout() },
    );
    return stripForCache(updated);
  }

  #timeout(): { timeoutMs?: number } {
    return this.#timeoutMs !== undefined ? { timeoutMs: this.#timeoutMs } : {};
  }

  async #patch(mr: Managed, body: Record<string, unknown>): Promise<Managed> {
    const { group, version } = splitApiVersion(mr.apiVersion);
    try {
      const updated = await this.#client.request<Managed>(
        "PATCH",
        objectPath(
          { group, version, plural: this.#plural(mr) },
          mr.metadata.namespace ?? "",
          mr.metadata.name,
        ),
        { body, contentType: MERGE_PATCH, ...this.#timeout() },
      );
      this.stats.patches++;
      return stripForCache(updated);
    } catch (err) {
      if (httpStatus(err) === 409) {
        throw new ConflictError(`${describe(mr)} changed since it was read: ${describeError(err)}`, {
          cause: err,
        });
      }
      throw wrapApiError(err, `patching ${describe(mr)}`);
    }
  }
}

function describe(mr: Managed): string {
  return `${mr.kind} ${mr.metadata.namespace ?? ""}/${mr.metadata.name}`;
}
