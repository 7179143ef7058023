// Kubernetes Events for managed resources (DriftDetected, DriftCorrected, create/update/delete...), so
// `kubectl describe` tells the story. A controller that polls 10,000 resources can emit the same event
// over and over (a resource stuck on the same error, drift reported on every poll in Observe mode), so
// this recorder does what client-go's EventCorrelator does: an event identical to a recent one (same
// object, type, reason and message) bumps count and lastTimestamp on the existing Event instead of
// creating another, and a per-object token bucket drops a runaway stream. Recording never throws and
// never makes the reconciler wait: writes happen in the background and failures are logged and dropped,
// because an Event is a courtesy and must not turn a successful reconcile into a failed one.
import { hostname } from "node:os";
import type { CoreV1Event } from "@kubernetes/client-node";
import type { Managed } from "../api/index.ts";
import { type Clock, realClock } from "../clock.ts";
import type { EventRecorder, EventType } from "../reconciler/ports.ts";
import { type KubeClient, type KubeTarget, kubeClientOf, MERGE_PATCH, objectPath } from "./client.ts";
import { describeError, isNotFound } from "./errors.ts";
import { type KubeLogger, silentLogger } from "./log.ts";

export const REPORTING_COMPONENT = "setpoint";
const MAX_MESSAGE = 1024;

/** Where events go; KubeEventSink writes core/v1 Events, tests use a fake. */
export interface EventSink {
  create(namespace: string, event: CoreV1Event): Promise<void>;
  /** Updates count and lastTimestamp; a 404 (the Event expired) must be reported as an error with code 404. */
  patch(namespace: string, name: string, patch: { count: number; lastTimestamp: string }): Promise<void>;
}

/** What makes two events "the same" for aggregation. Pure. */
export function eventKey(mr: Managed, type: EventType, reason: string, message: string): string {
  const id = mr.metadata.uid ?? `${mr.kind}/${mr.metadata.namespace ?? ""}/${mr.metadata.name}`;
  return `${id}\u0000${type}\u0000${reason}\u0000${message}`;
}

/** A name unique per event, like client-go's "<object>.<hex nanoseconds>". */
export function eventName(objectName: string, nowMs: number, rand: number): string {
  const nanos = BigInt(Math.floor(nowMs)) * 1_000_000n + BigInt(Math.floor(rand * 1_000_000));
  return `${objectName.slice(0, 200)}.${nanos.toString(16)}`;
}

export function truncateMessage(message: string): string {
  return message.length <= MAX_MESSAGE ? message : `${message.slice(0, MAX_MESSAGE - 3)}...`;
}

/**
 * Per-object token buckets (client-go's EventSourceObjectSpamFilter: a burst of 25, then one event
 * every 5 minutes). Bounded: the least recently used objects are forgotten first.
 */
export class SpamFilter {
  readonly #burst: number;
  readonly #refillEveryMs: number;
  readonly #maxObjects: number;
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(opts: { burst?: number; refillEveryMs?: number; maxObjects?: number } = {}) {
    this.#burst = opts.burst ?? 25;
    this.#refillEveryMs = opts.refillEveryMs ?? 5 * 60_000;
    this.#maxObjects = opts.maxObjects ?? 10_000;
  }

  /** Takes a token for `object` at `now`; false means drop the event. */
  allow(object: string, now: number): boolean {
    const b = this.#buckets.get(object) ?? { tokens: this.#burst, at: now };
    this.#buckets.delete(object);
    const refilled = Math.min(this.#burst, b.tokens + (now - b.at) / this.#refillEveryMs);
    const ok = refilled >= 1;
    this.#buckets.set(object, { tokens: ok ? refilled - 1 : refilled, at: now });
    if (this.#buckets.size > this.#maxObjects) {
      const oldest = this.#buckets.keys().next().value;
      if (oldest !== undefined) this.#buckets.delete(oldest);
    }
    return ok;
  }
}

interface Aggregate {
  namespace: string;
  /** The Event's name once created. */
  name?: string;
  count: number;
  first: number;
  last: number;
  /** A write is queued that will carry the latest count. */
  dirty: boolean;
  chain: Promise<void>;
}

export interface EventRecorderOptions {
  /** Distinct (object, type, reason, message) kept for aggregation. Default 4096. */
  maxAggregates?: number;
  spam?: { burst?: number; refillEveryMs?: number; maxObjects?: number };
  clock?: Clock;
  random?: () => number;
  /** Goes into reportingInstance. */
  instance?: string;
}

export interface EventRecorderStats {
  created: number;
  aggregated: number;
  /** Dropped by the spam filter. */
  dropped: number;
  /** Writes that failed (logged and dropped). */
  failed: number;
}

export class KubeEventRecorder implements EventRecorder {
  readonly #sink: EventSink;
  readonly #log: KubeLogger;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #instance: string;
  readonly #maxAggregates: number;
  readonly #spam: SpamFilter;
  readonly #recent = new Map<string, Aggregate>();
  readonly #inflight = new Set<Promise<void>>();
  readonly stats: EventRecorderStats = { created: 0, aggregated: 0, dropped: 0, failed: 0 };

