// Which ELBv2 errors the user must fix (terminal) and which are "not found"
// answers that mean absence rather than failure. The SDK names modelled
// errors after their shape ("LoadBalancerNotFoundException") and unmodelled
// ones after the wire code ("ValidationError", moto's EC2-style
// "InvalidSubnetID.NotFound"), so every code is matched in both spellings.
import { awsErrorCode } from "../shared/index.ts";

function bothSpellings(codes: readonly string[]): ReadonlySet<string> {
  return new Set(codes.flatMap((c) => [c, `${c}Exception`]));
}

/**
 * Errors that retrying cannot fix: a bad parameter, a missing subnet,
 * security group or certificate, or a quota. Throttling, 5xx, network
 * errors and eventual-consistency misses (a target group not yet visible to
 * CreateListener) stay transient.
 */
export const ELBV2_TERMINAL_CODES: ReadonlySet<string> = bothSpellings([
  "ValidationError",
  "InvalidConfigurationRequest",
  "InvalidSubnet",
  "InvalidSecurityGroup",
  "SubnetNotFound",
  "InvalidSubnetID.NotFound",
  "InvalidGroup.NotFound",
  "InvalidScheme",
  "AvailabilityZoneNotSupported",
  "AllocationIdNotFound",
  "TooManyLoadBalancers",
  "TooManyTargetGroups",
  "TooManyListeners",
  "TooManyTags",
  "TooManyCertificates",
  "TooManyTargets",
  "TooManyActions",
  "TooManyUniqueTargetGroupsPerLoadBalancer",
  "TargetGroupAssociationLimit",
  "DuplicateTagKeys",
  "CertificateNotFound",
  "SSLPolicyNotFound",
  "UnsupportedProtocol",
  "IncompatibleProtocols",
  "InvalidLoadBalancerAction",
  "ALPNPolicyNotSupported",
  "OperationNotPermitted",
]);

/** True when `err` carries `code`, in either spelling. */
export function hasCode(err: unknown, ...codes: string[]): boolean {
  const got = awsErrorCode(err);
  if (got === undefined) return false;
  return codes.some((c) => got === c || got === `${c}Exception`);
}

export const isLoadBalancerNotFound = (err: unknown) => hasCode(err, "LoadBalancerNotFound");
export const isTargetGroupNotFound = (err: unknown) => hasCode(err, "TargetGroupNotFound");
export const isListenerNotFound = (err: unknown) => hasCode(err, "ListenerNotFound");
/** DescribeTags names the missing resource's kind. */
export const isAnyNotFound = (err: unknown) =>
  hasCode(err, "LoadBalancerNotFound", "TargetGroupNotFound", "ListenerNotFound");
