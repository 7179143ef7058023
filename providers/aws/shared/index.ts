// Shared AWS plumbing for every AWS provider (rds, elbv2, ...). Small and
// stable on purpose; providers import only from this file.
//
// - resolveAwsConnection(mr, ctx) → AwsConnection {region, endpoint?,
//   credentials?, account, key, budget?}: reads the ProviderConfig named by
//   spec.providerConfigRef and its credentials Secret. Throws TerminalError
//   ProviderConfigNotFound | ProviderConfigInvalid | CredentialsSecretNotFound
//   | CredentialsSecretInvalid. awsConnectionKey(mr, ctx) gives conn.key alone
//   (use it for Provider.connectionKey).
// - sharedClient(conn, "rds", (cfg) => new RDSClient(cfg)): one SDK client per
//   conn.key and service, standard retry mode with SDK_MAX_ATTEMPTS attempts,
//   and a middleware that awaits ctx.budget.take({account, region, service,
//   operation}) before every HTTP attempt. Never destroy it per resource.
//   setAwsRequestTimeout(ms) changes every client's request timeout
//   (SDK_REQUEST_TIMEOUT_MS by default; `setpoint run --aws-request-timeout`).
// - classifyAwsError(err, terminalCodes): returns the error to throw, a
//   TerminalError (code = AWS code) for terminal codes and credential
//   failures (AuthErrorCodes), else err unchanged (transient).
//   classifiedSender(terminalCodes) wraps SDK calls with it.
//   awsErrorCode / isAwsError read the AWS code. SetpointCodes names our own.
// - Tags: ownerTags(mr), desiredTags(mr, userTags), ownershipFromTags,
//   tagListToMap / tagMapToList, diffTags(desired, observed, {authoritative})
//   → {set, remove} ("aws:" keys ignored, setpoint's own never removed),
//   tagChangesToDrift → FieldDiff[] with paths forProvider.tags["key"].
// - withoutBlindResend(command): the SDK re-sends it only after an answer that
//   says it was not applied (for creates that are not idempotent); an unclear
//   failure becomes a NotResentError for the engine to retry after observing.
export {
  type AwsClientConfig,
  awsRequestTimeout,
  destroySharedClients,
  SDK_MAX_ATTEMPTS,
  SDK_REQUEST_TIMEOUT_MS,
  type SdkClient,
  setAwsRequestTimeout,
  sharedClient,
  sharedClientCount,
} from "./clients.ts";
export {
  type AwsConnection,
  awsConnectionKey,
  ENVIRONMENT_ACCOUNT,
  resolveAwsConnection,
  type StaticCredentials,
} from "./connection.ts";
export {
  AuthErrorCodes,
  awsErrorCode,
  classifiedSender,
  classifyAwsError,
  isAwsError,
  SetpointCodes,
  ThrottlingErrorCodes,
} from "./errors.ts";
export { cutWithHash, NAME_HASH_LENGTH } from "./names.ts";
export { NotResentError, withoutBlindResend } from "./resend.ts";
export {
  AWS_RESERVED_PREFIX,
  desiredTags,
  diffTags,
  hasTagChanges,
  ownershipFromTags,
  ownerTags,
  type TagChanges,
  tagChangesToDrift,
  tagListToMap,
  tagMapToList,
} from "./tags.ts";
