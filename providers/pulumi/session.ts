// The Pulumi operations on one stack, through the automation API with setpoint's own CLI runner
// (command.ts): each call builds a workspace in the stack's folder, runs one CLI command, and turns a
// failure into an error the engine understands (errors.ts). A stack locked by an operation that died
// is recovered here, by the rules in locks.ts.
import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import type { OutputMap, Stack } from "@pulumi/pulumi/automation/index.js";
import { RetryAfterError } from "../../controller/provider.ts";
import { classifyFailure, isLocked, isStackAlreadyExists, isStackNotFound } from "./errors.ts";
import { type EngineEventLike, errorMessages } from "./events.ts";
import { judgeLock } from "./locks.ts";
import { type PulumiRuntime, rememberProgramError } from "./runtime.ts";
import { redactor, type StackTarget } from "./target.ts";

/** Lock checks allow this much difference between the lock writer's clock and ours. */
export const CLOCK_SKEW_MS = 2 * 60_000;
const DEFAULT_LEASE_DURATION_MS = 15_000;
/** A stack locked by a live operation is looked at again after this. */
const LOCKED_RETRY_SECONDS = 30;

export class StackNotFound extends Error {
  override readonly name = "StackNotFound";
}

export interface OperationResult {
  events: EngineEventLike[];
}

export interface UpOutcome extends OperationResult {
  outputs: OutputMap;
  changes: Record<string, number>;
}

export class StackSession {
  readonly #rt: PulumiRuntime;
  readonly #t: StackTarget;
  readonly #redact: (text: string) => string;
  /** What the program threw in the operation running now, if it threw. */
  #programError: unknown;

  constructor(rt: PulumiRuntime, target: StackTarget) {
    this.#rt = rt;
    this.#t = target;
    this.#redact = redactor(target.secrets);
  }

  get redact(): (text: string) => string {
    return this.#redact;
  }

  /** The stack's tags; undefined when the stack does not exist. */
  async tags(): Promise<Record<string, string> | undefined> {
    try {
      return await this.#call("stack tag ls", (s) => s.workspace.listTags(this.#t.stack));
    } catch (err) {
      if (err instanceof StackNotFound) return undefined;
      throw err;
    }
  }

  async setTags(tags: Record<string, string>): Promise<void> {
    for (const [k, v] of Object.entries(tags))
      await this.#call("stack tag set", (s) => s.workspace.setTag(this.#t.stack, k, v));
  }

  /** `pulumi stack init`; a stack that exists already (a create retried after a lost answer) is fine. */
  async init(): Promise<void> {
    const ws = await this.#workspace();
    try {
      await ws.createStack(this.#t.stack);
    } catch (err) {
      if (!isStackAlreadyExists(err)) throw this.#failure("stack init", err, []);
    }
  }

  /** A refresh that changes nothing: the cloud compared with the state. The poll. */
  refreshPreview(): Promise<OperationResult> {
    return this.#operation("refresh --preview-only", (s, o) => s.previewRefresh(o));
  }

  /** The program run against the refreshed state, changing nothing: a plan. */
  async preview(): Promise<OperationResult> {
    await this.ensureConfig();
    return this.#rt.programSlot.run(() =>
      this.#operation("preview --refresh", (s, o) => s.preview({ ...o, refresh: true })),
    );
  }

