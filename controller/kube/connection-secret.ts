// Connection details (endpoint, port, username, password...) reach users through a Secret next to the
// managed resource, named by spec.writeConnectionSecretToRef. The reconciler hands over the details on
// every successful reconcile, i.e. on every poll; writing the Secret each time would cost 10,000 writes
// per poll interval at scale, so this writer remembers a digest of what it last wrote per resource uid,
// with the Secret's resourceVersion, and skips unchanged data. The first write for a uid in this process
// checks the live Secret instead of trusting an empty cache, so a restart does not rewrite every Secret
// either. With a SecretVersionSource (a metadata-only watch) a Secret someone changed or deleted is seen
// at the next poll and only then read again; without one, a remembered digest is trusted for
// verifyAfterMs. The Secret is owned by the resource (controller ownerReference), so it disappears with it.
import type { Managed } from "../api/index.ts";
import type { ConnectionSecretWriter } from "../reconciler/ports.ts";
import { type KubeClient, type KubeTarget, kubeClientOf } from "./client.ts";
import { newerVersion, type SecretVersionSource } from "./secret-versions.ts";
import { dataHash, readSecret, secretMatches, upsertOwnedSecret } from "./secrets.ts";

export const CONNECTION_SECRET_TYPE = "connection.setpoint.dev/v1alpha1";

export interface ConnectionSecretStats {
  writes: number;
  skipped: number;
}

interface Remembered {
  hash: string;
  at: number;
  /** The Secret's resourceVersion after our write or check. */
  version: string;
}

export class KubeConnectionSecretWriter implements ConnectionSecretWriter {
  readonly #client: KubeClient;
  /** uid → digest of the last data known to be in the Secret, and when it was checked. Bounded: oldest go first. */
  readonly #written = new Map<string, Remembered>();
  readonly #maxEntries: number;
  /** Without a version source: how long a remembered digest is trusted before the live Secret is read again. */
  readonly #verifyAfterMs: number;
  readonly #versions: SecretVersionSource | undefined;
  readonly #now: () => number;
  readonly stats: ConnectionSecretStats = { writes: 0, skipped: 0 };

  constructor(
    kc: KubeTarget,
    opts: {
      maxEntries?: number;
      verifyAfterMs?: number;
      now?: () => number;
      secretVersions?: SecretVersionSource;
    } = {},
  ) {
    this.#client = kubeClientOf(kc);
    this.#maxEntries = opts.maxEntries ?? 50_000;
    this.#verifyAfterMs = opts.verifyAfterMs ?? 10 * 60_000;
    this.#versions = opts.secretVersions;
    this.#now = opts.now ?? Date.now;
  }

  async write(mr: Managed, details: Record<string, string>): Promise<void> {
    const name = mr.spec.writeConnectionSecretToRef?.name;
    const uid = mr.metadata.uid;
    if (!name || !uid) return;
    const namespace = mr.metadata.namespace ?? "";
    const hash = dataHash(name, CONNECTION_SECRET_TYPE, details);
    const known = this.#trusted(this.#written.get(uid), namespace, name);
    if (known === hash) {
      this.stats.skipped++;
      return;
    }
    let live: Awaited<ReturnType<typeof readSecret>> | null = null;
    if (known === undefined) {
      // First time this process sees the resource, or the Secret changed: trust the cluster, not the cache.
      live = await readSecret(this.#client, namespace, name);
      if (live && secretMatches(live, mr, CONNECTION_SECRET_TYPE, details)) {
        this.#remember(uid, hash, live.metadata?.resourceVersion ?? "");
        this.stats.skipped++;
        return;
      }
    }
    const { wrote, secret } = await upsertOwnedSecret(
      this.#client,
      mr,
      name,
      CONNECTION_SECRET_TYPE,
      details,
      {
        // null: we know it is absent; undefined: read it (the cache said something else was written).
        live: known === undefined ? (live ?? null) : undefined,
      },
    );
    if (wrote) this.stats.writes++;
    else this.stats.skipped++;
    this.#remember(uid, hash, secret.metadata?.resourceVersion ?? "");
  }

  /** Drops what is remembered for a resource, e.g. when it is deleted. */
  forget(uid: string): void {
    this.#written.delete(uid);
  }

  /** The remembered digest if it still describes the Secret, else undefined (read the live one). */
  #trusted(entry: Remembered | undefined, namespace: string, name: string): string | undefined {
    if (!entry) return undefined;
    if (this.#versions?.covers(namespace)) {
      const live = this.#versions.versionOf(namespace, name);
      // Gone, or changed by someone else since our write: look again. A watch that is behind our own
      // write reports an older version; only a different, newer one counts.
      if (live === undefined) return this.#now() - entry.at < 60_000 ? entry.hash : undefined;
      return newerVersion(live, entry.version) ? undefined : entry.hash;
    }
    return this.#now() - entry.at < this.#verifyAfterMs ? entry.hash : undefined;
  }

  #remember(uid: string, hash: string, version: string): void {
    this.#written.delete(uid);
    this.#written.set(uid, { hash, at: this.#now(), version });
    if (this.#written.size > this.#maxEntries) {
      const oldest = this.#written.keys().next().value;
      if (oldest !== undefined) this.#written.delete(oldest);
    }
  }
}
