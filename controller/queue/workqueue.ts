// The engine's keyed work queue, after client-go's workqueue (de-duplicated,
// one worker per key, delayed and rate-limited adds), with a run loop that
// owns the workers so callers cannot get the bookkeeping wrong.
//
// A key is in at most one of these places at a time, plus possibly one
// pending delayed add:
//
//   ready (queued, waiting for a worker) ──hand out──▶ processing
//        ▲                                                  │
//        └──── re-queued once when it ends, if it was ──────┘
//              added again (marked dirty) while it ran
//
// Rules:
// - add() de-duplicates: a key already waiting to run is not queued twice,
//   however many times it is added; a key added while it runs runs exactly
//   once more after the current run ends.
// - A key has at most one pending delayed add, the soonest asked for.
// - A run supersedes delays: when a key is handed to a worker, its pending
//   delayed add is dropped, and addAfter() on a key that is already waiting
//   to run is a no-op. The run is what the delay was waiting for, and every
//   run ends with the worker choosing the key's next time itself (addAfter
//   for the next poll, addRateLimited after an error, or nothing). So an
//   immediate add() wins over a pending poll, and that poll does not cause a
//   second, redundant run later; a delay asked for during a run (the normal
//   "poll again in 60s") is kept.
import { type Clock, realClock, type Timer } from "../clock.ts";
import { type BackoffOptions, backoffDelay, DEFAULT_BACKOFF } from "./backoff.ts";
import { TokenBucket } from "./token-bucket.ts";

/** Metric hooks, so the caller can wire prom-client without this module depending on it. Hooks must be cheap. */
export interface WorkQueueObserver<K extends string> {
  /** The number of keys ready and waiting for a worker changed. */
  depthChanged?(depth: number): void;
  /** A key was accepted (not a duplicate of one already waiting). */
  added?(key: K): void;
  /** A key waited this long between being queued and being handed to a worker. */
  queueLatency?(key: K, ms: number): void;
  /** A worker finished with a key, successfully or not, after this long. */
  workDuration?(key: K, ms: number): void;
  /** addRateLimited() scheduled retry number `failures` for a key, `delayMs` from now. */
  retried?(key: K, failures: number, delayMs: number): void;
  /** The worker rejected; the queue retries the key with backoff. */
  workerFailed?(key: K, error: unknown): void;
}

export interface WorkQueueOptions<K extends string> {
  /** Most keys processed at once. */
  concurrency: number;
  /** Global limit on how fast keys are handed to workers; none when absent. */
  rateLimit?: { qps: number; burst: number };
  /** Per-key retry backoff for addRateLimited(); defaults to 500ms doubling up to 5m. */
  backoff?: Partial<BackoffOptions>;
  clock?: Clock;
  /** Source of jitter in [0, 1); tests pass a seeded one. */
  random?: () => number;
  observer?: WorkQueueObserver<K>;
}

/**
 * Processes one key. It decides what happens next by calling addAfter(),
 * addRateLimited() or forget() on the queue. A rejection is treated as a
 * transient error: the queue reports it and calls addRateLimited(key).
 */
export type Worker<K extends string> = (key: K) => Promise<void>;

export class WorkQueue<K extends string> {
  readonly concurrency: number;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #backoff: BackoffOptions;
  readonly #observer: WorkQueueObserver<K> | undefined;
  readonly #limiter: TokenBucket | undefined;

  /** Keys waiting for a worker, in order. */
  readonly #ready = new Fifo<K>();
  readonly #queuedAt = new Map<K, number>();
  /** Keys that need a run: everything in #ready, plus keys added again while processing. */
  readonly #dirty = new Set<K>();
  readonly #processing = new Set<K>();
  readonly #delayed = new Map<K, { due: number; timer: Timer }>();
  /** Consecutive addRateLimited() calls per key since its last forget(). */
  readonly #failures = new Map<K, number>();

  #worker: Worker<K> | undefined;
  #shuttingDown = false;
  #pumping = false;
  #tokenHeld = false;
  #awaitingToken = false;
  readonly #stop = new AbortController();
  readonly #drained = Promise.withResolvers<void>();

