// The kinds setpoint serves, one registry per API group, each kind with its provider: the lists the
// CRDs, the RBAC rules, `setpoint drift` and the controller are built from. A new kind is one
// registerKind() line in its group's registry.
import { DBSubnetGroupKind } from "../apis/aws/v1alpha1/dbsubnetgroup.ts";
import { LoadBalancerKind } from "../apis/aws/v1alpha1/loadbalancer.ts";
import { ProviderConfigKind } from "../apis/aws/v1alpha1/providerconfig.ts";
import { SecurityGroupKind } from "../apis/aws/v1alpha1/securitygroup.ts";
import { SqlInstanceKind } from "../apis/aws/v1alpha1/sqlinstance.ts";
import { PulumiStackKind } from "../apis/pulumi/v1alpha1/pulumistack.ts";
import { combineRegistries, defineRegistry, type Registry, registerKind } from "../controller/api/index.ts";
import { securityGroupProvider } from "./aws/ec2/index.ts";
import { loadBalancerProvider } from "./aws/elbv2/index.ts";
import { sqlInstanceProvider } from "./aws/rds/index.ts";
import { dbSubnetGroupProvider } from "./aws/rds/subnet-group/index.ts";
import { PULUMI_DEFAULTS, type PulumiRuntime, pulumiStackProvider } from "./pulumi/index.ts";

/** aws.setpoint.dev/v1alpha1. */
export const AWS = defineRegistry({
  providerConfig: ProviderConfigKind,
  kinds: [
    registerKind(SqlInstanceKind, sqlInstanceProvider),
    registerKind(LoadBalancerKind, loadBalancerProvider),
    registerKind(SecurityGroupKind, securityGroupProvider),
    registerKind(DBSubnetGroupKind, dbSubnetGroupProvider),
  ],
});

export interface PulumiRegistryOptions {
  /** The started runtime; without one, every PulumiStack reports that this controller runs no programs. */
  runtime?: Promise<PulumiRuntime>;
  /** A steady stack's poll interval, when its spec sets none. */
  pollIntervalMs?: number;
  /** How soon a stack that is not Ready is looked at again (after an up, to verify it). */
  convergingPollIntervalMs?: number;
}

/**
 * pulumi.setpoint.dev/v1alpha1. A stack's state is reached with an AWS ProviderConfig's credentials, so
 * the AWS ProviderConfig is this group's config kind too: one CRD, and whatever it allows or refuses a
 * namespace applies to its PulumiStacks as to its SqlInstances.
 */
export function pulumiRegistry(o: PulumiRegistryOptions = {}): Registry {
  return defineRegistry({
    providerConfig: ProviderConfigKind,
    kinds: [
      registerKind(PulumiStackKind, pulumiStackProvider(o.runtime), {
        // A poll is a Pulumi refresh, about a CPU-second: minutes apart, not the controller's minute.
        poll: {
          steadyMs: o.pollIntervalMs ?? PULUMI_DEFAULTS.pollIntervalMs,
          convergingMs: o.convergingPollIntervalMs ?? PULUMI_DEFAULTS.convergingPollIntervalMs,
        },
      }),
    ],
  });
}

/** pulumi.setpoint.dev/v1alpha1, as a controller without Pulumi programs serves it. */
export const PULUMI = pulumiRegistry();

/** Every group: the one list for the CRDs, the RBAC rules and `setpoint drift`. */
export const ALL = combineRegistries(AWS, PULUMI);
