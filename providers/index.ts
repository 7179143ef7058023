// The kinds setpoint serves in aws.setpoint.dev/v1alpha1, each with its
// provider: the one list the CRDs, `setpoint drift` and the controller are
// built from. A new kind is one registerKind() line here.
import { LoadBalancerKind } from "../apis/aws/v1alpha1/loadbalancer.ts";
import { ProviderConfigKind } from "../apis/aws/v1alpha1/providerconfig.ts";
import { SqlInstanceKind } from "../apis/aws/v1alpha1/sqlinstance.ts";
import { defineRegistry, registerKind } from "../controller/api/index.ts";
import { loadBalancerProvider } from "./aws/elbv2/index.ts";
import { sqlInstanceProvider } from "./aws/rds/index.ts";

export const AWS = defineRegistry({
  providerConfig: ProviderConfigKind,
  kinds: [
    registerKind(SqlInstanceKind, sqlInstanceProvider),
    registerKind(LoadBalancerKind, loadBalancerProvider),
  ],
});
