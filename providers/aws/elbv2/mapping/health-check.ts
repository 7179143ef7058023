// A target group's health check, in every direction it travels: the SDK's
// TargetGroup → observed, spec → Create/ModifyTargetGroup input, and spec vs
// observed → drift. The field table below is the only list of its fields.
import type {
  ModifyTargetGroupCommandInput,
  TargetGroup as SdkTargetGroup,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import type { HealthCheck } from "../../../../apis/aws/v1alpha1/loadbalancer.ts";
import type { FieldDiff } from "../../../../controller/provider.ts";

/**
 * Each spec field and the SDK field that carries it. DescribeTargetGroups,
 * CreateTargetGroup and ModifyTargetGroup all use these names. `matcher` is
 * the one field AWS nests (Matcher.HttpCode), so it is mapped beside them.
 */
const SDK_FIELDS = {
  enabled: "HealthCheckEnabled",
  protocol: "HealthCheckProtocol",
  port: "HealthCheckPort",
  path: "HealthCheckPath",
  intervalSeconds: "HealthCheckIntervalSeconds",
  timeoutSeconds: "HealthCheckTimeoutSeconds",
  healthyThresholdCount: "HealthyThresholdCount",
  unhealthyThresholdCount: "UnhealthyThresholdCount",
} as const satisfies Record<
  Exclude<keyof HealthCheck, "matcher">,
  keyof SdkTargetGroup & keyof ModifyTargetGroupCommandInput
>;
type FlatField = keyof typeof SDK_FIELDS;

export type ObservedHealthCheck = {
  [K in FlatField]?: NonNullable<SdkTargetGroup[(typeof SDK_FIELDS)[K]]>;
} & { matcher?: string };

// Checked by the compiler: every spec value fits the SDK field it is sent in.
type SpecFitsSdk = false extends {
  [K in FlatField]: NonNullable<HealthCheck[K]> extends NonNullable<
    ModifyTargetGroupCommandInput[(typeof SDK_FIELDS)[K]]
  >
    ? true
    : false;
}[FlatField]
  ? "a health check field of the spec does not fit its SDK field"
  : true;
const _specFitsSdk: SpecFitsSdk = true;

const FLAT_FIELDS = Object.entries(SDK_FIELDS) as [FlatField, (typeof SDK_FIELDS)[FlatField]][];

/** Every health check field, in the order drift reports them. */
export const HEALTH_CHECK_FIELDS: readonly (keyof HealthCheck)[] = [
  ...FLAT_FIELDS.map(([field]) => field),
  "matcher",
];

export function observedHealthCheckFrom(tg: SdkTargetGroup): ObservedHealthCheck {
  const hc: Record<string, unknown> = {};
  for (const [field, sdk] of FLAT_FIELDS) if (tg[sdk] !== undefined) hc[field] = tg[sdk];
  if (tg.Matcher?.HttpCode !== undefined) hc.matcher = tg.Matcher.HttpCode;
  return hc as ObservedHealthCheck;
}

/** The SDK fields for the fields the spec sets; spread into Create- or ModifyTargetGroup. */
export function healthCheckInput(hc: HealthCheck | undefined): Partial<ModifyTargetGroupCommandInput> {
  const out: Record<string, unknown> = {};
  if (!hc) return out;
  for (const [field, sdk] of FLAT_FIELDS) if (hc[field] !== undefined) out[sdk] = hc[field];
  if (hc.matcher !== undefined) out.Matcher = { HttpCode: hc.matcher };
  return out as Partial<ModifyTargetGroupCommandInput>;
}

/** Drift at `path`.healthCheck.<field>; fields the spec leaves out keep whatever AWS chose. */
export function compareHealthCheck(
  want: HealthCheck | undefined,
  got: ObservedHealthCheck,
  path: string,
): FieldDiff[] {
  const drift: FieldDiff[] = [];
  for (const field of HEALTH_CHECK_FIELDS) {
    const desired = want?.[field];
    if (desired === undefined) continue;
    const observed = got[field];
    if (desired !== observed) drift.push({ path: `${path}.healthCheck.${field}`, desired, observed });
  }
  return drift;
}
