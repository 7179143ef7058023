// A list+watch cache for one resource type, the engine's only view of what exists in the cluster.
// client-node 2.x ships an informer, but it cannot be made to do what a controller running for weeks
// needs (and importing it costs about 80 MB): it keeps whole objects (managedFields included), has no watchdog for a connection that
// silently stops delivering, and its relist does not tell handlers what disappeared while it was
// away. This reflector follows client-go's contract instead: a paged list, then a watch from the
// list's resourceVersion with bookmarks; a 410 Gone (as an ERROR event or an HTTP status) triggers a
// relist whose result is diffed against the cache, so handlers see synthetic adds, updates and deletes
// and never a gap; other failures reconnect from the last seen resourceVersion with exponential
// backoff and jitter. Every watch asks the server to end it after a randomised timeoutSeconds, and a
// client-side watchdog aborts and re-opens a watch that stays silent for longer than expected, which is
// how a dead connection that never reports an error (a hung apiserver, a dropped NAT entry) is noticed.
// The cache holds transformed objects (cache-transform.ts: managedFields dropped, strings shared) to keep
// 10,000 objects small.
// Over 400 lines on purpose: the list, the watch, the relist diff and the watchdog share one state
// machine (resourceVersion, the store, the handlers), and split apart they would each need all of it.
import type { Clock, Timer } from "../clock.ts";
import { realClock } from "../clock.ts";
import { Backoff, type BackoffOptions } from "./backoff.ts";
import { compactForCache } from "./cache-transform.ts";
import {
  KubeListerWatcher,
  type KubeListerWatcherOptions,
  type KubeTarget,
  type ResourceType,
} from "./client.ts";
import { describeError, isGone, isStatusGone } from "./errors.ts";
import { type KubeLogger, silentLogger } from "./log.ts";

export { compactForCache, stripForCache } from "./cache-transform.ts";

/** The parts of an object the reflector reads. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    annotations?: Record<string, string>;
    managedFields?: unknown;
  };
}

export interface ListPage {
  items: KubeObject[];
  /** The list's resourceVersion: where the following watch starts. */
  resourceVersion: string;
  /** Set when more pages follow. */
  continue?: string;
}

export interface WatchHandle {
  abort(): void;
}

/**
 * The transport a Reflector drives; client.ts's KubeListerWatcher implements it, tests use fakes. watch() reports every decoded event through onEvent and calls onDone exactly once when the
 * stream ends: with undefined for a clean close, with an error otherwise (an HTTP status, if any, must
 * be readable through errors.ts's httpStatus).
 */
export interface ListerWatcher {
  list(opts: { limit: number; continue?: string; signal?: AbortSignal }): Promise<ListPage>;
  watch(
    opts: { resourceVersion: string; timeoutSeconds: number },
    onEvent: (type: string, object: unknown) => void,
    onDone: (err?: unknown) => void,
  ): Promise<WatchHandle>;
}

export interface ReflectorHandlers<T> {
  onAdd?(obj: T): void;
  onUpdate?(oldObj: T, newObj: T): void;
  onDelete?(obj: T): void;
}

export type Delta<T> =
  | { type: "add"; obj: T }
  | { type: "update"; old: T; obj: T }
  | { type: "delete"; obj: T };

/** "namespace/name" for namespaced objects, "name" for cluster-scoped ones (client-go's MetaNamespaceKeyFunc). */
export function objectKey(obj: KubeObject): string | undefined {
  const name = obj.metadata?.name;
  if (!name) return undefined;
  const ns = obj.metadata?.namespace;
  return ns ? `${ns}/${name}` : name;
}

/**
 * Applies a relist to the cache one page at a time, so a 10,000-object relist never holds a second
 * full copy of the cache. page() folds a page into the store and returns the deltas it implies;
 * finish() removes what the list no longer contains. An object whose uid changed was deleted and
 * re-created under the same name while we were not watching: that is a delete and an add, not an update.
 */
export class RelistDiff<T extends KubeObject> {
  readonly #store: Map<string, T>;
  readonly #seen = new Set<string>();

