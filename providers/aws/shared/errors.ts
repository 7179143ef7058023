// Sorting AWS errors into terminal (the user must change something first)
// and transient (retry with backoff). Only codes a caller names, plus the
// credential failures every service shares, become terminal: an unknown error
// stays transient, because retrying a terminal error costs a few calls while
// giving up on a transient one leaves a resource broken.
import { TerminalError } from "../../../controller/provider.ts";

/** Codes setpoint itself raises while resolving a connection or guarding a resource. */
export const SetpointCodes = {
  ProviderConfigNotFound: "ProviderConfigNotFound",
  ProviderConfigInvalid: "ProviderConfigInvalid",
  CredentialsSecretNotFound: "CredentialsSecretNotFound",
  CredentialsSecretInvalid: "CredentialsSecretInvalid",
  ForeignOwner: "ForeignOwner",
  MissingExternalName: "MissingExternalName",
} as const;

/**
 * Credential and permission failures shared by all AWS query/JSON services.
 * They need a fix in the ProviderConfig, its Secret or IAM, not a fast retry.
 */
export const AuthErrorCodes: ReadonlySet<string> = new Set([
  "InvalidClientTokenId",
  "UnrecognizedClientException",
  "SignatureDoesNotMatch",
  "IncompleteSignature",
  "MissingAuthenticationToken",
  "AccessDenied",
  "AccessDeniedException",
  "AuthFailure",
  "ExpiredToken",
  "ExpiredTokenException",
  "OptInRequired",
]);

/** Throttling codes; transient, listed so callers and tests can recognise them. */
export const ThrottlingErrorCodes: ReadonlySet<string> = new Set([
  "Throttling",
  "ThrottlingException",
  "ThrottledException",
  "RequestThrottled",
  "RequestThrottledException",
  "TooManyRequestsException",
  "RequestLimitExceeded",
  "SlowDown",
]);

/** The AWS error code (the SDK's exception name), or undefined for non-AWS errors. */
export function awsErrorCode(err: unknown): string | undefined {
  if (typeof err !== "object" || err === null) return undefined;
  const e = err as { name?: unknown; Code?: unknown; $metadata?: unknown };
  // SDK v3 exceptions carry $metadata; the name is the modelled code, and
  // unmodelled codes (moto, new AWS codes) still arrive as the name.
  if (e.$metadata === undefined) return undefined;
  if (typeof e.name === "string" && e.name !== "Error") return e.name;
  if (typeof e.Code === "string") return e.Code;
  return undefined;
}

/** True when `err` is an AWS error with one of the given codes. */
export function isAwsError(err: unknown, ...codes: string[]): boolean {
  const code = awsErrorCode(err);
  return code !== undefined && codes.includes(code);
}

/**
 * Returns the error to throw: a TerminalError (code = AWS code, message =
 * AWS message) when the code is in `terminalCodes` or is a credential
 * failure, otherwise `err` unchanged (throttling, 5xx and network errors are
 * transient). Use as `throw classifyAwsError(err, CODES)`.
 */
export function classifyAwsError(err: unknown, terminalCodes: ReadonlySet<string>): unknown {
  if (err instanceof TerminalError) return err;
  const code = awsErrorCode(err);
  if (code === undefined) return err;
  if (!terminalCodes.has(code) && !AuthErrorCodes.has(code)) return err;
  const message = err instanceof Error && err.message ? err.message : code;
  return new TerminalError(code, `${code}: ${message}`, { cause: err });
}

/**
 * A sender for one service's SDK calls: runs the call and throws its error
 * classified by `terminalCodes` (classifyAwsError), so each client method is
 * one line and none forgets to classify.
 */
export function classifiedSender(terminalCodes: ReadonlySet<string>) {
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      throw classifyAwsError(err, terminalCodes);
    }
  };
}
