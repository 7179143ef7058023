// Leader election on a coordination.k8s.io/v1 Lease, so that several replicas can run and exactly one
// of them acts on the cloud. client-node has no leader election, so this is client-go's algorithm:
// a replica acquires the Lease when it is free (no holder) or expired (renewTime + leaseDurationSeconds
// is in the past), renews it every retryPeriod, and writes with the Lease's resourceVersion so that of
// two replicas racing for it exactly one wins (the other gets 409 and tries again later). A leader
// that has not managed to renew for renewDeadline steps down on its own, before its lease can expire
// for the others (renewDeadline < leaseDuration), and must then stop acting: onStoppedLeading is the
// signal, and the process is expected to exit (its in-memory state was built as the leader and is not
// worth salvaging; a restarted replica simply queues up for the Lease again). On graceful shutdown,
// release() clears holderIdentity so a waiting replica takes over at its next retry instead of after
// a full lease duration.
//
// Expiry is judged from the renewTime written by the holder against this replica's clock, which
// assumes the replicas' clocks agree to within a few seconds (NTP); a holder's renewTime in the
// future is treated as held.
// Over 400 lines because acquire, renew, step down and release share the Lease's state and timing,
// and each branch carries the reason for its decision.
import { hostname } from "node:os";
import type { V1Lease } from "@kubernetes/client-node";
import type { Clock, Timer } from "../clock.ts";
import { realClock } from "../clock.ts";
import { type KubeClient, type KubeTarget, kubeClientOf, objectPath } from "./client.ts";
import { describeError, httpStatus, isNotFound } from "./errors.ts";
import { type KubeLogger, silentLogger } from "./log.ts";

/** The Lease fields leader election reads and writes. Times are epoch milliseconds. */
export interface LeaseRecord {
  holderIdentity: string;
  leaseDurationSeconds: number;
  acquireTime?: number;
  renewTime?: number;
  leaseTransitions: number;
  /** The Lease's metadata.resourceVersion, for optimistic concurrency. */
  resourceVersion?: string;
}

/**
 * Storage for one Lease. create() and update() must fail with an error whose HTTP status is 409 when
 * another writer got there first (errors.ts's httpStatus reads it).
 */
export interface LeaseStore {
  get(signal: AbortSignal): Promise<LeaseRecord | undefined>;
  create(record: LeaseRecord, signal: AbortSignal): Promise<LeaseRecord>;
  update(record: LeaseRecord, signal: AbortSignal): Promise<LeaseRecord>;
}

export type LeaseVerdict =
  | { state: "free" } // no holder: take it
  | { state: "mine" } // we hold it: renew
  | { state: "expired"; holder: string } // someone held it and stopped renewing: take over
  | { state: "held"; holder: string; expiresAt: number }; // someone else holds it

/** Who may hold the Lease at `now`, seen by `identity`. Pure. */
export function judgeLease(record: LeaseRecord, identity: string, now: number): LeaseVerdict {
  if (record.holderIdentity === "") return { state: "free" };
  if (record.holderIdentity === identity) return { state: "mine" };
  const renewed = record.renewTime ?? record.acquireTime;
  if (renewed === undefined) return { state: "expired", holder: record.holderIdentity };
  const expiresAt = renewed + record.leaseDurationSeconds * 1000;
  if (expiresAt < now) return { state: "expired", holder: record.holderIdentity };
  return { state: "held", holder: record.holderIdentity, expiresAt };
}

/** The record to write when `identity` acquires or renews `current` at `now`. Pure. */
export function nextRecord(
  current: LeaseRecord | undefined,
  identity: string,
  now: number,
  leaseDurationSeconds: number,
): LeaseRecord {
  if (current === undefined) {
    return {
      holderIdentity: identity,
      leaseDurationSeconds,
      acquireTime: now,
      renewTime: now,
      leaseTransitions: 0,
    };
  }
  const renewing = current.holderIdentity === identity;
  return {
    holderIdentity: identity,
    leaseDurationSeconds,
    acquireTime: renewing ? (current.acquireTime ?? now) : now,
    renewTime: now,
    leaseTransitions: renewing ? current.leaseTransitions : current.leaseTransitions + 1,
    ...(current.resourceVersion !== undefined ? { resourceVersion: current.resourceVersion } : {}),
  };
}

/** The record a leader writes on graceful release: no holder, so the next replica acquires at once. */
export function releasedRecord(current: LeaseRecord, now: number): LeaseRecord {
  return { ...current, holderIdentity: "", leaseDurationSeconds: 1, renewTime: now };
}