  async up(refresh: boolean): Promise<UpOutcome> {
    await this.ensureConfig();
    let outputs: OutputMap = {};
    let changes: Record<string, number> = {};
    const result = await this.#rt.programSlot.run(() =>
      this.#operation(refresh ? "up --refresh" : "up", async (s, o) => {
        const r = await s.up({ ...o, refresh });
        outputs = r.outputs;
        changes = Object.fromEntries(
          Object.entries(r.summary.resourceChanges ?? {}).filter(([op, n]) => op !== "same" && (n ?? 0) > 0),
        ) as Record<string, number>;
      }),
    );
    return { ...result, outputs, changes };
  }

  /** Deletes every resource of the stack, then the stack itself (its state and tags). */
  destroy(): Promise<OperationResult> {
    return this.#operation("destroy", (s, o) => s.destroy({ ...o, remove: true }));
  }

  async outputs(): Promise<OutputMap> {
    return this.#call("stack output", (s) => s.outputs());
  }

  /**
   * Sets the stack's config in its workspace, once per change. Keys the spec no longer has must go too,
   * so a change rewrites the whole file.
   */
  async ensureConfig(): Promise<void> {
    const file = join(this.#t.workDir, `Pulumi.${this.#t.stack}.yaml`);
    const want = this.#t.desired.config + this.#t.desired.secrets;
    if (this.#rt.configSet.get(this.#t.key) === want && existsSync(file)) return;
    await rm(file, { force: true });
    await this.#call("config set-all", (s) => s.setAllConfig(this.#t.config));
    this.#rt.configSet.set(this.#t.key, want);
  }

  async #workspace() {
    const { LocalWorkspace } = this.#rt.sdk.automation;
    return LocalWorkspace.create({
      workDir: this.#t.workDir,
      pulumiHome: this.#t.home,
      envVars: this.#t.env,
      // The runner has the automation API's command interface (command, version, run).
      pulumiCommand: this.#rt.cli as never,
      projectSettings: { name: this.#t.project, runtime: "nodejs", backend: { url: this.#t.backendUrl } },
      program: async () => {
        const run = this.#t.program.run;
        if (!run) throw new Error(`program ${this.#t.program.name} is not loaded`);
        try {
          return (await run()) ?? {};
        } catch (err) {
          // Not rethrown: a program that throws leaves the SDK's stack-outputs promise rejected with no
          // handler once the operation has failed (an unhandled rejection, fatal by Node's default). An
          // error logged through the SDK fails the operation just as well ("One or more errors
          // occurred"), and the exception itself is kept for errors.ts to classify.
          this.#programError = err;
          rememberProgramError(err);
          const e = err as { name?: string; message?: string };
          this.#rt.sdk.log.error(
            this.#redact(`the program failed: ${e.name ?? "Error"}: ${e.message ?? String(err)}`),
          );
          return {};
        }
      },
    });
  }

  async #stack(): Promise<Stack> {
    return this.#rt.sdk.automation.Stack.select(this.#t.stack, await this.#workspace());
  }

  /** A short command (tags, config, outputs). */
  async #call<T>(what: string, fn: (s: Stack) => Promise<T>): Promise<T> {
    try {
      return await fn(await this.#stack());
    } catch (err) {
      throw this.#failure(what, err, []);
    }
  }

  /** An engine operation: events collected, a timeout, and this stack marked as running meanwhile. */
  async #operation(
    what: string,
    fn: (s: Stack, o: { onEvent: (e: EngineEventLike) => void; signal: AbortSignal }) => Promise<unknown>,
  ): Promise<OperationResult> {
    const events: EngineEventLike[] = [];
    const key = this.#t.key;
    const running = this.#rt.running;
    running.set(key, (running.get(key) ?? 0) + 1);
    const started = Date.now();
    this.#programError = undefined;
    try {
      const stack = await this.#stack();
      await fn(stack, {
        onEvent: (e) => events.push(e),
        signal: AbortSignal.timeout(this.#rt.operationTimeoutMs),
      });
      this.#rt.log?.debug({ stack: key, operation: what, ms: Date.now() - started }, "pulumi operation");
      return { events };
    } catch (err) {
      if (isLocked(err)) throw await this.#recoverLocks();
      throw this.#failure(what, err, errorMessages(events));
    } finally {
      const n = (running.get(key) ?? 1) - 1;
      if (n > 0) running.set(key, n);
      else running.delete(key);
    }
  }

  #failure(what: string, err: unknown, diagnostics: string[]): Error {
    if (err instanceof StackNotFound || err instanceof RetryAfterError) return err;
    if (isStackNotFound(err))
      return new StackNotFound(`stack ${this.#t.key} does not exist in ${this.#t.backendLabel}`);
    const programError = this.#programError;
    this.#programError = undefined;
    return classifyFailure({
      operation: what,
      error: err,
      diagnostics,
      ...(programError !== undefined ? { programError } : {}),
      redact: this.#redact,
    });
  }

  /**
   * The stack is locked: removes the locks that cannot belong to a live operation and asks the engine
   * to look again soon; otherwise to wait. Returns the error to throw.
   */
  async #recoverLocks(): Promise<Error> {
    const { project, stack } = this.#t;
    const locks = await this.#t.locks.list(project, stack);
    const rules = {
      now: Date.now(),
      hostname: this.#rt.hostname,
      processStartedAt: this.#rt.startedAt,
      operationTimeoutMs: this.#rt.operationTimeoutMs,
      leaseDurationMs: this.#rt.options.leaseDurationMs ?? DEFAULT_LEASE_DURATION_MS,
      clockSkewMs: CLOCK_SKEW_MS,
      // This operation is one; another of this process's on the stack would make two.
      running: (this.#rt.running.get(this.#t.key) ?? 0) > 1,
    };
    const live: string[] = [];
    let removed = 0;
    for (const lock of locks) {
      const verdict = judgeLock(lock, rules);
      if (!verdict.stale) {
        live.push(verdict.why);
        continue;
      }
      if (this.#t.readOnly) {
        live.push(
          `${verdict.why} (stale, but managementPolicies allow no change, so setpoint does not remove it: remove ${lock.key} or allow Update)`,
        );
        continue;
      }
      await this.#t.locks.remove(lock);
      removed++;
      this.#rt.log?.warn(
        { stack: this.#t.key, lock: lock.key, why: verdict.why },
        "removed a stale Pulumi stack lock",
      );
    }
    if (live.length > 0) {
      return new RetryAfterError(
        `stack ${this.#t.key} is locked by another operation: ${live.join("; ")}`,
        LOCKED_RETRY_SECONDS,
      );
    }
    return new RetryAfterError(
      `stack ${this.#t.key} was locked by ${removed === 0 ? "an operation that has ended" : `${removed} stale lock(s), now removed`}`,
      1,
    );
  }
}
