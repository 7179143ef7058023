// Load balancer attributes: a flat key → string map on both sides. Only the
// keys the spec sets are compared; every other attribute keeps what AWS chose.
import type { FieldDiff } from "../../../../controller/provider.ts";
import type { PartComparison } from "./plan.ts";

export const DELETION_PROTECTION_ATTRIBUTE = "deletion_protection.enabled";

export const attributePath = (key: string) => `forProvider.attributes[${JSON.stringify(key)}]`;

/**
 * Drift per differing key, fixed by one ModifyLoadBalancerAttributes with
 * just those keys. `observed` is undefined when the attributes were not read
 * (the spec sets none), and then nothing is compared.
 */
export function compareAttributes(
  desired: Readonly<Record<string, string>> | undefined,
  observed: Readonly<Record<string, string>> | undefined,
): PartComparison {
  const drift: FieldDiff[] = [];
  if (!observed) return { drift, blocked: [], ops: {} };
  const changed: Record<string, string> = {};
  for (const [key, value] of Object.entries(desired ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))) {
    const current = observed[key];
    if (current !== value) {
      drift.push({ path: attributePath(key), desired: value, observed: current });
      changed[key] = value;
    }
  }
  const ops =
    Object.keys(changed).length > 0
      ? { loadBalancer: [{ kind: "ModifyLoadBalancerAttributes" as const, attributes: changed }] }
      : {};
  return { drift, blocked: [], ops };
}
