// The managed kinds the shipped controller runs, each with its provider.
import { LoadBalancerKind } from "../apis/aws/v1alpha1/loadbalancer.ts";
import { SqlInstanceKind } from "../apis/aws/v1alpha1/sqlinstance.ts";
import type { ManagedKindRegistration } from "../controller/manager.ts";
import type { Provider } from "../controller/provider.ts";
import { loadBalancerProvider } from "./aws/elbv2/index.ts";
import { sqlInstanceProvider } from "./aws/rds/index.ts";

export function awsManagedKinds(): ManagedKindRegistration[] {
  return [
    { def: SqlInstanceKind, provider: sqlInstanceProvider as unknown as Provider },
    { def: LoadBalancerKind, provider: loadBalancerProvider as unknown as Provider },
  ];
}
