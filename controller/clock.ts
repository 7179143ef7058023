// Time, as the engine sees it. Everything that waits (the work queue, token
// buckets, poll scheduling) takes a Clock, so tests can drive time by hand
// with FakeClock instead of sleeping.

/** A scheduled callback; cancel() is safe to call at any time, including after it fired. */
export interface Timer {
  cancel(): void;
}

export interface Clock {
  /** Milliseconds since the epoch (real clock) or since the fake clock's start. */
  now(): number;
  /** Calls `callback` once, `ms` milliseconds from now (at once for ms <= 0, but never synchronously). */
  setTimeout(callback: () => void, ms: number): Timer;
  /** Resolves after `ms`; rejects with the signal's reason if it is aborted first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** Builds sleep() from setTimeout(), so both clocks share one abort behaviour. */
function sleepOn(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      timer.cancel();
      reject(signal?.reason);
    };
    const timer = clock.setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

// Node turns a delay above 2^31-1 ms into 1 ms. Long delays are chained
// instead, so a "10h" or "30d" interval means what it says.
const MAX_NODE_DELAY_MS = 2 ** 31 - 1;

export class RealClock implements Clock {
  now(): number {
    return Date.now();
  }

  setTimeout(callback: () => void, ms: number): Timer {
    const due = Date.now() + ms;
    let handle: ReturnType<typeof setTimeout>;
    const arm = (delay: number) => {
      handle = setTimeout(
        () => {
          const left = due - Date.now();
          if (left > 0) arm(left);
          else callback();
        },
        Math.max(0, Math.min(delay, MAX_NODE_DELAY_MS)),
      );
    };
    arm(ms);
    return { cancel: () => clearTimeout(handle) };
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepOn(this, ms, signal);
  }
}

/** The process-wide real clock. */
export const realClock: Clock = new RealClock();

interface FakeTimer {
  due: number;
  /** Insertion order, so timers due at the same instant fire in the order they were set. */
  seq: number;
  callback: () => void;
  cancelled: boolean;
}

/**
 * A clock that only moves when a test says so. advance(ms) fires every timer
 * that falls due, in due order, with now() set to each timer's due time, and
 * lets promise chains run between timers, so async code reacts to one timer
 * before the next one fires, as it would in real time.
 */
export class FakeClock implements Clock {
  #now: number;
  #seq = 0;
  #timers: FakeTimer[] = [];

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, ms: number): Timer {
    const timer: FakeTimer = {
      due: this.#now + Math.max(0, ms),
      seq: this.#seq++,
      callback,
      cancelled: false,
    };
    this.#timers.push(timer);
    return {
      cancel: () => {
        timer.cancelled = true;
      },
    };
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepOn(this, ms, signal);
  }

  /** Timers still to fire. */
  pendingTimers(): number {
    this.#dropCancelled();
    return this.#timers.length;
  }

  /** When the next timer is due, or undefined when none is pending. */
  nextDue(): number | undefined {
    return this.#earliest()?.due;
  }

  /** Moves time forward by `ms`, firing due timers (including ones set by fired timers) on the way. */
  async advance(ms: number): Promise<void> {
    if (ms < 0) throw new RangeError(`FakeClock cannot go back in time (advance(${ms}))`);
    const target = this.#now + ms;
    await this.settle();
    for (;;) {
      const next = this.#earliest();
      if (next === undefined || next.due > target) break;
      this.#timers.splice(this.#timers.indexOf(next), 1);
      this.#now = next.due;
      next.callback();
      await this.settle();
    }
    this.#now = target;
    await this.settle();
  }

  /** Advances to the next pending timer and fires it (and any due with it). Returns false when none is left. */
  async advanceToNext(): Promise<boolean> {
    await this.settle();
    const due = this.nextDue();
    if (due === undefined) return false;
    await this.advance(due - this.#now);
    return true;
  }

  /**
   * Lets pending promise callbacks run without moving time. One macrotask
   * turn drains the whole microtask queue, including callbacks that queue
   * more; a few turns also cover code that hops through setImmediate.
   */
  async settle(turns = 3): Promise<void> {
    for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
  }

  #dropCancelled(): void {
    if (this.#timers.some((t) => t.cancelled)) this.#timers = this.#timers.filter((t) => !t.cancelled);
  }

  #earliest(): FakeTimer | undefined {
    this.#dropCancelled();
    let best: FakeTimer | undefined;
    for (const t of this.#timers) {
      if (best === undefined || t.due < best.due || (t.due === best.due && t.seq < best.seq)) best = t;
    }
    return best;
  }
}
