// Every default of the manager and of `setpoint run`, defined once. The CLI
// shows these as its flags' defaults; the manager applies them to whatever
// a caller leaves out.
import { DEFAULT_POLL, type PollDefaults } from "../poll/schedule.ts";

export const DEFAULTS = {
  /** Most reconciles at once. */
  concurrency: 16,
  /** Reconciles started per second; the burst is twice that. */
  maxReconcileRate: 50,
  poll: DEFAULT_POLL satisfies PollDefaults,
  /** How long a terminal error waits before the next try, unless the spec changes first. */
  terminalRetryMs: 5 * 60_000,
  sweep: {
    // Waiting up to 5s lets a sweep gather more due resources into one
    // batch; it stays within the "poll interval + 5s" correction promise.
    intervalMs: 5000,
    batchSize: 100,
    maxPerTick: 2000,
  },
  /** A batched observation older than this is not trusted over a fresh one. */
  prefetchedMaxAgeMs: 10_000,
  leaderElection: { namespace: "default", name: "setpoint-controller" },
  metricsAddress: "0.0.0.0:8080",
  /** 0: an idle fleet makes no status writes at all. */
  statusHeartbeatMs: 0,
} as const;

/** The global reconcile rate limit for a given rate: bursts of twice the rate. */
export function rateLimitFor(perSecond: number): { qps: number; burst: number } {
  return { qps: perSecond, burst: perSecond * 2 };
}
