// When to look at a resource in the cloud again. The cloud has no watch, so
// every resource is polled: slowly once it is steady, faster while it
// converges, always with jitter so 10,000 resources created together do not
// poll in lockstep forever.
import { MIN_POLL_INTERVAL_SECONDS } from "../api/index.ts";

export interface PollDefaults {
  /** Interval for a Ready resource with no spec.pollInterval (the controller's --poll-interval). */
  steadyMs: number;
  /** Interval while a resource is not Ready or the cloud is still working on it. */
  convergingMs: number;
  /** No poll is ever scheduled sooner than this. */
  minMs: number;
}

export const DEFAULT_POLL: PollDefaults = {
  steadyMs: 60_000,
  convergingMs: 10_000,
  minMs: MIN_POLL_INTERVAL_SECONDS * 1000,
};

/** Each delay is spread uniformly over ±10% of its base. */
export const POLL_JITTER = 0.1;

export interface PollDelayInput {
  ready: boolean;
  /** The cloud is busy with the resource (creating, modifying, deleting). */
  inProgress?: boolean;
  /** spec.pollInterval, a Go-style duration such as "30s"; overrides defaults.steadyMs. */
  specInterval?: string;
  defaults?: PollDefaults;
  /** Source of jitter in [0, 1). */
  random?: () => number;
}

/**
 * Milliseconds until the next poll. A Ready resource that the cloud is not
 * busy with polls at its steady interval (spec.pollInterval, else the
 * default); any other resource polls at the converging interval, or the
 * steady one if that is shorter. The result is jittered by ±10% and never
 * below defaults.minMs. Throws DurationError for a malformed specInterval
 * (the CRD schema already rejects those).
 */
export function pollDelay(input: PollDelayInput): number {
  const defaults = input.defaults ?? DEFAULT_POLL;
  const random = input.random ?? Math.random;
  const steady = input.specInterval === undefined ? defaults.steadyMs : parseDuration(input.specInterval);
  const settled = input.ready && !input.inProgress;
  // Clamp before jitter too, so intervals below the minimum are still spread out.
  const base = Math.max(defaults.minMs, settled ? steady : Math.min(defaults.convergingMs, steady));
  const jittered = base * (1 - POLL_JITTER + 2 * POLL_JITTER * random());
  return Math.round(Math.max(defaults.minMs, jittered));
}

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds as the shortest duration parseDuration reads back exactly: 300000 → "5m", 0 → "0s". */
export function formatDuration(ms: number): string {
  if (ms === 0) return "0s";
  for (const unit of ["h", "m", "s"]) {
    const size = UNIT_MS[unit]!;
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

const EXAMPLES = 'use numbers with units ms, s, m or h, e.g. "30s", "5m" or "1h30m"';

export class DurationError extends Error {
  override readonly name = "DurationError";
}

/**
 * Parses a Go-style duration ("300ms", "30s", "1.5m", "1h30m") into whole
 * milliseconds (rounded). Accepts exactly what DURATION_PATTERN in
 * controller/api/managed.ts accepts: one or more number-unit pairs, no
 * sign, no spaces, no bare number (not even "0").
 */
export function parseDuration(text: string): number {
  function fail(why: string): never {
    throw new DurationError(`invalid duration ${JSON.stringify(text)}: ${why}; ${EXAMPLES}`);
  }
  if (text.length === 0) fail("it is empty");

  let totalMs = 0;
  let rest = text;
  while (rest.length > 0) {
    // Split off a number and the unit after it, loosely, so errors can say which part is wrong.
    const [, num = "", unit = ""] = /^([0-9.]*)([^0-9.]*)/.exec(rest) ?? [];
    if (num === "") fail(`expected a number at ${JSON.stringify(rest)}`);
    if (!/^[0-9]+(\.[0-9]+)?$/.test(num)) fail(`malformed number ${JSON.stringify(num)}`);
    if (unit === "") fail(`missing unit after ${JSON.stringify(num)}`);
    const unitMs = UNIT_MS[unit];
    if (unitMs === undefined) fail(`unknown unit ${JSON.stringify(unit)}`);
    totalMs += Number(num) * unitMs;
    rest = rest.slice(num.length + unit.length);
  }
  if (totalMs > Number.MAX_SAFE_INTEGER) fail("it is too large");
  return Math.round(totalMs);
}
