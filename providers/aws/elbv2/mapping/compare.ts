// compare(): the spec against the observed cloud state, part by part, joined
// into one drift list and one update plan in the order AWS accepts.
import type { LoadBalancerForProvider } from "../../../../apis/aws/v1alpha1/loadbalancer.ts";
import { compareAttributes } from "./attributes.ts";
import { compareDuplicates } from "./duplicates.ts";
import { compareListeners } from "./listeners.ts";
import { compareLoadBalancer, compareLoadBalancerTags, type ObservedLoadBalancer } from "./load-balancer.ts";
import { type Comparison, type DesiredContext, toComparison } from "./plan.ts";
import { compareTargetGroups } from "./target-groups.ts";

/**
 * Compares the spec with the observed cloud state, field by field, and
 * plans the calls that make the cloud match. Only what the spec sets is
 * compared: attributes and health check fields left out keep whatever AWS
 * chose. Nothing tagged with another resource's uid is changed, and only
 * what carries our uid is ever deleted.
 */
export function compare(
  fp: LoadBalancerForProvider,
  observed: ObservedLoadBalancer,
  ctx: DesiredContext,
): Comparison {
  const targetGroups = compareTargetGroups(fp, observed, ctx);
  // Drift is reported in this order; the calls run in phase order (plan.ts).
  return toComparison([
    compareDuplicates(observed, ctx),
    compareLoadBalancer(fp, observed),
    compareAttributes(fp.attributes, observed.attributes),
    compareLoadBalancerTags(observed, ctx),
    targetGroups,
    compareListeners(fp, observed, ctx, targetGroups.usable),
  ]);
}
