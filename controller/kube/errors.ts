// Reading Kubernetes API failures without caring which client-node path produced them. The generated
// 2.x APIs throw ApiException (`.code`, `.body` holding the apiserver's Status), Watch reports a plain
// Error with `.statusCode`, and a watch stream can carry a Status object inside an ERROR event. The
// engine only needs a few questions answered (gone? conflict? already there?) and a short message that
// is safe to log: ApiException's own message embeds every response header and the whole body, which
// is noisy and, for Secret requests, not something to copy into logs or conditions.

/** The apiserver's Status object, as far as we read it. */
export interface KubeStatus {
  kind?: string;
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
}

/** The HTTP status of a failed Kubernetes call, or undefined for network errors and the like. */
export function httpStatus(err: unknown): number | undefined {
  if (typeof err !== "object" || err === null) return undefined;
  const e = err as { code?: unknown; statusCode?: unknown; status?: unknown; body?: unknown };
  // ApiException.code is numeric; Node's system errors use string codes (ECONNREFUSED), which are skipped.
  if (typeof e.code === "number") return e.code;
  if (typeof e.statusCode === "number") return e.statusCode;
  if (typeof e.status === "number") return e.status;
  const body = statusBody(err);
  if (typeof body?.code === "number") return body.code;
  return undefined;
}

/** The Status body an ApiException carries, if it parsed as one. */
export function statusBody(err: unknown): KubeStatus | undefined {
  if (typeof err !== "object" || err === null) return undefined;
  let body = (err as { body?: unknown }).body;
  if (typeof body === "string") {
    try {
      body = JSON.parse(body);
    } catch {
      return undefined;
    }
  }
  if (typeof body !== "object" || body === null) return undefined;
  return body as KubeStatus;
}

export function isNotFound(err: unknown): boolean {
  return httpStatus(err) === 404;
}

/** 409 from an optimistic-concurrency failure (resourceVersion moved), not from a create that found a name taken. */
export function isConflict(err: unknown): boolean {
  return httpStatus(err) === 409 && statusBody(err)?.reason !== "AlreadyExists";
}

export function isAlreadyExists(err: unknown): boolean {
  return httpStatus(err) === 409 && statusBody(err)?.reason === "AlreadyExists";
}

/** 410: a watch or continue token asked for history the server no longer has; the cure is a fresh list. */
export function isGone(err: unknown): boolean {
  return httpStatus(err) === 410;
}

/** A Status object as carried by a watch ERROR event. */
export function isStatusGone(status: unknown): boolean {
  if (typeof status !== "object" || status === null) return false;
  const s = status as KubeStatus;
  return s.code === 410 || s.reason === "Expired" || s.reason === "Gone";
}

/**
 * A one-line description fit for logs and conditions: "HTTP 409 Conflict: <apiserver message>", or the
 * error's own message for network failures. Never includes headers or request bodies.
 */
export function describeError(err: unknown): string {
  const code = httpStatus(err);
  if (code !== undefined) {
    const body = statusBody(err);
    const parts = [`HTTP ${code}`];
    if (body?.reason) parts.push(body.reason);
    const head = parts.join(" ");
    return body?.message ? `${head}: ${body.message}` : head;
  }
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    const causeText = cause instanceof Error && cause.message !== err.message ? ` (${cause.message})` : "";
    return `${err.name === "Error" ? "" : `${err.name}: `}${err.message}${causeText}`;
  }
  return String(err);
}

/**
 * An apiserver error with a readable one-line message, for errors that travel on to the reconciler
 * (which copies messages into conditions). It keeps the HTTP status in `code` and the Status in
 * `body`, so every helper above still answers for it.
 */
export class KubeApiError extends Error {
  override readonly name = "KubeApiError";
  readonly code: number;
  readonly body: KubeStatus | undefined;

  constructor(message: string, code: number, body: KubeStatus | undefined, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.body = body;
  }
}

/** Rewraps an HTTP error from client-node as a KubeApiError saying what was being done; anything else passes through. */
export function wrapApiError(err: unknown, doing: string): unknown {
  if (err instanceof KubeApiError) return err;
  const code = httpStatus(err);
  if (code === undefined) return err;
  return new KubeApiError(`${doing}: ${describeError(err)}`, code, statusBody(err), { cause: err });
}