  constructor(store: Map<string, T>) {
    this.#store = store;
  }

  page(items: Iterable<T>): Delta<T>[] {
    const deltas: Delta<T>[] = [];
    for (const obj of items) {
      const key = objectKey(obj);
      if (key === undefined) continue;
      this.#seen.add(key);
      const old = this.#store.get(key);
      this.#store.set(key, obj);
      if (old === undefined) deltas.push({ type: "add", obj });
      else if (old.metadata?.uid !== obj.metadata?.uid) {
        deltas.push({ type: "delete", obj: old }, { type: "add", obj });
      } else if (old.metadata?.resourceVersion !== obj.metadata?.resourceVersion) {
        deltas.push({ type: "update", old, obj });
      }
    }
    return deltas;
  }

  finish(): Delta<T>[] {
    const deltas: Delta<T>[] = [];
    for (const [key, obj] of this.#store) {
      if (this.#seen.has(key)) continue;
      this.#store.delete(key);
      deltas.push({ type: "delete", obj });
    }
    return deltas;
  }
}

/** The server-side timeout for one watch: uniform in [min, 2*min), as client-go does, so watches do not end together. */
export function watchTimeoutSeconds(minSeconds: number, rand: number): number {
  return Math.floor(minSeconds * (1 + rand));
}

/** Why a watch session ended; decides what the loop does next. */
export type WatchEnd =
  | { kind: "closed" } // the server ended the stream (its timeoutSeconds) or the connection closed cleanly
  | { kind: "gone" } // 410: the resourceVersion is too old, relist
  | { kind: "error"; err: unknown } // anything else: reconnect with backoff
  | { kind: "watchdog" } // nothing arrived for longer than expected: assume the connection is dead
  | { kind: "stopped" };

export interface ReflectorStats {
  /** Completed lists, the first one included. */
  lists: number;
  /** Watch requests started. */
  watches: number;
  /** 410 answers (list continue or watch) that forced a relist. */
  gone: number;
  /** Watches the client-side watchdog had to abort. */
  watchdogAborts: number;
  /** Failed lists and watches. */
  errors: number;
}

/** Where a Reflector reads from: a resource type on a cluster, or any ListerWatcher (tests use fakes). */
export type ReflectorSource =
  | { listerWatcher: ListerWatcher }
  | ({ kubeConfig: KubeTarget } & ResourceType &
      Pick<KubeListerWatcherOptions, "labelSelector" | "fieldSelector" | "metadataOnly">);

export type ReflectorOptions<T extends KubeObject> = ReflectorSource & ReflectorTuning<T>;

export interface ReflectorTuning<T extends KubeObject> {
  /** Used in logs; defaults to "plural.group". */
  name?: string;
  handlers?: ReflectorHandlers<T>;
  /** Applied to every object before it is cached and handed to handlers. Defaults to compactForCache. */
  transform?: (obj: T) => T;
  /** Objects per list page. */
  pageSize?: number;
  /** The server ends each watch after a random timeout in [min, 2*min) seconds. Default 300. */
  minWatchTimeoutSeconds?: number;
  /**
   * How long a watch may stay silent (no event, no bookmark) before the client assumes the connection
   * is dead and re-opens it. The apiserver cannot be relied on for keep-alives: a v1.32 apiserver sent
   * no bookmark at all on a quiet custom resource type in minutes of watching. So a quiet but healthy
   * watch is also re-opened every watchdogMs; that costs one request and no relist (it resumes from the
   * last resourceVersion), while a dead connection missed until the server-side timeout would cost up
   * to ten minutes of changes. Default 120s.
   */
  watchdogMs?: number;
  backoff?: Partial<BackoffOptions>;
  clock?: Clock;
  random?: () => number;
  log?: KubeLogger;
}

export const DEFAULT_PAGE_SIZE = 500;
export const DEFAULT_MIN_WATCH_TIMEOUT_SECONDS = 300;
export const DEFAULT_WATCHDOG_MS = 120_000;
/** The stream's own inactivity timer is set this far beyond ours, so ours fires first. */
const WATCHDOG_BACKSTOP_MARGIN_MS = 5_000;
/** A watch that ends sooner than this without delivering anything counts as a failure (no hot reconnect loop). */
const SHORT_WATCH_MS = 1_000;

export class Reflector<T extends KubeObject = KubeObject> {
  readonly #lw: ListerWatcher;
  readonly #name: string;
  readonly #handlers: ReflectorHandlers<T>[] = [];
  readonly #transform: (obj: T) => T;
  readonly #pageSize: number;
  readonly #minWatchTimeoutSeconds: number;
  readonly #watchdogMs: number;
  readonly #backoff: Backoff;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #log: KubeLogger;

