// No blind re-sends of calls that are not idempotent. The SDK retries a call
// whose answer never came (a reset connection, a timeout) or came as a 5xx,
// and for a create that is a gamble: the first attempt may have been applied.
// AWS answers most repeated creates idempotently, but not every API does, and
// emulators do not: moto makes a second load balancer with the same name, and
// a second listener on the same port. Marked commands are re-sent by the SDK
// only when AWS answered that it did not apply them (throttling, or any other
// 4xx); after an unclear failure the error goes to the engine, whose next
// reconcile observes first and so finds whatever the lost attempt created.
import { ThrottlingErrorCodes } from "./errors.ts";

/** The error a marked command fails with when it is not re-sent. Transient: the engine retries. */
export class NotResentError extends Error {
  override readonly name = "NotResentError";
  /** The API operation, e.g. "CreateLoadBalancer". */
  readonly operation: string;
  /**
   * The SDK's error. Not `cause`: the SDK's retry strategy looks through
   * `cause` for a retryable error, and would re-send after all.
   */
  readonly sdkError: unknown;
  constructor(operation: string, sdkError: unknown) {
    const why = sdkError instanceof Error ? `${sdkError.name}: ${sdkError.message}` : String(sdkError);
    super(
      `${operation} got no clear answer (${why}) and was not sent again, because it may have been applied; ` +
        "the next reconcile looks for the resource before creating it",
    );
    this.operation = operation;
    this.sdkError = sdkError;
  }
}

interface SdkError {
  name?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: { throttling?: boolean };
}

/** AWS answered, and the answer says the call was not applied: safe to send again. */
function answeredNotApplied(err: unknown): boolean {
  const e = (err ?? {}) as SdkError;
  const status = e.$metadata?.httpStatusCode;
  if (status === 429 || e.$retryable?.throttling === true) return true;
  if (e.name !== undefined && ThrottlingErrorCodes.has(e.name)) return true;
  return status !== undefined && status < 500;
}

const MIDDLEWARE = "setpointNoBlindResend";

// Structural, so any SDK v3 command fits without depending on @smithy/types.
// biome-ignore lint/suspicious/noExplicitAny: middleware signatures differ per client.
type AnyMiddleware = any;
interface Command {
  middlewareStack: { addRelativeTo(mw: AnyMiddleware, options: AnyMiddleware): void };
}

/**
 * Marks `command` so the SDK re-sends it only after an answer that says it
 * was not applied. Sits just inside the SDK's retry loop: an unclear failure
 * becomes a NotResentError, which the retry strategy does not retry.
 */
export function withoutBlindResend<C extends Command>(command: C): C {
  const middleware =
    (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) =>
    async (args: unknown) => {
      try {
        return await next(args);
      } catch (err) {
        if (answeredNotApplied(err)) throw err;
        throw new NotResentError((context.commandName ?? "the call").replace(/Command$/, ""), err);
      }
    };
  command.middlewareStack.addRelativeTo(middleware, {
    relation: "after",
    toMiddleware: "retryMiddleware",
    name: MIDDLEWARE,
  });
  return command;
}
