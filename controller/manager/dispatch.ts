// Result dispatch: what happens to a key after its reconcile. The outcome
// decides between the poll sweeper (steady, batched kinds), a delayed add
// (converging, terminal, or a provider's retry-after), a rate-limited retry
// with backoff, or nothing (done).
import type { Managed } from "../api/managed.ts";
import { type PollDefaults, pollDelay } from "../poll/schedule.ts";
import type { ReconcileOutcome } from "../reconciler/managed.ts";

export type NextStep =
  /** Forget the backoff and poll through the sweeper at `dueAt`. */
  | { to: "sweeper"; dueAt: number }
  /** Forget the backoff and add the key again after `delayMs`. */
  | { to: "later"; delayMs: number }
  /** Retry with the key's growing backoff. */
  | { to: "backoff" }
  /** Nothing more to do for the key. */
  | { to: "nowhere" };

export interface DispatchContext {
  /** The object as it was reconciled (for spec.pollInterval). */
  mr: Managed;
  /** The kind polls through the sweeper's batched observation. */
  batched: boolean;
  now: number;
  poll: PollDefaults;
  terminalRetryMs: number;
  random?: () => number;
}

/** The metric label of an outcome. */
export function resultOf(outcome: ReconcileOutcome): "success" | "error" | "terminal" | "retry-after" {
  switch (outcome.kind) {
    case "poll":
    case "done":
      return "success";
    case "retry":
      return "error";
    case "retry-after":
      return "retry-after";
    case "terminal":
      return "terminal";
  }
}

export function nextStep(outcome: ReconcileOutcome, ctx: DispatchContext): NextStep {
  switch (outcome.kind) {
    case "poll": {
      const delayMs = pollDelay({
        ready: outcome.ready,
        inProgress: outcome.inProgress,
        ...(ctx.mr.spec.pollInterval ? { specInterval: ctx.mr.spec.pollInterval } : {}),
        defaults: ctx.poll,
        ...(ctx.random ? { random: ctx.random } : {}),
      });
      return ctx.batched && outcome.ready && !outcome.inProgress
        ? { to: "sweeper", dueAt: ctx.now + delayMs }
        : { to: "later", delayMs };
    }
    case "retry":
      return { to: "backoff" };
    case "retry-after":
      // The provider named the delay: no backoff growth, and none left over.
      return { to: "later", delayMs: outcome.delayMs };
    case "terminal":
      return { to: "later", delayMs: ctx.terminalRetryMs };
    case "done":
      return { to: "nowhere" };
  }
}

export interface DispatchTargets<K> {
  forget(key: K): void;
  addAfter(key: K, delayMs: number): void;
  addRateLimited(key: K): void;
  schedule(key: K, dueAt: number): void;
  cancelSweep(key: K): void;
}

export function applyNextStep<K>(key: K, next: NextStep, to: DispatchTargets<K>): void {
  switch (next.to) {
    case "sweeper":
      to.forget(key);
      to.schedule(key, next.dueAt);
      return;
    case "later":
      // A poll, retry-after or terminal wait replaces any sweep still scheduled.
      to.cancelSweep(key);
      to.forget(key);
      to.addAfter(key, next.delayMs);
      return;
    case "backoff":
      to.cancelSweep(key);
      to.addRateLimited(key);
      return;
    case "nowhere":
      to.cancelSweep(key);
      to.forget(key);
      return;
  }
}
