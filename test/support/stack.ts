// End-to-end support for the stack: the four kinds of examples/stack/ as
// specs for a test namespace, and reads of what each one made in the
// emulator, straight through the AWS API.
import {
  DescribeSecurityGroupsCommand,
  EC2Client,
  type IpPermission,
  type SecurityGroup,
} from "@aws-sdk/client-ec2";
import {
  DescribeLoadBalancersCommand,
  ElasticLoadBalancingV2Client,
  type LoadBalancer,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import {
  type DBInstance,
  type DBSubnetGroup,
  DescribeDBInstancesCommand,
  DescribeDBSubnetGroupsCommand,
  RDSClient,
} from "@aws-sdk/client-rds";
import { awsClientConfig, SEED_SUBNET_IDS, SEED_VPC_ID } from "./env.ts";

export const ec2 = new EC2Client(awsClientConfig());
export const rds = new RDSClient(awsClientConfig());
export const elbv2 = new ElasticLoadBalancingV2Client(awsClientConfig());

/** The VPC's CIDR: the database admits the load balancer's subnets. */
export const APP_CIDR = "10.42.0.0/16";

export function dbSecurityGroupSpec(providerConfig: string, extra: Record<string, unknown> = {}) {
  return {
    providerConfigRef: { name: providerConfig },
    forProvider: {
      vpcId: SEED_VPC_ID,
      description: "orders database: postgres from the VPC",
      ingress: [{ protocol: "tcp", fromPort: 5432, cidrBlocks: [APP_CIDR], description: "postgres" }],
      ...extra,
    },
  };
}

export function webSecurityGroupSpec(providerConfig: string) {
  return {
    providerConfigRef: { name: providerConfig },
    forProvider: {
      vpcId: SEED_VPC_ID,
      description: "web load balancer: http from anywhere",
      ingress: [{ protocol: "tcp", fromPort: 80, cidrBlocks: ["0.0.0.0/0"], ipv6CidrBlocks: ["::/0"] }],
    },
  };
}

export function subnetGroupSpec(providerConfig: string) {
  return {
    providerConfigRef: { name: providerConfig },
    forProvider: { description: "orders database subnets", subnetIds: [...SEED_SUBNET_IDS] },
  };
}

export function sqlSpec(providerConfig: string, refs: { subnetGroup: string; securityGroups: string[] }) {
  return {
    providerConfigRef: { name: providerConfig },
    forProvider: {
      engine: "postgres",
      engineVersion: "16.4",
      instanceClass: "db.t3.micro",
      allocatedStorage: 20,
      masterUsername: "orders",
      dbName: "orders",
      dbSubnetGroupNameRef: { name: refs.subnetGroup },
      vpcSecurityGroupIdRefs: refs.securityGroups.map((name) => ({ name })),
    },
  };
}

export function loadBalancerSpec(providerConfig: string, securityGroups: string[]) {
  return {
    providerConfigRef: { name: providerConfig },
    forProvider: {
      type: "application",
      subnets: [...SEED_SUBNET_IDS],
      securityGroupRefs: securityGroups.map((name) => ({ name })),
      attributes: { "deletion_protection.enabled": "false" },
    },
  };
}

export async function securityGroupNamed(name: string): Promise<SecurityGroup | undefined> {
  const out = await ec2.send(
    new DescribeSecurityGroupsCommand({
      Filters: [
        { Name: "vpc-id", Values: [SEED_VPC_ID] },
        { Name: "group-name", Values: [name] },
      ],
    }),
  );
  return out.SecurityGroups?.[0];
}

export async function subnetGroupNamed(name: string): Promise<DBSubnetGroup | undefined> {
  try {
    const out = await rds.send(new DescribeDBSubnetGroupsCommand({ DBSubnetGroupName: name }));
    return out.DBSubnetGroups?.[0];
  } catch (err) {
    if (/DBSubnetGroupNotFound/.test(String((err as { name?: string }).name))) return undefined;
    throw err;
  }
}

export async function instanceNamed(id: string): Promise<DBInstance | undefined> {
  try {
    return (await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }))).DBInstances?.[0];
  } catch (err) {
    if (/DBInstanceNotFound/.test(String((err as { name?: string }).name))) return undefined;
    throw err;
  }
}

export async function loadBalancerNamed(name: string): Promise<LoadBalancer | undefined> {
  try {
    return (await elbv2.send(new DescribeLoadBalancersCommand({ Names: [name] }))).LoadBalancers?.[0];
  } catch (err) {
    if (/LoadBalancerNotFound/.test(String((err as { name?: string }).name))) return undefined;
    throw err;
  }
}

/** "tcp/5432 10.42.0.0/16" for each peer of each permission, sorted: what the group allows. */
export function ruleLines(perms: readonly IpPermission[] | undefined): string[] {
  const out: string[] = [];
  for (const p of perms ?? []) {
    const ports = p.IpProtocol === "-1" ? "all" : `${p.IpProtocol}/${p.FromPort}-${p.ToPort}`;
    for (const r of p.IpRanges ?? []) out.push(`${ports} ${r.CidrIp}`);
    for (const r of p.Ipv6Ranges ?? []) out.push(`${ports} ${r.CidrIpv6}`);
    for (const g of p.UserIdGroupPairs ?? []) out.push(`${ports} ${g.GroupId}`);
  }
  return out.sort();
}
