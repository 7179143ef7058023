// The steady-poll path. A swept poll that found nothing to do schedules the
// next one itself, without a worker: the queue and its rate limit stay free
// for spec changes and corrections, whatever the fleet's size. Any other
// swept observation goes to the queue with its observation, which the
// worker uses instead of observing again, if it is still fresh and still
// about the same version of the object.
import type { Managed } from "../api/managed.ts";
import type { Clock } from "../clock.ts";
import { type PollDefaults, pollDelay } from "../poll/schedule.ts";
import type { Observation } from "../provider.ts";
import type { ConnectionSecretWriter } from "../reconciler/ports.ts";
import { isSteady } from "../reconciler/steady.ts";
import type { ResourceKey } from "./keys.ts";

export interface SteadyPollDeps {
  clock: Clock;
  poll: PollDefaults;
  connectionSecrets: ConnectionSecretWriter;
  schedule(key: ResourceKey, dueAt: number): void;
  /** The connection Secret write failed: the key goes through a full reconcile. */
  enqueue(key: ResourceKey): void;
  /** Counted as a "steady" reconcile. */
  counted(kind: string): void;
  random?: () => number;
}

/**
 * Takes a swept observation of the current object `mr`, made for
 * `observedFor`, and schedules the next poll if nothing needs doing.
 * Returns false when the key must be reconciled instead.
 */
export function steadyPoll(
  deps: SteadyPollDeps,
  key: ResourceKey,
  mr: Managed,
  observation: Observation,
  observedFor: Managed,
  dueAt?: number,
): boolean {
  if (mr.metadata.resourceVersion !== observedFor.metadata.resourceVersion || !isSteady(mr, observation)) {
    return false;
  }
  if (mr.spec.writeConnectionSecretToRef && observation.connectionDetails) {
    // Skips the write when nothing changed; a failure takes the full path next time.
    deps.connectionSecrets.write(mr, observation.connectionDetails).catch(() => deps.enqueue(key));
  }
  deps.counted(mr.kind);
  const delay = pollDelay({
    ready: true,
    ...(mr.spec.pollInterval ? { specInterval: mr.spec.pollInterval } : {}),
    defaults: deps.poll,
    ...(deps.random ? { random: deps.random } : {}),
  });
  // From when the poll was due, not when the sweep got to it, so that the
  // sweep tick does not stretch every interval; never sooner than the minimum.
  const now = deps.clock.now();
  deps.schedule(key, Math.max(now + deps.poll.minMs, (dueAt ?? now) + delay));
  return true;
}

/** Swept observations waiting for their worker. Each is used at most once. */
export class PrefetchedObservations {
  readonly #entries = new Map<
    ResourceKey,
    { observation: Observation; at: number; resourceVersion: string | undefined }
  >();
  readonly #clock: Clock;
  readonly #maxAgeMs: number;

  constructor(clock: Clock, maxAgeMs: number) {
    this.#clock = clock;
    this.#maxAgeMs = maxAgeMs;
  }

  put(key: ResourceKey, observation: Observation, observedFor: Managed | undefined): void {
    this.#entries.set(key, {
      observation,
      at: this.#clock.now(),
      resourceVersion: observedFor?.metadata.resourceVersion,
    });
  }

  /** The observation for `mr`, if one is waiting, fresh, and about this version of it. */
  take(key: ResourceKey, mr: Managed): Observation | undefined {
    const entry = this.#entries.get(key);
    this.#entries.delete(key);
    if (!entry || this.#clock.now() - entry.at > this.#maxAgeMs) return undefined;
    // An observation compares the cloud with one version of the object. If the
    // object changed since the sweeper took it (a spec edit, a status write),
    // its drift is measured against a spec that is no longer wanted: a user's
    // own change would be reported and "corrected" as drift. Observe afresh.
    if (entry.resourceVersion !== mr.metadata.resourceVersion) return undefined;
    return entry.observation;
  }

  forget(key: ResourceKey): void {
    this.#entries.delete(key);
  }
}