/** A unique identity for this process: hostname-pid-random. */
export function defaultIdentity(): string {
  return `${hostname()}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}

export interface LeaderElectorOptions {
  /** Where the Lease lives; either a kubeConfig (with namespace and name) or a LeaseStore. */
  kubeConfig?: KubeTarget;
  store?: LeaseStore;
  namespace: string;
  name: string;
  identity?: string;
  /** How long a non-renewed lease keeps others out. Default 15s. */
  leaseDurationMs?: number;
  /** A leader that could not renew for this long steps down. Must be below leaseDuration. Default 10s. */
  renewDeadlineMs?: number;
  /** How often to try to acquire or renew. Default 2s. */
  retryPeriodMs?: number;
  /** Called once when this replica becomes leader; `signal` aborts when it stops being leader. */
  onStartedLeading(signal: AbortSignal): void;
  /**
   * Called when leadership is lost involuntarily (renewal failed for renewDeadline, or another replica
   * holds the Lease). The replica must stop acting at once; exiting the process is the expected answer.
   * Not called for release()/stop(), which the caller asked for.
   */
  onStoppedLeading(): void;
  /** Called when the observed holder changes (including to this replica). */
  onNewLeader?(identity: string): void;
  clock?: Clock;
  random?: () => number;
  log?: KubeLogger;
}

export const DEFAULT_LEASE_DURATION_MS = 15_000;
export const DEFAULT_RENEW_DEADLINE_MS = 10_000;
export const DEFAULT_RETRY_PERIOD_MS = 2_000;
/** client-go's JitterFactor: acquire attempts are spread over [retry, retry*1.2). */
const JITTER = 0.2;

type Attempt = "acquired" | "held" | "failed";

export class LeaderElector {
  readonly identity: string;
  readonly #o: LeaderElectorOptions;
  readonly #store: LeaseStore;
  readonly #leaseDurationMs: number;
  readonly #renewDeadlineMs: number;
  readonly #retryPeriodMs: number;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #log: KubeLogger;
  readonly #stop = new AbortController();
  #leading: AbortController | undefined;
  /** The last record we read or wrote, so a leader renews without a read first. */
  #last: LeaseRecord | undefined;
  #observedHolder: string | undefined;
  #running: Promise<void> | undefined;

  constructor(opts: LeaderElectorOptions) {
    this.#o = opts;
    this.identity = opts.identity ?? defaultIdentity();
    this.#leaseDurationMs = opts.leaseDurationMs ?? DEFAULT_LEASE_DURATION_MS;
    this.#renewDeadlineMs = opts.renewDeadlineMs ?? DEFAULT_RENEW_DEADLINE_MS;
    this.#retryPeriodMs = opts.retryPeriodMs ?? DEFAULT_RETRY_PERIOD_MS;
    if (this.#renewDeadlineMs >= this.#leaseDurationMs) {
      throw new RangeError(
        "renewDeadline must be shorter than leaseDuration, or two replicas could lead at once",
      );
    }
    if (this.#retryPeriodMs * (1 + JITTER) >= this.#renewDeadlineMs) {
      throw new RangeError("retryPeriod (with jitter) must be shorter than renewDeadline");
    }
    if (opts.store) this.#store = opts.store;
    else if (opts.kubeConfig) this.#store = new KubeLeaseStore(opts.kubeConfig, opts.namespace, opts.name);
    else throw new TypeError("LeaderElector needs a kubeConfig or a store");
    this.#clock = opts.clock ?? realClock;
    this.#random = opts.random ?? Math.random;
    this.#log = opts.log ?? silentLogger;
  }

  /** Starts competing for the Lease in the background. */
  start(): void {
    this.#running ??= this.#run();
  }

  isLeader(): boolean {
    return this.#leading !== undefined;
  }

  /** The holder last seen on the Lease (this replica's identity while leading). */
  get observedLeader(): string | undefined {
    return this.#observedHolder;
  }

  /**
   * Stops competing and, if leading, gives the Lease up so another replica takes over at its next
   * retry. Best effort: a failed release only means the others wait for the lease to expire.
   */
  async release(): Promise<void> {
    if (this.#stop.signal.aborted) return this.#running;
    this.#stop.abort(new Error("leader election stopped"));
    await this.#running;
    this.#endLeading();
    // Also covers an acquire that succeeded on the server just as we were stopped.
    if (this.#last?.holderIdentity !== this.identity) return;
    const signal = this.#deadlineSignal(this.#renewDeadlineMs);
    try {
      this.#last = await this.#store.update(releasedRecord(this.#last, this.#clock.now()), signal.signal);
      this.#log.info({ lease: this.#leaseName(), identity: this.identity }, "released the lease");
    } catch (err) {
      this.#log.warn({ lease: this.#leaseName(), err: describeError(err) }, "could not release the lease");
    } finally {
      signal.cancel();
    }
  }

  /** Same as release(). */
  stop(): Promise<void> {
    return this.release();
  }

  async #run(): Promise<void> {
    // Acquire.
    for (;;) {
      if (this.#stop.signal.aborted) return;
      const attempt = await this.#tryAcquireOrRenew();
      if (this.#stop.signal.aborted) return;
      if (attempt === "acquired") break;
      await this.#sleep(this.#retryPeriodMs * (1 + JITTER * this.#random()));
    }
    this.#leading = new AbortController();
    this.#log.info({ lease: this.#leaseName(), identity: this.identity }, "became leader");
    try {
      this.#o.onStartedLeading(this.#leading.signal);
    } catch (err) {
      this.#log.error({ err: describeError(err) }, "onStartedLeading threw");
    }

    // Renew.
    let lastRenew = this.#clock.now();
    for (;;) {
      await this.#sleep(this.#retryPeriodMs);
      if (this.#stop.signal.aborted) return;
      const attempt = await this.#tryAcquireOrRenew(lastRenew + this.#renewDeadlineMs - this.#clock.now());
      if (this.#stop.signal.aborted) return;
      if (attempt === "acquired") {
        lastRenew = this.#clock.now();
        continue;
      }
      const silentFor = this.#clock.now() - lastRenew;
      if (attempt === "held" || silentFor >= this.#renewDeadlineMs) {
        this.#log.error(
          {
            lease: this.#leaseName(),
            identity: this.identity,
            holder: this.#observedHolder,
            silentForMs: silentFor,
          },
          "lost leadership",
        );
        this.#endLeading();
        try {
          this.#o.onStoppedLeading();
        } catch (err) {
          this.#log.error({ err: describeError(err) }, "onStoppedLeading threw");
        }
        return;
      }
    }
  }

  /** One read-modify-write of the Lease. Never throws. */
  async #tryAcquireOrRenew(budgetMs = this.#renewDeadlineMs): Promise<Attempt> {
    const deadline = this.#deadlineSignal(Math.max(1, budgetMs));
    const signal = AbortSignal.any([deadline.signal, this.#stop.signal]);
    try {
      // A leader renews straight from its last write; only a conflict makes it read first.
      if (this.#leading && this.#last?.holderIdentity === this.identity) {
        try {
          this.#last = await this.#store.update(
            nextRecord(this.#last, this.identity, this.#clock.now(), this.#leaseSeconds()),
            signal,
          );
          return "acquired";
        } catch (err) {
          if (httpStatus(err) !== 409) throw err;
        }
      }
      const current = await this.#store.get(signal);
      const now = this.#clock.now();
      if (current === undefined) {
        this.#last = await this.#store.create(
          nextRecord(undefined, this.identity, now, this.#leaseSeconds()),
          signal,
        );
        this.#observe(this.identity);
        return "acquired";
      }
      this.#last = current;
      const verdict = judgeLease(current, this.identity, now);
      if (verdict.state === "held") {
        this.#observe(verdict.holder);
        return "held";
      }
      if (verdict.state === "expired") {
        this.#log.info({ lease: this.#leaseName(), previous: verdict.holder }, "lease expired, taking over");
      }
      this.#last = await this.#store.update(
        nextRecord(current, this.identity, now, this.#leaseSeconds()),
        signal,
      );
      this.#observe(this.identity);
      return "acquired";
    } catch (err) {
      if (httpStatus(err) === 409) {
        // Another replica wrote between our read and our write: it won this round.
        this.#log.debug({ lease: this.#leaseName() }, "lost a race for the lease");
      } else if (!this.#stop.signal.aborted) {
        this.#log.warn(
          { lease: this.#leaseName(), err: describeError(err) },
          "could not acquire or renew the lease",
        );
      }
      return "failed";
    } finally {
      deadline.cancel();
    }
  }

  #observe(holder: string): void {
    if (holder === this.#observedHolder) return;
    this.#observedHolder = holder;
    try {
      this.#o.onNewLeader?.(holder);
    } catch (err) {
      this.#log.error({ err: describeError(err) }, "onNewLeader threw");
    }
  }

  #endLeading(): void {
    const leading = this.#leading;
    this.#leading = undefined;
    leading?.abort(new Error("no longer leader"));
  }

  #leaseSeconds(): number {
    return Math.max(1, Math.ceil(this.#leaseDurationMs / 1000));
  }

  #leaseName(): string {
    return `${this.#o.namespace}/${this.#o.name}`;
  }

  /** An AbortSignal that fires after `ms` on this elector's clock (so fake clocks drive it too). */
  #deadlineSignal(ms: number): { signal: AbortSignal; cancel(): void } {
    const controller = new AbortController();
    const timer: Timer = this.#clock.setTimeout(
      () => controller.abort(new Error(`lease request exceeded ${ms}ms`)),
      ms,
    );
    return { signal: controller.signal, cancel: () => timer.cancel() };
  }

  async #sleep(ms: number): Promise<void> {
    try {
      await this.#clock.sleep(ms, this.#stop.signal);
    } catch {
      // stopped
    }
  }
}

