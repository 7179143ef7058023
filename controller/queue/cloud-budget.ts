// The shared budget for cloud API calls: one token bucket per account,
// region and service, shared by every resource, so that however many
// resources reconcile at once, setpoint stays under AWS's own throttling.
// Which services exist and what each may cost is the providers' knowledge:
// each declares its services' default budgets (Provider.services), and
// operators override them per service.
import { type Clock, realClock } from "../clock.ts";
import type { BudgetLimits, CloudCallBudget, CloudCallKey } from "../provider.ts";
import { TokenBucket } from "./token-bucket.ts";

export type BucketLimits = BudgetLimits;

/** For services no provider declared (for example an sts lookup): deliberately modest. */
export const DEFAULT_FALLBACK_LIMITS: BucketLimits = { burst: 10, ratePerSecond: 5 };

export interface CloudBudgetOptions {
  /** Default limits per service, as the providers declare them. */
  defaults?: Readonly<Record<string, BucketLimits>>;
  /** Per-service overrides, merged over the defaults field by field. */
  limits?: Record<string, Partial<BucketLimits>>;
  /** Limits for services with neither a default nor an override. */
  fallback?: BucketLimits;
  clock?: Clock;
  /**
   * Called once per allowed call, when its budget has been granted, with how
   * long it waited for it; the place to count calls per operation.
   */
  onCall?(key: CloudCallKey, waitedMs: number): void;
}

/** The budget key: account, region and service (the operation is not part of it). */
export function budgetKey(key: Pick<CloudCallKey, "account" | "region" | "service">): string {
  // Accounts may contain "/" (e.g. "secret:ns/name"); regions and services
  // never do, so the key still reads unambiguously from the right.
  return `${key.account}/${key.region}/${key.service}`;
}

export class CloudBudget implements CloudCallBudget {
  readonly #buckets = new Map<string, TokenBucket>();
  readonly #limits: Record<string, BucketLimits>;
  readonly #fallback: BucketLimits;
  readonly #clock: Clock;
  readonly #onCall: CloudBudgetOptions["onCall"];

  constructor(options: CloudBudgetOptions = {}) {
    const limits: Record<string, BucketLimits> = { ...options.defaults };
    for (const [service, override] of Object.entries(options.limits ?? {})) {
      limits[service] = { ...(limits[service] ?? options.fallback ?? DEFAULT_FALLBACK_LIMITS), ...override };
    }
    this.#limits = limits;
    this.#fallback = options.fallback ?? DEFAULT_FALLBACK_LIMITS;
    this.#clock = options.clock ?? realClock;
    this.#onCall = options.onCall;
    // Fail at startup on a bad override rather than on the first call.
    for (const [service, l] of Object.entries(limits)) this.#validate(service, l);
    this.#validate("fallback", this.#fallback);
  }

  /** The limits that apply to a service. */
  limitsFor(service: string): BucketLimits {
    return this.#limits[service] ?? this.#fallback;
  }

  /** Waits for one call's worth of budget for the key's account, region and service, then counts the call. */
  async take(key: CloudCallKey, signal?: AbortSignal): Promise<void> {
    const bucket = this.#bucket(key);
    const startedAt = this.#clock.now();
    await bucket.take(signal);
    try {
      this.#onCall?.(key, this.#clock.now() - startedAt);
    } catch {
      // A failing metrics hook must not fail the cloud call it counts.
    }
  }

  /** Calls that could be made right now without waiting, for a key's bucket. */
  available(key: Pick<CloudCallKey, "account" | "region" | "service">): number {
    return this.#bucket(key).available();
  }

  #bucket(key: Pick<CloudCallKey, "account" | "region" | "service">): TokenBucket {
    const id = budgetKey(key);
    let bucket = this.#buckets.get(id);
    if (bucket === undefined) {
      const limits = this.limitsFor(key.service);
      bucket = new TokenBucket({ ...limits, clock: this.#clock });
      this.#buckets.set(id, bucket);
    }
    return bucket;
  }

  #validate(service: string, limits: BucketLimits): void {
    if (!(limits.ratePerSecond > 0) || !(limits.burst >= 1)) {
      throw new RangeError(
        `cloud budget for ${service}: ratePerSecond must be > 0 and burst >= 1, got ${limits.ratePerSecond} and ${limits.burst}`,
      );
    }
  }
}
