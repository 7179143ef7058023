// Per-key exponential backoff with equal jitter.
//
// Equal jitter: for the n-th consecutive failure (n = 0, 1, ...) the ceiling
// is d = min(cap, base * 2^n) and the delay is d/2 + random * d/2, so it lies
// between d/2 and d. Compared with full jitter (random * d), it still spreads
// retries out so throttled resources do not retry in lockstep, but it keeps a
// floor: a resource the cloud just throttled never retries at once.

export interface BackoffOptions {
  /** Ceiling of the first retry's delay. */
  baseMs: number;
  /** Largest ceiling, reached after enough consecutive failures. */
  capMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 500, capMs: 5 * 60_000 };

/** The delay's ceiling for the failure numbered `failures` (0 for the first). */
export function backoffCeiling(failures: number, options: BackoffOptions = DEFAULT_BACKOFF): number {
  // 2^64 already dwarfs any cap; limiting the exponent avoids Infinity * 0 style surprises.
  const exponent = Math.min(Math.max(0, failures), 64);
  return Math.min(options.capMs, options.baseMs * 2 ** exponent);
}

/** The jittered delay for the failure numbered `failures`: whole ms between ceiling/2 and ceiling. */
export function backoffDelay(
  failures: number,
  random: () => number = Math.random,
  options: BackoffOptions = DEFAULT_BACKOFF,
): number {
  const ceiling = backoffCeiling(failures, options);
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