const LEASES = { group: "coordination.k8s.io", version: "v1", plural: "leases" };

/** A Lease read and written on the coordination.k8s.io/v1 API. */
export class KubeLeaseStore implements LeaseStore {
  readonly #client: KubeClient;
  readonly #namespace: string;
  readonly #name: string;

  constructor(kc: KubeTarget, namespace: string, name: string) {
    this.#client = kubeClientOf(kc);
    this.#namespace = namespace;
    this.#name = name;
  }

  async get(signal: AbortSignal): Promise<LeaseRecord | undefined> {
    try {
      const lease = await this.#client.request<V1Lease>(
        "GET",
        objectPath(LEASES, this.#namespace, this.#name),
        { signal },
      );
      return fromLease(lease);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async create(record: LeaseRecord, signal: AbortSignal): Promise<LeaseRecord> {
    const lease = await this.#client.request<V1Lease>(
      "POST",
      `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(this.#namespace)}/leases`,
      { body: this.#toLease(record), signal },
    );
    return fromLease(lease);
  }

  async update(record: LeaseRecord, signal: AbortSignal): Promise<LeaseRecord> {
    const lease = await this.#client.request<V1Lease>(
      "PUT",
      objectPath(LEASES, this.#namespace, this.#name),
      {
        body: this.#toLease(record),
        signal,
      },
    );
    return fromLease(lease);
  }

  #toLease(r: LeaseRecord): unknown {
    return {
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: {
        name: this.#name,
        namespace: this.#namespace,
        ...(r.resourceVersion !== undefined ? { resourceVersion: r.resourceVersion } : {}),
      },
      spec: {
        holderIdentity: r.holderIdentity,
        leaseDurationSeconds: r.leaseDurationSeconds,
        leaseTransitions: r.leaseTransitions,
        ...(r.acquireTime !== undefined ? { acquireTime: microTime(r.acquireTime) } : {}),
        ...(r.renewTime !== undefined ? { renewTime: microTime(r.renewTime) } : {}),
      },
    };
  }
}

/** metav1.MicroTime on the wire: RFC 3339 with exactly six fractional digits, which the apiserver requires. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

/** MicroTime fields arrive as strings on the wire; Dates are accepted too, for callers holding model objects. */
function toMillis(t: unknown): number | undefined {
  if (t === undefined || t === null) return undefined;
  const ms = t instanceof Date ? t.getTime() : Date.parse(String(t));
  return Number.isNaN(ms) ? undefined : ms;
}

function fromLease(lease: V1Lease): LeaseRecord {
  const spec = lease.spec ?? {};
  const acquireTime = toMillis(spec.acquireTime);
  const renewTime = toMillis(spec.renewTime);
  return {
    holderIdentity: spec.holderIdentity ?? "",
    leaseDurationSeconds: spec.leaseDurationSeconds ?? 0,
    leaseTransitions: spec.leaseTransitions ?? 0,
    ...(acquireTime !== undefined ? { acquireTime } : {}),
    ...(renewTime !== undefined ? { renewTime } : {}),
    ...(lease.metadata?.resourceVersion !== undefined
      ? { resourceVersion: lease.metadata.resourceVersion }
      : {}),
  };
}
