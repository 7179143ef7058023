// SecurityGroup: one EC2 VPC security group and its rules. The rules are
// authoritative: a group setpoint manages has exactly the rules its spec
// lists, so one added out of band is removed and one deleted is restored.
// Its cloud identity is its name within its VPC (AWS keeps group names
// unique per VPC and never lets one start with "sg-"); the ID AWS assigns is
// reported in status.atProvider.groupId, which is what references read.
import { z } from "zod";
import { defineAwsKind, TagMap } from "./common.ts";

export const SECURITY_GROUP_KIND = "SecurityGroup";

/** Characters EC2 accepts in group and rule descriptions. */
const EC2_TEXT = /^[a-zA-Z0-9 ._\-:/()#,@[\]+=&;{}!$*]*$/;

export const RULE_PROTOCOLS = ["tcp", "udp", "icmp", "icmpv6", "all", "-1"] as const;
/** At most 60 rules each way is EC2's default quota; the flattened count is checked by AWS. */
export const MAX_RULES = 60;

const Ipv4Cidr = z
  .string()
  .max(18)
  .regex(/^([0-9]{1,3}\.){3}[0-9]{1,3}\/([0-9]|[12][0-9]|3[0-2])$/);
const Ipv6Cidr = z
  .string()
  .max(43)
  .regex(/^[0-9a-fA-F:]+\/([0-9]|[1-9][0-9]|1[01][0-9]|12[0-8])$/);
const GroupId = z
  .string()
  .max(64)
  .regex(/^sg-[0-9a-f]+$/);

export const SecurityGroupRule = z
  .object({
    protocol: z.enum(RULE_PROTOCOLS).meta({
      maxLength: 6,
      description:
        'tcp, udp, icmp, icmpv6, or all (also written "-1"): every protocol on every port, which takes no ports.',
    }),
    fromPort: z.int().min(-1).max(65535).optional().meta({
      description:
        "First port of the range (tcp, udp), or the ICMP type (icmp, icmpv6; -1 for every type). Required for tcp and udp.",
    }),
    toPort: z.int().min(-1).max(65535).optional().meta({
      description:
        "Last port of the range (tcp, udp; defaults to fromPort), or the ICMP code (icmp, icmpv6; -1 or left out for every code).",
    }),
    cidrBlocks: z.array(Ipv4Cidr).max(MAX_RULES).optional().meta({
      description:
        "IPv4 ranges, e.g. 10.0.0.0/16: sources of an ingress rule, destinations of an egress one.",
      "x-kubernetes-list-type": "set",
    }),
    ipv6CidrBlocks: z
      .array(Ipv6Cidr)
      .max(MAX_RULES)
      .optional()
      .meta({ description: "IPv6 ranges, e.g. ::/0.", "x-kubernetes-list-type": "set" }),
    securityGroupIds: z.array(GroupId).max(MAX_RULES).optional().meta({
      description:
        "Other security groups (by ID) whose members the rule lets in (ingress) or out to (egress).",
      "x-kubernetes-list-type": "set",
    }),
    description: z
      .string()
      .max(255)
      .regex(EC2_TEXT)
      .optional()
      .meta({ description: "Description of the rule, kept on each of its CIDRs and groups." }),
  })
  .meta({
    description:
      "One rule: a protocol and port range, and the peers it applies to. Each peer is one rule in EC2, with its own identity (direction, protocol, ports, peer).",
    "x-kubernetes-validations": [
      {
        rule: "(has(self.cidrBlocks) ? size(self.cidrBlocks) : 0) + (has(self.ipv6CidrBlocks) ? size(self.ipv6CidrBlocks) : 0) + (has(self.securityGroupIds) ? size(self.securityGroupIds) : 0) > 0",
        message: "a rule needs at least one of cidrBlocks, ipv6CidrBlocks or securityGroupIds",
      },
      {
        rule: "!(self.protocol in ['tcp', 'udp']) || (has(self.fromPort) && self.fromPort >= 0 && (!has(self.toPort) || self.toPort >= self.fromPort))",
        message: "tcp and udp rules need fromPort (0-65535), and toPort, when given, must not be below it",
      },
      {
        rule: "!(self.protocol in ['all', '-1']) || (!has(self.fromPort) && !has(self.toPort))",
        message: "a rule for all protocols covers every port and takes no fromPort or toPort",
      },
      {
        rule: "!(self.protocol in ['icmp', 'icmpv6']) || ((!has(self.fromPort) || self.fromPort <= 255) && (!has(self.toPort) || self.toPort <= 255))",
        message: "an ICMP type and code are -1 to 255",
      },
    ],
  });
export type SecurityGroupRule = z.infer<typeof SecurityGroupRule>;

export const SecurityGroupParameters = z
  .object({
    vpcId: z
      .string()
      .max(64)
      .regex(/^vpc-[0-9a-f]+$/)
      .meta({
        description: "The VPC the group belongs to. EC2 cannot move a group: immutable.",
        "x-kubernetes-validations": [{ rule: "self == oldSelf", message: "vpcId is immutable" }],
      }),
    description: z
      .string()
      .min(1)
      .max(255)
      .regex(EC2_TEXT)
      .meta({
        description: "Description of the group. EC2 cannot change it after creation: immutable.",
        "x-kubernetes-validations": [{ rule: "self == oldSelf", message: "description is immutable" }],
      }),
    ingress: z.array(SecurityGroupRule).max(MAX_RULES).default([]).meta({
      description: "Inbound rules, authoritative: any other inbound rule found on the group is removed.",
    }),
    egress: z.array(SecurityGroupRule).max(MAX_RULES).optional().meta({
      description:
        "Outbound rules, authoritative when given ([] allows no outbound traffic). Left out: the one rule AWS gives every new group, all traffic to 0.0.0.0/0, which setpoint then keeps like any other.",
    }),
    tags: TagMap.optional(),
  })
  .meta({ description: "The security group's desired settings and rules." });
export type SecurityGroupParameters = z.output<typeof SecurityGroupParameters>;

export const SecurityGroupObservation = z
  .object({
    groupId: z.string().optional().meta({ description: "The ID AWS assigned, e.g. sg-0123456789abcdef0." }),
    groupName: z.string().optional().meta({ description: "The group's name (its external name)." }),
    arn: z.string().optional().meta({ description: "The group's ARN." }),
    vpcId: z.string().optional().meta({ description: "The VPC of the group." }),
    ownerId: z.string().optional().meta({ description: "The AWS account that owns the group." }),
  })
  .meta({ description: "Observed, non-secret state of the security group." });
export type SecurityGroupObservation = z.output<typeof SecurityGroupObservation>;

export const SecurityGroupKind = defineAwsKind({
  kind: SECURITY_GROUP_KIND,
  plural: "securitygroups",
  singular: "securitygroup",
  shortNames: ["spsg"],
  description:
    "An AWS EC2 VPC security group with its inbound and outbound rules. Other resources refer to it by name; the engine hands them its group ID.",
  forProvider: SecurityGroupParameters,
  atProvider: SecurityGroupObservation,
});
