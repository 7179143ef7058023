// Retry spacing for the connections this package keeps open to the apiserver (list+watch, lease renewals).
// When the apiserver restarts, every replica and every reflector reconnects at once; exponential growth
// keeps a broken apiserver from being hammered, and jitter spreads the herd so the reconnects do not
// arrive in lockstep. The figures follow client-go's reflector (800ms doubling to 30s).

export interface BackoffOptions {
  /** Delay before the first retry. */
  initialMs: number;
  /** Upper bound for the un-jittered delay. */
  maxMs: number;
  /** Growth per attempt. */
  factor: number;
  /** Fraction of the delay that is randomised: 0.5 means the delay lands in [d, d*1.5). */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 800, maxMs: 30_000, factor: 2, jitter: 0.5 };

/** The delay before retry number `attempt` (0-based), for a random draw `rand` in [0, 1). Pure. */
export function backoffDelay(attempt: number, opts: BackoffOptions, rand: number): number {
  const base = Math.min(opts.maxMs, opts.initialMs * opts.factor ** Math.max(0, attempt));
  return Math.round(base * (1 + opts.jitter * rand));
}

/** A retry counter: next() yields growing delays until reset() after a success. */
export class Backoff {
  readonly #opts: BackoffOptions;
  readonly #random: () => number;
  #attempt = 0;

  constructor(opts: Partial<BackoffOptions> = {}, random: () => number = Math.random) {
    this.#opts = { ...DEFAULT_BACKOFF, ...opts };
    this.#random = random;
  }

  next(): number {
    return backoffDelay(this.#attempt++, this.#opts, this.#random());
  }

  reset(): void {
    this.#attempt = 0;
  }

  /** Failures since the last reset. */
  get attempts(): number {
    return this.#attempt;
  }
}
