// Connection details (endpoint, port, username, password...) reach users through a Secret next to the
// managed resource, named by spec.writeConnectionSecretToRef. The reconciler hands over the details on
// every successful reconcile, i.e. on every poll; writing the Secret each time would cost 10,000 writes
// per poll interval at scale, so this writer remembers a digest of what it last wrote per resource uid
// and skips unchanged data. The first write for a uid in this process checks the live Secret instead
// of trusting an empty cache, so a restart does not rewrite every Secret either. The Secret is owned by
// the resource (controller ownerReference), so it disappears with it.
import { CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import type { Managed } from "../api/index.ts";
import type { ConnectionSecretWriter } from "../reconciler/ports.ts";
import { dataHash, readSecret, secretMatches, upsertOwnedSecret } from "./secrets.ts";

export const CONNECTION_SECRET_TYPE = "connection.setpoint.dev/v1alpha1";

export interface ConnectionSecretStats {
  writes: number;
  skipped: number;
}

export class KubeConnectionSecretWriter implements ConnectionSecretWriter {
  readonly #core: CoreV1Api;
  /** uid → digest of the last data known to be in the Secret, and when it was checked. Bounded: oldest go first. */
  readonly #written = new Map<string, { hash: string; at: number }>();
  readonly #maxEntries: number;
  /**
   * How long a remembered digest is trusted. Nothing watches Secrets, so a
   * connection Secret someone deleted is only noticed when the digest
   * expires and the live Secret is read again.
   */
  readonly #verifyAfterMs: number;
  readonly #now: () => number;
  readonly stats: ConnectionSecretStats = { writes: 0, skipped: 0 };

  constructor(
    kc: KubeConfig,
    opts: { maxEntries?: number; verifyAfterMs?: number; now?: () => number } = {},
  ) {
    this.#core = kc.makeApiClient(CoreV1Api);
    this.#maxEntries = opts.maxEntries ?? 50_000;
    this.#verifyAfterMs = opts.verifyAfterMs ?? 10 * 60_000;
    this.#now = opts.now ?? Date.now;
  }

  async write(mr: Managed, details: Record<string, string>): Promise<void> {
    const name = mr.spec.writeConnectionSecretToRef?.name;
    const uid = mr.metadata.uid;
    if (!name || !uid) return;
    const hash = dataHash(name, CONNECTION_SECRET_TYPE, details);
    const entry = this.#written.get(uid);
    const known = entry && this.#now() - entry.at < this.#verifyAfterMs ? entry.hash : undefined;
    if (known === hash) {
      this.stats.skipped++;
      return;
    }
    let live: Awaited<ReturnType<typeof readSecret>> | null = null;
    if (known === undefined) {
      // First time this process sees the resource, or the digest expired: trust the cluster, not the cache.
      live = await readSecret(this.#core, mr.metadata.namespace ?? "", name);
      if (live && secretMatches(live, mr, CONNECTION_SECRET_TYPE, details)) {
        this.#remember(uid, hash);
        this.stats.skipped++;
        return;
      }
    }
    const wrote = await upsertOwnedSecret(this.#core, mr, name, CONNECTION_SECRET_TYPE, details, {
      // null: we know it is absent; undefined: read it (the cache said something else was written).
      live: known === undefined ? (live ?? null) : undefined,
    });
    if (wrote) this.stats.writes++;
    else this.stats.skipped++;
    this.#remember(uid, hash);
  }

  /** Drops what is remembered for a resource, e.g. when it is deleted. */
  forget(uid: string): void {
    this.#written.delete(uid);
  }

  #remember(uid: string, hash: string): void {
    this.#written.delete(uid);
    this.#written.set(uid, { hash, at: this.#now() });
    if (this.#written.size > this.#maxEntries) {
      const oldest = this.#written.keys().next().value;
      if (oldest !== undefined) this.#written.delete(oldest);
    }
  }
}
