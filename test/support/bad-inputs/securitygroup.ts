// Bad SecurityGroups: the group's fields, its rules (protocol, ports, peers),
// the limits EC2 documents for them, and groups that already exist in EC2. A
// table, one entry per bad input.
import { CreateSecurityGroupCommand } from "@aws-sdk/client-ec2";
import { SEED_VPC_ID } from "../env.ts";
import { answered, type Entry, type Json, merge, rejected, tags, withForProvider } from "./catalogue.ts";
import { managedEntries } from "./managed.ts";

const RULE = { protocol: "tcp", fromPort: 5432, cidrBlocks: ["10.42.0.0/16"] };

export const SG_BASE: Json = {
  forProvider: { vpcId: SEED_VPC_ID, description: "catalogue group", ingress: [RULE] },
};

const FP = "spec.forProvider";

type Category = Parameters<typeof rejected>[0]["category"];

/** A SecurityGroup whose forProvider, changed by `patch`, the API server refuses on `field` with `message`. */
function bad(name: string, category: Category, patch: Json, field: string, message: string | RegExp): Entry {
  return rejected({
    name: `a SecurityGroup with ${name}`,
    kind: "SecurityGroup",
    category,
    spec: withForProvider(SG_BASE, patch),
    expect: { field: `${FP}.${field}`, message },
  });
}

/** A SecurityGroup whose one ingress rule is RULE changed by `patch` (a key set to undefined is left out). */
function badRule(
  name: string,
  category: Category,
  patch: Json,
  field: string,
  message: string | RegExp,
): Entry {
  const rule = Object.fromEntries(
    Object.entries(merge(RULE, patch)).filter(([, v]) => v !== undefined),
  ) as Json;
  return bad(name, category, { ingress: [rule] }, `ingress[0]${field}`, message);
}

function immutable(field: string, to: Json, message: string): Entry {
  return rejected({
    name: `a change of a SecurityGroup's ${field}, which EC2 cannot change`,
    kind: "SecurityGroup",
    category: "immutable field",
    spec: SG_BASE,
    patch: { spec: { forProvider: to } },
    expect: { field: `${FP}.${field}`, message },
  });
}

const PORTS_NEEDED =
  "tcp and udp rules need fromPort (0-65535), and toPort, when given, must not be below it";

