// The kinds setpoint serves in aws.setpoint.dev/v1alpha1, each with its
// provider: the one list the CRDs, `setpoint drift` and the controller are
// built from. A new kind is one registerKind() line here.
import { DBSubnetGroupKind } from "../apis/aws/v1alpha1/dbsubnetgroup.ts";
import { LoadBalancerKind } from "../apis/aws/v1alpha1/loadbalancer.ts";
import { ProviderConfigKind } from "../apis/aws/v1alpha1/providerconfig.ts";
import { SecurityGroupKind } from "../apis/aws/v1alpha1/securitygroup.ts";
import { SqlInstanceKind } from "../apis/aws/v1alpha1/sqlinstance.ts";
import { defineRegistry, registerKind } from "../controller/api/index.ts";
import { securityGroupProvider } from "./aws/ec2/index.ts";
import { loadBalancerProvider } from "./aws/elbv2/index.ts";
import { sqlInstanceProvider } from "./aws/rds/index.ts";
import { dbSubnetGroupProvider } from "./aws/rds/subnet-group/index.ts";

export const AWS = defineRegistry({
  providerConfig: ProviderConfigKind,
  kinds: [
    registerKind(SqlInstanceKind, sqlInstanceProvider),
    registerKind(LoadBalancerKind, loadBalancerProvider),
    registerKind(SecurityGroupKind, securityGroupProvider),
    registerKind(DBSubnetGroupKind, dbSubnetGroupProvider),
  ],
});
