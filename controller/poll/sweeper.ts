// The poll sweeper: steady resources of a kind whose provider offers
// observeMany are not observed one by one. Their next poll time is kept
// here; every tick, the resources that are due are grouped by connection
// (account, region, endpoint), observed in batches, and handed to the work
// queue with their observation, so a poll of 1,000 resources costs a few
// describe calls instead of 1,000.
import type { Managed } from "../api/index.ts";
import type { Clock, Timer } from "../clock.ts";
import type { Observation } from "../provider.ts";

export interface SweepTarget {
  mr: Managed;
  /** Resources with the same group share one observeMany call. */
  group: string;
}

export interface SweeperDeps<K extends string = string> {
  clock: Clock;
  /** How often due resources are collected. */
  intervalMs: number;
  /** Most resources in one observeMany call. */
  batchSize: number;
  /** Most resources observed per tick, so one tick never floods the work queue. */
  maxPerTick: number;
  /** The current object and its group, or undefined when the key is gone. */
  lookup(key: K): Promise<SweepTarget | undefined>;
  /** One batched observation, keyed by external name. */
  observeBatch(group: string, mrs: Managed[]): Promise<Map<string, Observation>>;
  /**
   * A due key with its fresh observation and the object it was computed for,
   * or without one when the batch did not cover it or its lookup failed.
   */
  deliver(key: K, observation: Observation | undefined, observedFor?: Managed, dueAt?: number): void;
  /** A batch failed; the keys go back to the queue for a per-key retry with backoff. */
  failed(keys: K[], error: unknown): void;
  externalName(mr: Managed): string | undefined;
  onError?(err: unknown): void;
}

export class PollSweeper<K extends string = string> {
  readonly #d: SweeperDeps<K>;
  readonly #due = new Map<K, number>();
  #timer: Timer | undefined;
  #running = false;
  #sweeping: Promise<void> | undefined;

  constructor(deps: SweeperDeps<K>) {
    this.#d = deps;
  }

  schedule(key: K, dueAt: number): void {
    this.#due.set(key, dueAt);
  }

  cancel(key: K): void {
    this.#due.delete(key);
  }

  size(): number {
    return this.#due.size;
  }

  start(): void {
    this.#running = true;
    this.#arm();
  }

  async stop(): Promise<void> {
    this.#running = false;
    this.#timer?.cancel();
    await this.#sweeping;
  }

  #arm(): void {
    if (!this.#running) return;
    this.#timer = this.#d.clock.setTimeout(() => {
      // A sweep must never take the process down or stop the timer.
      this.#sweeping = this.sweep()
        .catch((err: unknown) => this.#d.onError?.(err))
        .finally(() => this.#arm());
    }, this.#d.intervalMs);
  }

  /** Observes every resource that is due now. Exposed for tests; normally driven by the timer. */
  async sweep(): Promise<void> {
    const now = this.#d.clock.now();
    const due = [...this.#due.entries()]
      .filter(([, at]) => at <= now)
      .sort((a, b) => a[1] - b[1])
      .slice(0, this.#d.maxPerTick);
    if (due.length === 0) return;
    for (const [key] of due) this.#due.delete(key);

    const groups = new Map<string, { key: K; mr: Managed; dueAt: number }[]>();
    for (const [key, dueAt] of due) {
      let target: SweepTarget | undefined;
      try {
        target = await this.#d.lookup(key);
      } catch {
        // The key's connection could not be resolved (a missing Secret or
        // ProviderConfig, an API server blip). A plain reconcile reports why
        // and schedules the next try; dropping the key would end its polls.
        this.#d.deliver(key, undefined);
        continue;
      }
      if (!target) continue;
      const list = groups.get(target.group) ?? [];
      list.push({ key, mr: target.mr, dueAt });
      groups.set(target.group, list);
    }
    await Promise.all(
      [...groups.entries()].flatMap(([group, members]) =>
        chunk(members, this.#d.batchSize).map((batch) => this.#observe(group, batch)),
      ),
    );
  }

  async #observe(group: string, batch: { key: K; mr: Managed; dueAt: number }[]): Promise<void> {
    let results: Map<string, Observation>;
    try {
      results = await this.#d.observeBatch(
        group,
        batch.map((b) => b.mr),
      );
    } catch (err) {
      this.#d.failed(
        batch.map((b) => b.key),
        err,
      );
      return;
    }
    for (const { key, mr, dueAt } of batch) {
      const name = this.#d.externalName(mr);
      try {
        this.#d.deliver(key, name === undefined ? undefined : results.get(name), mr, dueAt);
      } catch (err) {
        // One bad delivery must not end the polls of the rest of the batch.
        this.#d.onError?.(err);
        this.#d.deliver(key, undefined);
      }
    }
  }
}

function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