  constructor(
    target: KubeTarget | EventSink,
    log: KubeLogger = silentLogger,
    opts: EventRecorderOptions = {},
  ) {
    this.#sink = isEventSink(target) ? target : new KubeEventSink(target);
    this.#log = log;
    this.#clock = opts.clock ?? realClock;
    this.#random = opts.random ?? Math.random;
    this.#instance = opts.instance ?? hostname();
    this.#maxAggregates = opts.maxAggregates ?? 4096;
    this.#spam = new SpamFilter(opts.spam);
  }

  record(mr: Managed, type: EventType, reason: string, message: string): void {
    try {
      this.#record(mr, type, reason, truncateMessage(message));
    } catch (err) {
      this.#log.warn({ reason, err: describeError(err) }, "could not record event");
    }
  }

  /** Resolves when every queued write has finished (tests and graceful shutdown). */
  async flush(): Promise<void> {
    while (this.#inflight.size > 0) await Promise.all([...this.#inflight]);
  }

  #record(mr: Managed, type: EventType, reason: string, message: string): void {
    const now = this.#clock.now();
    const objectId = mr.metadata.uid ?? `${mr.metadata.namespace}/${mr.metadata.name}`;
    if (!this.#spam.allow(objectId, now)) {
      this.stats.dropped++;
      this.#log.debug(
        { object: `${mr.metadata.namespace}/${mr.metadata.name}`, reason },
        "event dropped by spam filter",
      );
      return;
    }
    const key = eventKey(mr, type, reason, message);
    let agg = this.#recent.get(key);
    if (agg) {
      this.#recent.delete(key); // re-insert: most recently used last
      agg.count++;
      agg.last = now;
      this.stats.aggregated++;
    } else {
      agg = {
        namespace: mr.metadata.namespace ?? "default",
        count: 1,
        first: now,
        last: now,
        dirty: false,
        chain: Promise.resolve(),
      };
    }
    this.#recent.set(key, agg);
    if (this.#recent.size > this.#maxAggregates) {
      const oldest = this.#recent.keys().next().value;
      if (oldest !== undefined) this.#recent.delete(oldest);
    }
    if (agg.dirty) return; // the queued write will carry this count too
    agg.dirty = true;
    const target = agg;
    const ref = involvedObject(mr);
    const p = target.chain.then(() => this.#write(target, ref, type, reason, message));
    target.chain = p;
    this.#inflight.add(p);
    void p.finally(() => this.#inflight.delete(p));
  }

  async #write(
    agg: Aggregate,
    ref: CoreV1Event["involvedObject"],
    type: EventType,
    reason: string,
    message: string,
  ): Promise<void> {
    agg.dirty = false;
    const count = agg.count;
    const last = new Date(agg.last);
    try {
      if (agg.name !== undefined) {
        try {
          await this.#sink.patch(agg.namespace, agg.name, { count, lastTimestamp: last.toISOString() });
          return;
        } catch (err) {
          // The Event expired (the apiserver keeps them for an hour): start a new one.
          if (!isNotFound(err)) throw err;
          agg.name = undefined;
        }
      }
      const name = eventName(ref.name ?? "object", this.#clock.now(), this.#random());
      await this.#sink.create(agg.namespace, {
        apiVersion: "v1",
        kind: "Event",
        metadata: { name, namespace: agg.namespace },
        involvedObject: ref,
        type,
        reason,
        message,
        count,
        firstTimestamp: new Date(agg.first),
        lastTimestamp: last,
        source: { component: REPORTING_COMPONENT, host: this.#instance },
        reportingComponent: REPORTING_COMPONENT,
        reportingInstance: this.#instance,
      });
      agg.name = name;
      this.stats.created++;
    } catch (err) {
      this.stats.failed++;
      this.#log.warn(
        { object: `${ref.namespace}/${ref.name}`, reason, err: describeError(err) },
        "could not write event; dropped",
      );
    }
  }
}

function involvedObject(mr: Managed): CoreV1Event["involvedObject"] {
  return {
    apiVersion: mr.apiVersion,
    kind: mr.kind,
    name: mr.metadata.name,
    ...(mr.metadata.namespace ? { namespace: mr.metadata.namespace } : {}),
    ...(mr.metadata.uid ? { uid: mr.metadata.uid } : {}),
    ...(mr.metadata.resourceVersion ? { resourceVersion: mr.metadata.resourceVersion } : {}),
  };
}

function isEventSink(target: KubeTarget | EventSink): target is EventSink {
  const t = target as Partial<EventSink>;
  return typeof t.create === "function" && typeof t.patch === "function";
}

const EVENTS = { group: "", version: "v1", plural: "events" };

/** core/v1 Events. */
export class KubeEventSink implements EventSink {
  readonly #client: KubeClient;

  constructor(kc: KubeTarget) {
    this.#client = kubeClientOf(kc);
  }

  async create(namespace: string, event: CoreV1Event): Promise<void> {
    // Dates serialize as RFC 3339 with milliseconds, which the apiserver's metav1.Time accepts.
    await this.#client.request("POST", `/api/v1/namespaces/${encodeURIComponent(namespace)}/events`, {
      body: event,
    });
  }

  async patch(
    namespace: string,
    name: string,
    patch: { count: number; lastTimestamp: string },
  ): Promise<void> {
    await this.#client.request("PATCH", objectPath(EVENTS, namespace, name), {
      body: patch,
      contentType: MERGE_PATCH,
    });
  }
}
