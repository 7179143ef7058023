// A token bucket: `burst` tokens at most, refilled continuously at
// `ratePerSecond`. It starts full. Waiters are served strictly first come,
// first served, and tryTake() never jumps the line.
import { type Clock, realClock, type Timer } from "../clock.ts";

export interface TokenBucketOptions {
  /** Sustained rate, in tokens per second. Must be > 0. */
  ratePerSecond: number;
  /** Bucket size: how many tokens can be taken at once after a quiet spell. Must be >= 1. */
  burst: number;
  clock?: Clock;
}

interface Waiter {
  resolve: () => void;
  reject: (reason: unknown) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

// Refill arithmetic is floating point; a waiter woken at the computed instant
// may see 0.9999999 tokens. Anything this close to a whole token counts as one.
const EPSILON = 1e-9;

export class TokenBucket {
  readonly ratePerSecond: number;
  readonly burst: number;
  readonly #clock: Clock;
  #tokens: number;
  #updatedAt: number;
  readonly #waiters: Waiter[] = [];
  #timer: Timer | undefined;

  constructor(options: TokenBucketOptions) {
    if (!(options.ratePerSecond > 0) || !Number.isFinite(options.ratePerSecond)) {
      throw new RangeError(
        `token bucket ratePerSecond must be a positive number, got ${options.ratePerSecond}`,
      );
    }
    if (!(options.burst >= 1) || !Number.isFinite(options.burst)) {
      throw new RangeError(`token bucket burst must be at least 1, got ${options.burst}`);
    }
    this.ratePerSecond = options.ratePerSecond;
    this.burst = options.burst;
    this.#clock = options.clock ?? realClock;
    this.#tokens = options.burst;
    this.#updatedAt = this.#clock.now();
  }

  /** Tokens available right now (fractional while refilling). */
  available(): number {
    this.#refill();
    return this.#tokens;
  }

  /** Callers waiting in take(). */
  waiting(): number {
    return this.#waiters.length;
  }

  /** Takes a token if one is free and nobody is waiting ahead; never waits. */
  tryTake(): boolean {
    if (this.#waiters.length > 0) return false;
    this.#refill();
    if (this.#tokens < 1 - EPSILON) return false;
    this.#tokens -= 1;
    return true;
  }

  /** Resolves once a token is taken for the caller; rejects with the signal's reason if aborted first. */
  take(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.tryTake()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject };
      if (signal) {
        waiter.signal = signal;
        waiter.onAbort = () => this.#abandon(waiter);
        signal.addEventListener("abort", waiter.onAbort, { once: true });
      }
      this.#waiters.push(waiter);
      this.#schedule();
    });
  }

  #refill(): void {
    const now = this.#clock.now();
    const elapsed = now - this.#updatedAt;
    if (elapsed > 0) {
      this.#tokens = Math.min(this.burst, this.#tokens + (elapsed * this.ratePerSecond) / 1000);
    }
    this.#updatedAt = now;
  }

  /** Hands tokens to waiters in order, then sleeps until the next token if anyone is left. */
  #serve(): void {
    this.#timer = undefined;
    this.#refill();
    while (this.#waiters.length > 0 && this.#tokens >= 1 - EPSILON) {
      this.#tokens = Math.max(0, this.#tokens - 1);
      const waiter = this.#waiters.shift()!;
      if (waiter.onAbort) waiter.signal?.removeEventListener("abort", waiter.onAbort);
      waiter.resolve();
    }
    this.#schedule();
  }

  #schedule(): void {
    if (this.#timer !== undefined || this.#waiters.length === 0) return;
    this.#refill();
    const missing = Math.max(0, 1 - this.#tokens);
    const ms = Math.ceil((missing * 1000) / this.ratePerSecond);
    this.#timer = this.#clock.setTimeout(() => this.#serve(), ms);
  }

  #abandon(waiter: Waiter): void {
    const index = this.#waiters.indexOf(waiter);
    if (index < 0) return;
    this.#waiters.splice(index, 1);
    waiter.reject(waiter.signal?.reason);
    if (this.#waiters.length === 0) {
      this.#timer?.cancel();
      this.#timer = undefined;
    }
  }
}
