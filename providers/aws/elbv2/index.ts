// The LoadBalancer provider: one ELBv2 load balancer with its target groups
// and listeners as one managed resource.
//
// - loadBalancerProvider: Provider for LoadBalancer with deriveExternalName,
//   connectionKey (account/region/endpoint, shared with other AWS kinds), the
//   elbv2 budget, and connect → LoadBalancerClient over the shared ELBv2 SDK
//   client.
// - LoadBalancerClient: observe / observeMany (batched) / create / update /
//   delete; takes any Elbv2Api, so tests can pass a fake.
// - Pure pieces: names.ts (derived names), mapping.ts (SDK shapes ↔ spec,
//   drift, update plan), errors.ts (terminal codes).
import { ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import type {
  LoadBalancerAtProvider,
  LoadBalancerForProvider,
} from "../../../apis/aws/v1alpha1/loadbalancer.ts";
import type { BudgetLimits, Provider } from "../../../controller/provider.ts";
import { awsConnectionKey, resolveAwsConnection, sharedClient } from "../shared/index.ts";
import { sdkElbv2Api } from "./api.ts";
import { LoadBalancerClient } from "./client.ts";
import type { ObservedLoadBalancer } from "./mapping.ts";
import { deriveLoadBalancerName, isValidElbName, MAX_NAME_LENGTH } from "./names.ts";

export { type Elbv2Api, sdkElbv2Api } from "./api.ts";
export { ELBV2_BATCH_SIZE } from "./batch.ts";
export { externalNameOf, LoadBalancerClient, type LoadBalancerManaged } from "./client.ts";
export { ELBV2_TERMINAL_CODES } from "./errors.ts";
export { Elbv2Codes } from "./mapping.ts";
export { deriveLoadBalancerName, targetGroupAwsName } from "./names.ts";

/** The budget's service name for ELBv2 calls. */
export const ELBV2_SERVICE = "elbv2";

/**
 * AWS's Describe* bucket holds 40 and refills at 10/s; setpoint takes 20 at
 * 8/s for all ELBv2 calls, leaving headroom for other clients of the
 * account. Mutating calls have their own, smaller AWS buckets, but setpoint
 * makes them only on drift or spec changes.
 */
export const ELBV2_BUDGET: BudgetLimits = { burst: 20, ratePerSecond: 8 };

export const loadBalancerProvider: Provider<
  LoadBalancerForProvider,
  LoadBalancerAtProvider,
  ObservedLoadBalancer
> = {
  services: { [ELBV2_SERVICE]: ELBV2_BUDGET },
  deriveExternalName: deriveLoadBalancerName,
  checkExternalName: (name) =>
    isValidElbName(name)
      ? undefined
      : `a load balancer name has 1 to ${MAX_NAME_LENGTH} letters, digits and hyphens, neither starts nor ends with a hyphen, and does not start with "internal-"`,
  connectionKey: (mr, ctx) => awsConnectionKey(mr, ctx),
  async connect(mr, ctx) {
    const conn = await resolveAwsConnection(mr, ctx);
    const sdk = sharedClient(conn, ELBV2_SERVICE, (config) => new ElasticLoadBalancingV2Client(config));
    return new LoadBalancerClient(sdkElbv2Api(sdk));
  },
};