  readonly #store = new Map<string, T>();
  #resourceVersion = "";
  #synced = false;
  #stopped = false;
  #running: Promise<void> | undefined;
  readonly #stop = new AbortController();
  #currentWatch: { handle?: WatchHandle; finish: (end: WatchEnd) => void } | undefined;
  readonly #syncedPromise: Promise<void>;
  #resolveSynced!: () => void;
  #rejectSynced!: (err: unknown) => void;

  readonly stats: ReflectorStats = { lists: 0, watches: 0, gone: 0, watchdogAborts: 0, errors: 0 };

  constructor(opts: ReflectorOptions<T>) {
    this.#watchdogMs = opts.watchdogMs ?? DEFAULT_WATCHDOG_MS;
    if ("listerWatcher" in opts) {
      this.#lw = opts.listerWatcher;
      this.#name = opts.name ?? "reflector";
    } else {
      const { kubeConfig, group, version, plural, namespace, labelSelector, fieldSelector, metadataOnly } =
        opts;
      this.#lw = new KubeListerWatcher(
        kubeConfig,
        { group, version, plural, ...(namespace ? { namespace } : {}) },
        {
          ...(labelSelector ? { labelSelector } : {}),
          ...(fieldSelector ? { fieldSelector } : {}),
          ...(metadataOnly ? { metadataOnly } : {}),
          watchInactivityMs: this.#watchdogMs + WATCHDOG_BACKSTOP_MARGIN_MS,
        },
      );
      this.#name = opts.name ?? (group ? `${plural}.${group}` : plural);
    }
    if (opts.handlers) this.#handlers.push(opts.handlers);
    this.#transform = opts.transform ?? compactForCache;
    this.#pageSize = opts.pageSize ?? DEFAULT_PAGE_SIZE;
    this.#minWatchTimeoutSeconds = opts.minWatchTimeoutSeconds ?? DEFAULT_MIN_WATCH_TIMEOUT_SECONDS;
    this.#random = opts.random ?? Math.random;
    this.#backoff = new Backoff(opts.backoff, this.#random);
    this.#clock = opts.clock ?? realClock;
    this.#log = opts.log ?? silentLogger;
    this.#syncedPromise = new Promise<void>((resolve, reject) => {
      this.#resolveSynced = resolve;
      this.#rejectSynced = reject;
    });
    // Nobody may be waiting for the first sync when stop() rejects it.
    this.#syncedPromise.catch(() => {});
  }

  /** Registers handlers; returns a function that unregisters them. Objects already cached are not replayed. */
  addHandlers(handlers: ReflectorHandlers<T>): () => void {
    this.#handlers.push(handlers);
    return () => {
      const i = this.#handlers.indexOf(handlers);
      if (i >= 0) this.#handlers.splice(i, 1);
    };
  }

  /**
   * Starts listing and watching in the background; resolves once the first list is in the cache
   * (the same promise as waitForSync()). Calling it again only waits.
   */
  start(): Promise<void> {
    if (this.#running === undefined && !this.#stopped) this.#running = this.#run();
    return this.#syncedPromise;
  }

  /** True once the first full list has been applied. */
  hasSynced(): boolean {
    return this.#synced;
  }

  /** Resolves when the first full list has been applied; rejects if the reflector is stopped first. */
  waitForSync(): Promise<void> {
    return this.#syncedPromise;
  }

  get(key: string): T | undefined {
    return this.#store.get(key);
  }

  list(): T[] {
    return [...this.#store.values()];
  }

  keys(): IterableIterator<string> {
    return this.#store.keys();
  }

  get size(): number {
    return this.#store.size;
  }

  /** The last resourceVersion seen (list, event or bookmark). */
  get resourceVersion(): string {
    return this.#resourceVersion;
  }

  /** Stops watching and waits for the loop to wind down. The cache stays readable. */
  async stop(): Promise<void> {
    if (this.#stopped) return this.#running;
    this.#stopped = true;
    this.#stop.abort(new Error("reflector stopped"));
    this.#currentWatch?.finish({ kind: "stopped" });
    if (!this.#synced)
      this.#rejectSynced(new Error(`${this.#name}: stopped before the first list completed`));
    await this.#running;
  }

  async #run(): Promise<void> {
    let needList = true;
    while (!this.#stopped) {
      if (needList) {
        try {
          await this.#relist();
          needList = false;
          this.#backoff.reset();
        } catch (err) {
          if (this.#stopped) break;
          this.stats.errors++;
          if (isGone(err)) {
            // An expired continue token: start the list over; the store is diffed again at the end.
            this.stats.gone++;
            this.#log.info({ reflector: this.#name }, "list continue token expired, listing again");
            continue;
          }
          const delay = this.#backoff.next();
          this.#log.warn({ reflector: this.#name, err: describeError(err), retryInMs: delay }, "list failed");
          await this.#sleep(delay);
          continue;
        }
      }

      const started = this.#clock.now();
      const { end, delivered } = await this.#watchOnce();
      const lasted = this.#clock.now() - started;
      switch (end.kind) {
        case "stopped":
          break;
        case "gone":
          this.stats.gone++;
          this.#log.info(
            { reflector: this.#name, resourceVersion: this.#resourceVersion },
            "watch resourceVersion expired (410), relisting",
          );
          needList = true;
          break;
        case "watchdog":
          this.stats.watchdogAborts++;
          // Debug, not warn: on a quiet type this is routine (see watchdogMs).
          this.#log.debug(
            { reflector: this.#name, silentForMs: this.#watchdogMs },
            "watch silent for longer than expected, reopening",
          );
          // The silence already spaced attempts out; reconnect at once.
          break;
        case "closed":
          if (delivered === 0 && lasted < SHORT_WATCH_MS) {
            // A stream that closes as soon as it opens is a failure in disguise: back off.
            await this.#sleep(this.#backoff.next());
          } else {
            this.#backoff.reset();
          }
          break;
        case "error": {
          this.stats.errors++;
          if (delivered > 0) this.#backoff.reset();
          const delay = this.#backoff.next();
          this.#log.warn(
            { reflector: this.#name, err: describeError(end.err), retryInMs: delay },
            "watch failed, reconnecting",
          );
          await this.#sleep(delay);
          break;
        }
      }
    }
  }

  async #relist(): Promise<void> {
    const diff = new RelistDiff(this.#store);
    let cont: string | undefined;
    let resourceVersion = "";
    do {
      const page = await this.#lw.list({ limit: this.#pageSize, continue: cont, signal: this.#stop.signal });
      if (this.#stopped) return;
      resourceVersion = page.resourceVersion;
      cont = page.continue || undefined;
      // The wire objects are whatever the server holds for this type; T is the caller's view of them.
      // A lambda, not map(this.#transform): map would pass the index as the transform's second argument.
      this.#emit(diff.page((page.items as T[]).map((item) => this.#transform(item))));
    } while (cont !== undefined);
    this.#emit(diff.finish());
    this.#resourceVersion = resourceVersion;
    this.stats.lists++;
    if (!this.#synced) {
      this.#synced = true;
      this.#resolveSynced();
    }
    this.#log.debug({ reflector: this.#name, objects: this.#store.size, resourceVersion }, "listed");
  }

  /** One watch request, from open to end. Resolves with why it ended and how many events it delivered. */
  #watchOnce(): Promise<{ end: WatchEnd; delivered: number }> {
    return new Promise((resolve) => {
      let delivered = 0;
      let done = false;
      let watchdog: Timer | undefined;
      const session: { handle?: WatchHandle; finish: (end: WatchEnd) => void } = {
        finish: (end) => {
          if (done) return;
          done = true;
          watchdog?.cancel();
          if (this.#currentWatch === session) this.#currentWatch = undefined;
          // Our own abort makes the transport report an error through onDone; `done` silences it.
          session.handle?.abort();
          resolve({ end, delivered });
        },
      };
      this.#currentWatch = session;
      if (this.#stopped) {
        session.finish({ kind: "stopped" });
        return;
      }
      const armWatchdog = () => {
        watchdog?.cancel();
        watchdog = this.#clock.setTimeout(() => session.finish({ kind: "watchdog" }), this.#watchdogMs);
      };

      const onEvent = (type: string, object: unknown) => {
        if (done) return;
        delivered++;
        armWatchdog();
        if (type === "ERROR") {
          session.finish(
            isStatusGone(object)
              ? { kind: "gone" }
              : { kind: "error", err: { body: object, ...asStatusCode(object) } },
          );
          return;
        }
        this.#applyWatchEvent(type, object);
      };
      const onDone = (err?: unknown) => {
        if (done) return;
        if (err === undefined || err === null) session.finish({ kind: "closed" });
        else if (isGone(err)) session.finish({ kind: "gone" });
        // The stream's own inactivity timer (the backstop behind ours) fired: the same diagnosis.
        else if ((err as { name?: unknown }).name === "TimeoutError") session.finish({ kind: "watchdog" });
        else session.finish({ kind: "error", err });
      };

      this.stats.watches++;
      armWatchdog();
      const timeoutSeconds = watchTimeoutSeconds(this.#minWatchTimeoutSeconds, this.#random());
      this.#lw.watch({ resourceVersion: this.#resourceVersion, timeoutSeconds }, onEvent, onDone).then(
        (handle) => {
          session.handle = handle;
          // The session may have ended (watchdog, stop) while the request was being opened.
          if (done) handle.abort();
        },
        (err) => onDone(err ?? new Error("watch failed")),
      );
    });
  }

  #applyWatchEvent(type: string, object: unknown): void {
    if (typeof object !== "object" || object === null) return;
    const raw = object as KubeObject;
    const rv = raw.metadata?.resourceVersion;
    if (type === "BOOKMARK") {
      if (rv) this.#resourceVersion = rv;
      return;
    }
    const obj = this.#transform(raw as T);
    const key = objectKey(obj);
    if (key === undefined) return;
    if (rv) this.#resourceVersion = rv;
    const old = this.#store.get(key);
    switch (type) {
      case "ADDED":
      case "MODIFIED":
        this.#store.set(key, obj);
        if (old === undefined) this.#emit([{ type: "add", obj }]);
        else if (old.metadata?.uid !== obj.metadata?.uid) {
          this.#emit([
            { type: "delete", obj: old },
            { type: "add", obj },
          ]);
        } else this.#emit([{ type: "update", old, obj }]);
        break;
      case "DELETED":
        this.#store.delete(key);
        this.#emit([{ type: "delete", obj }]);
        break;
      default:
        this.#log.debug({ reflector: this.#name, type }, "ignoring unknown watch event type");
    }
  }

  #emit(deltas: Delta<T>[]): void {
    for (const d of deltas) {
      for (const h of this.#handlers) {
        try {
          if (d.type === "add") h.onAdd?.(d.obj);
          else if (d.type === "update") h.onUpdate?.(d.old, d.obj);
          else h.onDelete?.(d.obj);
        } catch (err) {
          // A failing handler must not stop the cache from following the cluster.
          this.#log.error({ reflector: this.#name, err: describeError(err), delta: d.type }, "handler threw");
        }
      }
    }
  }

  async #sleep(ms: number): Promise<void> {
    try {
      await this.#clock.sleep(ms, this.#stop.signal);
    } catch {
      // stopped
    }
  }
}

function asStatusCode(status: unknown): { code?: number } {
  const code = (status as { code?: unknown } | null)?.code;
  return typeof code === "number" ? { code } : {};
}
