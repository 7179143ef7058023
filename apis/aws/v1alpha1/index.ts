// Every kind setpoint serves in aws.setpoint.dev/v1alpha1.
import type { KindDefinition } from "./common.ts";
import { LoadBalancerKind } from "./loadbalancer.ts";
import { ProviderConfigKind } from "./providerconfig.ts";
import { SqlInstanceKind } from "./sqlinstance.ts";

export const ALL_KINDS: KindDefinition[] = [ProviderConfigKind, SqlInstanceKind, LoadBalancerKind];
