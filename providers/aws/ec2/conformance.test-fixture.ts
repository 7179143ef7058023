// Test support, not production code: the SecurityGroup's entry in the provider conformance suite
// (test/support/conformance.ts, run by test/e2e/conformance.test.ts against moto).
import {
  CreateSecurityGroupCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
  type SecurityGroup,
} from "@aws-sdk/client-ec2";
import {
  SecurityGroupKind,
  type SecurityGroupObservation,
  type SecurityGroupParameters,
} from "../../../apis/aws/v1alpha1/securitygroup.ts";
import { SEED_VPC_ID } from "../../../localstack/seed.ts";
import {
  type ConformanceFixture,
  type EmulatorAccess,
  withClient,
} from "../../../test/support/conformance.ts";
import { deriveGroupName, securityGroupProvider } from "./index.ts";
import { flattenObserved } from "./rules.ts";

const withEc2 = <T>(aws: EmulatorAccess, fn: (c: EC2Client) => Promise<T>) =>
  withClient(new EC2Client(aws), fn);

async function groupsNamed(c: EC2Client, name: string): Promise<SecurityGroup[]> {
  const out = await c.send(
    new DescribeSecurityGroupsCommand({
      Filters: [
        { Name: "vpc-id", Values: [SEED_VPC_ID] },
        { Name: "group-name", Values: [name] },
      ],
    }),
  );
  return out.SecurityGroups ?? [];
}

export const securityGroupConformance: ConformanceFixture<SecurityGroupParameters, SecurityGroupObservation> =
  {
    def: SecurityGroupKind,
    provider: securityGroupProvider,
    spec: () => ({
      forProvider: {
        vpcId: SEED_VPC_ID,
        description: "conformance",
        ingress: [{ protocol: "tcp", fromPort: 5432, cidrBlocks: ["10.42.0.0/16"] }],
        // Not AWS's default egress: the create must also revoke that one.
        egress: [{ protocol: "tcp", fromPort: 443, cidrBlocks: ["0.0.0.0/0"] }],
      },
    }),
    createActions: ["CreateSecurityGroup", "AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress"],
    expectedInventory: { securityGroups: 1, ingressRules: 1, egressRules: 1 },
    inventory: (name, aws) =>
      withEc2(aws, async (c) => {
        const groups = await groupsNamed(c, name);
        return {
          securityGroups: groups.length,
          ingressRules: groups.reduce((n, g) => n + flattenObserved(g.IpPermissions).length, 0),
          egressRules: groups.reduce((n, g) => n + flattenObserved(g.IpPermissionsEgress).length, 0),
        };
      }),
    makeDuplicate: (name, aws) =>
      withEc2(aws, async (c) => {
        const [group] = await groupsNamed(c, name);
        if (!group) throw new Error(`no security group ${name} to duplicate`);
        try {
          await c.send(
            new CreateSecurityGroupCommand({
              VpcId: SEED_VPC_ID,
              GroupName: name,
              Description: "duplicate",
              TagSpecifications: [{ ResourceType: "security-group", Tags: group.Tags }],
            }),
          );
        } catch (err) {
          if (/InvalidGroup\.Duplicate/.test(String((err as { name?: string }).name))) return "refused";
          throw err;
        }
        return "made";
      }),
    goldenNames: [
      ["team-a", "db", "team-a-db"],
      ["sg", "web", "k8s-sg-web-0ee30972"],
      ["n".repeat(63), "a".repeat(253), `${"n".repeat(63)}-${"a".repeat(182)}-54001513`],
    ].map(([ns = "", name = "", golden = ""]) => ({
      what: `group name of ${ns.slice(0, 20)}/${name.slice(0, 20)}`,
      derived: deriveGroupName(ns, name),
      golden,
    })),
  };