export const SECURITY_GROUP_ENTRIES: Entry[] = [
  ...managedEntries("SecurityGroup", SG_BASE, {
    value: "sg-0123abcd",
    why: /external-name is "sg-0123abcd", which cannot name a SecurityGroup in the cloud: that is a group ID/,
  }),
  // The group.
  bad("no vpcId", "wrong type", { vpcId: undefined }, "vpcId", "Required value"),
  bad("vpcId vpc_123, not a VPC ID", "name AWS refuses", { vpcId: "vpc_123" }, "vpcId", "should match"),
  bad("vpcId as a number", "wrong type", { vpcId: 57 }, "vpcId", "must be of type string"),
  bad("an empty description", "empty or huge string", { description: "" }, "description", /at least 1 chars/),
  bad(
    "a 256-character description, one more than EC2 allows",
    "empty or huge string",
    { description: "d".repeat(256) },
    "description",
    /Too long|at most 255/,
  ),
  bad(
    "a description with <, which EC2 refuses",
    "name AWS refuses",
    { description: "db <primary>" },
    "description",
    "should match",
  ),
  bad("ingress as an object", "wrong type", { ingress: RULE }, "ingress", "must be of type array"),
  bad(
    "61 ingress rules, over EC2's default quota of 60",
    "AWS limit",
    { ingress: Array.from({ length: 61 }, (_, i) => ({ ...RULE, fromPort: i + 1 })) },
    "ingress",
    /must have at most 60 items|Too many/,
  ),
  bad("49 tags", "AWS limit", { tags: tags(49) }, "tags", /must have at most 48 items|Too many/),
  bad(
    "a tag key starting with aws:",
    "name AWS refuses",
    { tags: { "aws:team": "a" } },
    "tags",
    "tag keys starting with aws: are reserved by AWS",
  ),
  // Protocols and ports.
  badRule("protocol http", "unknown enum value", { protocol: "http" }, ".protocol", "Unsupported value"),
  badRule("protocol 6, a number", "wrong type", { protocol: 6 }, ".protocol", "must be of type string"),
  badRule(
    'fromPort "5432", a string',
    "wrong type",
    { fromPort: "5432" },
    ".fromPort",
    "must be of type integer",
  ),
  badRule(
    "fromPort 70000",
    "out of range",
    { fromPort: 70000 },
    ".fromPort",
    "should be less than or equal to 65535",
  ),
  badRule(
    "fromPort -2",
    "out of range",
    { fromPort: -2 },
    ".fromPort",
    "should be greater than or equal to -1",
  ),
  badRule("a tcp rule without fromPort", "cross-field rule", { fromPort: undefined }, "", PORTS_NEEDED),
  badRule("a tcp rule on port -1", "out of range", { fromPort: -1 }, "", PORTS_NEEDED),
  badRule(
    "toPort 80 below fromPort 443",
    "cross-field rule",
    { fromPort: 443, toPort: 80 },
    "",
    PORTS_NEEDED,
  ),
  badRule(
    "protocol all and a port",
    "cross-field rule",
    { protocol: "all" },
    "",
    "a rule for all protocols covers every port and takes no fromPort or toPort",
  ),
  badRule(
    "ICMP type 300",
    "out of range",
    { protocol: "icmp", fromPort: 300 },
    "",
    "an ICMP type and code are -1 to 255",
  ),
  // Peers.
  badRule(
    "a rule with no peer at all",
    "cross-field rule",
    { cidrBlocks: [] },
    "",
    "a rule needs at least one of cidrBlocks, ipv6CidrBlocks or securityGroupIds",
  ),
  badRule(
    "CIDR 10.0.0.0/33",
    "out of range",
    { cidrBlocks: ["10.0.0.0/33"] },
    ".cidrBlocks[0]",
    "should match",
  ),
  badRule(
    "a CIDR without its prefix length",
    "name AWS refuses",
    { cidrBlocks: ["10.0.0.1"] },
    ".cidrBlocks[0]",
    "should match",
  ),
  badRule(
    "a host name for a CIDR",
    "name AWS refuses",
    { cidrBlocks: ["db.example.com/32"] },
    ".cidrBlocks[0]",
    "should match",
  ),
  badRule(
    "IPv6 CIDR ::/129",
    "out of range",
    { cidrBlocks: undefined, ipv6CidrBlocks: ["::/129"] },
    ".ipv6CidrBlocks[0]",
    "should match",
  ),
  badRule(
    "the same CIDR twice",
    "cross-field rule",
    { cidrBlocks: ["10.42.0.0/16", "10.42.0.0/16"] },
    ".cidrBlocks[1]",
    "Duplicate value",
  ),
  badRule(
    "a source group named, not by ID",
    "name AWS refuses",
    { cidrBlocks: undefined, securityGroupIds: ["web"] },
    ".securityGroupIds[0]",
    "should match",
  ),
  badRule(
    "a 256-character rule description",
    "empty or huge string",
    { description: "r".repeat(256) },
    ".description",
    /Too long|at most 255/,
  ),
  rejected({
    name: "a SecurityGroup with an unknown field in a rule",
    kind: "SecurityGroup",
    category: "unknown field",
    spec: withForProvider(SG_BASE, { ingress: [{ ...RULE, ports: "5432" }] }),
    strict: true,
    expect: { field: `${FP}.ingress[0].ports`, message: "unknown field" },
  }),
  immutable("vpcId", { vpcId: "vpc-0123456789abcdef0" }, "vpcId is immutable"),
  immutable("description", { description: "another description" }, "description is immutable"),
  // Groups that already exist in EC2.
  answered({
    name: "a SecurityGroup whose external-name is an existing group without setpoint's tags (adoption Forbid)",
    kind: "SecurityGroup",
    category: "ownership",
    resource: (c) => ({
      kind: "SecurityGroup",
      spec: { ...SG_BASE, providerConfigRef: { name: c.providerConfig } },
      annotations: { "setpoint.dev/external-name": `${c.name}-legacy` },
    }),
    inCloud: async (c) => {
      await c.ec2.send(
        new CreateSecurityGroupCommand({
          GroupName: `${c.name}-legacy`,
          Description: "made by hand",
          VpcId: SEED_VPC_ID,
        }),
      );
    },
    expect: {
      reason: "ReconcileTerminal",
      message:
        /AdoptionNotAllowed: SecurityGroup .*-legacy already exists in the cloud and carries no setpoint owner tags/,
      event: "CannotManageExternalResource",
      maxCloudCalls: 3,
    },
  }),
  answered({
    name: "a SecurityGroup whose external-name is another team's group",
    kind: "SecurityGroup",
    category: "ownership",
    resource: (c) => ({
      kind: "SecurityGroup",
      spec: { ...SG_BASE, providerConfigRef: { name: c.providerConfig } },
      annotations: { "setpoint.dev/external-name": `${c.name}-theirs` },
    }),
    inCloud: async (c) => {
      await c.ec2.send(
        new CreateSecurityGroupCommand({
          GroupName: `${c.name}-theirs`,
          Description: "another team's",
          VpcId: SEED_VPC_ID,
          TagSpecifications: [
            {
              ResourceType: "security-group",
              Tags: [
                { Key: "setpoint.dev/owner", Value: "other-team/db" },
                { Key: "setpoint.dev/uid", Value: "0000-other" },
              ],
            },
          ],
        }),
      );
    },
    expect: {
      reason: "ReconcileTerminal",
      message: /owned by other-team\/db; setpoint will not change it/,
      event: "CannotManageExternalResource",
      maxCloudCalls: 3,
    },
  }),
];