  constructor(options: WorkQueueOptions<K>) {
    if (!Number.isInteger(options.concurrency) || options.concurrency < 1) {
      throw new RangeError(`work queue concurrency must be a whole number >= 1, got ${options.concurrency}`);
    }
    this.concurrency = options.concurrency;
    this.#clock = options.clock ?? realClock;
    this.#random = options.random ?? Math.random;
    this.#backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    this.#observer = options.observer;
    this.#limiter = options.rateLimit
      ? new TokenBucket({
          ratePerSecond: options.rateLimit.qps,
          burst: options.rateLimit.burst,
          clock: this.#clock,
        })
      : undefined;
  }

  /** Queues a key to run as soon as a worker is free. Ignored after shutdown. */
  add(key: K): void {
    if (this.#shuttingDown || this.#dirty.has(key)) return;
    this.#dirty.add(key);
    this.#notify((o) => o.added?.(key));
    // A key that is running goes back in the queue when its run ends (#finish).
    if (!this.#processing.has(key)) this.#enqueue(key);
  }

  /**
   * Queues a key after `delayMs`. If the key already has a sooner delayed add,
   * or is already waiting to run, this is a no-op (see the rules at the top).
   */
  addAfter(key: K, delayMs: number): void {
    if (this.#shuttingDown) return;
    if (!(delayMs > 0)) {
      this.add(key);
      return;
    }
    if (this.#dirty.has(key)) return;
    const due = this.#clock.now() + delayMs;
    const pending = this.#delayed.get(key);
    if (pending !== undefined && pending.due <= due) return;
    pending?.timer.cancel();
    const timer = this.#clock.setTimeout(() => {
      this.#delayed.delete(key);
      this.add(key);
    }, delayMs);
    this.#delayed.set(key, { due, timer });
  }

  /** Queues a key after its backoff delay and counts one more failure for it. Returns the delay. */
  addRateLimited(key: K): number {
    if (this.#shuttingDown) return 0;
    const failures = this.#failures.get(key) ?? 0;
    const delay = backoffDelay(failures, this.#random, this.#backoff);
    this.#failures.set(key, failures + 1);
    this.#notify((o) => o.retried?.(key, failures + 1, delay));
    this.addAfter(key, delay);
    return delay;
  }

  /**
   * Resets a key's backoff: call it after a success, and when the key's object
   * is gone (failure counts are kept until then). It does not cancel a
   * pending delayed add.
   */
  forget(key: K): void {
    this.#failures.delete(key);
  }

  /** Consecutive failures counted for a key since its last forget(). */
  retries(key: K): number {
    return this.#failures.get(key) ?? 0;
  }

  /** When a key's pending delayed add is due (clock time), or undefined. */
  scheduledAt(key: K): number | undefined {
    return this.#delayed.get(key)?.due;
  }

  /** Keys ready and waiting for a worker (the queue depth). */
  len(): number {
    return this.#ready.length;
  }

  /** Keys a worker is processing right now. */
  processingCount(): number {
    return this.#processing.size;
  }

  /** Keys with a pending delayed add. */
  delayedCount(): number {
    return this.#delayed.size;
  }

  isShuttingDown(): boolean {
    return this.#shuttingDown;
  }

  /**
   * Starts handing keys to `worker`, at most `concurrency` at once. Keys
   * added before run() wait for it. Resolves once the queue has been shut
   * down and the last running key is done.
   */
  run(worker: Worker<K>): Promise<void> {
    if (this.#worker !== undefined) throw new Error("work queue is already running");
    this.#worker = worker;
    this.#pump();
    return this.#drained.promise;
  }

  /**
   * Stops handing out keys, drops pending delayed adds and ignores new adds.
   * Keys already running finish; see drain().
   */
  shutdown(): void {
    if (this.#shuttingDown) return;
    this.#shuttingDown = true;
    for (const { timer } of this.#delayed.values()) timer.cancel();
    this.#delayed.clear();
    this.#stop.abort(new Error("work queue shut down"));
    this.#checkDrained();
  }

  /** Shuts down (if not already) and resolves when no key is running any more. For graceful SIGTERM. */
  drain(): Promise<void> {
    this.shutdown();
    return this.#drained.promise;
  }

  #enqueue(key: K): void {
    this.#ready.push(key);
    this.#queuedAt.set(key, this.#clock.now());
    this.#notify((o) => o.depthChanged?.(this.#ready.length));
    this.#pump();
  }

  /** Hands ready keys to workers while there is a free worker, a ready key and rate-limit budget. */
  #pump(): void {
    // Hooks and adds during the loop may call back in here; the loop's own
    // condition already picks up what they change.
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (
        !this.#shuttingDown &&
        this.#worker !== undefined &&
        this.#processing.size < this.concurrency &&
        this.#ready.length > 0
      ) {
        if (!this.#takeToken()) break;
        this.#start(this.#ready.shift()!);
      }
    } finally {
      this.#pumping = false;
    }
  }

  /** True when a key may be handed out now; otherwise waits for a token in the background and pumps again. */
  #takeToken(): boolean {
    const limiter = this.#limiter;
    if (limiter === undefined) return true;
    if (this.#tokenHeld) {
      this.#tokenHeld = false;
      return true;
    }
    if (this.#awaitingToken) return false;
    if (limiter.tryTake()) return true;
    // Only this queue waits on its limiter, and only one wait at a time. No key
    // leaves #ready meanwhile, so the token always has a key to go to.
    this.#awaitingToken = true;
    limiter.take(this.#stop.signal).then(
      () => {
        this.#awaitingToken = false;
        this.#tokenHeld = true;
        this.#pump();
      },
      () => {
        this.#awaitingToken = false; // shut down while waiting
      },
    );
    return false;
  }

  #start(key: K): void {
    const worker = this.#worker!;
    this.#dirty.delete(key);
    this.#processing.add(key);
    // This run supersedes any pending delayed add (see the rules at the top).
    const pending = this.#delayed.get(key);
    if (pending !== undefined) {
      pending.timer.cancel();
      this.#delayed.delete(key);
    }
    const startedAt = this.#clock.now();
    const queuedAt = this.#queuedAt.get(key) ?? startedAt;
    this.#queuedAt.delete(key);
    this.#notify((o) => o.depthChanged?.(this.#ready.length));
    this.#notify((o) => o.queueLatency?.(key, startedAt - queuedAt));

    // Called from a promise callback, never synchronously, so a worker that
    // calls add() before its first await cannot re-enter the loop above.
    Promise.resolve()
      .then(() => worker(key))
      .catch((error: unknown) => {
        this.#notify((o) => o.workerFailed?.(key, error));
        this.addRateLimited(key);
      })
      .finally(() => this.#finish(key, startedAt));
  }

  #finish(key: K, startedAt: number): void {
    this.#processing.delete(key);
    this.#notify((o) => o.workDuration?.(key, this.#clock.now() - startedAt));
    if (this.#dirty.has(key)) this.#enqueue(key);
    else this.#pump();
    this.#checkDrained();
  }

  #checkDrained(): void {
    if (this.#shuttingDown && this.#processing.size === 0) this.#drained.resolve();
  }

  /** Calls an observer hook; a failing metrics hook must not break the queue's bookkeeping. */
  #notify(call: (observer: WorkQueueObserver<K>) => void): void {
    if (this.#observer === undefined) return;
    try {
      call(this.#observer);
    } catch {
      // Deliberately ignored: metrics are best effort.
    }
  }
}

/** A FIFO with O(1) push and shift (Array#shift is O(n), which matters at 10,000 keys). */
class Fifo<T> {
  #items: T[] = [];
  #head = 0;

  get length(): number {
    return this.#items.length - this.#head;
  }

  push(item: T): void {
    this.#items.push(item);
  }

  shift(): T | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const item = this.#items[this.#head++];
    // Compact once the consumed prefix is at least half the array.
    if (this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }
}
