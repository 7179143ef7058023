// The AWS IAM policies setpoint needs: the one source for deploy/iam/*.json (`npm run
// deploy:generate`; deploy/generate.test.ts fails when they are stale). deploy/iam/policy.test.ts
// fails when the providers call an AWS API (an SDK command under providers/aws/) that is not listed
// here, or when an action listed here is no longer called.
//
// Two documents:
// - setpoint-policy.json: every action, on every resource. Least privilege by action.
// - setpoint-policy-owner-tags.json: the same actions, but AWS itself enforces ownership: creates must
//   carry the setpoint.dev/owner and setpoint.dev/uid tags (aws:RequestTag), and every change or delete
//   applies only to a resource that carries a setpoint.dev/owner tag (aws:ResourceTag). So even a bug in
//   setpoint cannot change or delete a resource it did not create. Adopting a resource then also needs
//   the administrator to tag it first (see the README). What it cannot stop is said at `rdsTagOnCreate`.
//
// Read-only calls (Describe*) take no resource-level conditions in either service, so they stay on "*".

/** How a call uses the cloud, which decides the condition it gets in the owner-tag policy. */
export type ActionUse =
  /** Reads only. */
  | "read"
  /** Makes a new resource, tagged in the same call. */
  | "create"
  /** Adds tags: to a new resource during its create (tag-on-create), or to one setpoint owns. */
  | "tag"
  /** Changes or deletes a resource setpoint owns (tag removal included). */
  | "change";

export interface IamAction {
  /** The IAM action, e.g. "rds:ModifyDBInstance". */
  action: string;
  use: ActionUse;
  /** The code that makes the call. */
  calledFrom: string;
}

const RDS_CLIENT = "providers/aws/rds/client.ts (sdkRdsApi)";
const ELBV2_API = "providers/aws/elbv2/api.ts (sdkElbv2Api)";
const SUBNET_GROUP_CLIENT = "providers/aws/rds/subnet-group/client.ts (sdkSubnetGroupApi)";
const EC2_CLIENT = "providers/aws/ec2/client.ts (sdkEc2Api)";

export const ACTIONS: readonly IamAction[] = [
  // RDS: one DB instance per SqlInstance.
  { action: "rds:DescribeDBInstances", use: "read", calledFrom: `${RDS_CLIENT} describe, describeMany` },
  { action: "rds:CreateDBInstance", use: "create", calledFrom: `${RDS_CLIENT} create` },
  // Also checked by RDS for the tags of CreateDBInstance (tag-on-create).
  { action: "rds:AddTagsToResource", use: "tag", calledFrom: `${RDS_CLIENT} addTags` },
  { action: "rds:RemoveTagsFromResource", use: "change", calledFrom: `${RDS_CLIENT} removeTags` },
  { action: "rds:ModifyDBInstance", use: "change", calledFrom: `${RDS_CLIENT} modify` },
  { action: "rds:DeleteDBInstance", use: "change", calledFrom: `${RDS_CLIENT} delete` },
  // ELBv2: a load balancer with its target groups and listeners per LoadBalancer.
  { action: "elasticloadbalancing:DescribeLoadBalancers", use: "read", calledFrom: ELBV2_API },
  { action: "elasticloadbalancing:DescribeLoadBalancerAttributes", use: "read", calledFrom: ELBV2_API },
  { action: "elasticloadbalancing:DescribeTargetGroups", use: "read", calledFrom: ELBV2_API },
  { action: "elasticloadbalancing:DescribeListeners", use: "read", calledFrom: ELBV2_API },
  { action: "elasticloadbalancing:DescribeTags", use: "read", calledFrom: ELBV2_API },
  { action: "elasticloadbalancing:CreateLoadBalancer", use: "create", calledFrom: ELBV2_API },
  { action: "elasticloadbalancing:CreateTargetGroup", use: "create", calledFrom: ELBV2_API },
  { action: "elasticloadbalancing:CreateListener", use: "create", calledFrom: ELBV2_API },
  // Also checked by ELB for the tags of the three creates (tag-on-create).
  { action: "elasticloadbalancing:AddTags", use: "tag", calledFrom: ELBV2_API },
  { action: "elasticloadbalancing:RemoveTags", use: "change", calledFrom: ELBV2_API },
  { action: "elasticloadbalancing:SetSubnets", use: "change", calledFrom: ELBV2_API },
  { action: "elasticloadbalancing:SetSecurityGroups", use: "change", calledFrom: ELBV2_API },
  { action: "elasticloadbalancing:SetIpAddressType", use: "change", calledFrom: ELBV2_API },
  { action: "elasticloadbalancing:ModifyLoadBalancerAttributes", use: "change", calledFrom: ELBV2_API },
  { action: "elasticloadbalancing:ModifyTargetGroup", use: "change", calledFrom: ELBV2_API },
  { action: "elasticloadbalancing:ModifyListener", use: "change", calledFrom: ELBV2_API },
  { action: "elasticloadbalancing:DeleteListener", use: "change", calledFrom: ELBV2_API },
  { action: "elasticloadbalancing:DeleteLoadBalancer", use: "change", calledFrom: ELBV2_API },
  { action: "elasticloadbalancing:DeleteTargetGroup", use: "change", calledFrom: ELBV2_API },
  // RDS: one DB subnet group per DBSubnetGroup (AddTagsToResource and RemoveTagsFromResource above
  // serve it too; the tags of CreateDBSubnetGroup are authorized as AddTagsToResource).
  {
    action: "rds:DescribeDBSubnetGroups",
    use: "read",
    calledFrom: `${SUBNET_GROUP_CLIENT} describe, describeMany`,
  },
  { action: "rds:ListTagsForResource", use: "read", calledFrom: `${SUBNET_GROUP_CLIENT} tags` },
  { action: "rds:CreateDBSubnetGroup", use: "create", calledFrom: `${SUBNET_GROUP_CLIENT} create` },
  { action: "rds:ModifyDBSubnetGroup", use: "change", calledFrom: `${SUBNET_GROUP_CLIENT} modify` },
  { action: "rds:DeleteDBSubnetGroup", use: "change", calledFrom: `${SUBNET_GROUP_CLIENT} delete` },
  // EC2: one security group and its rules per SecurityGroup.
  { action: "ec2:DescribeSecurityGroups", use: "read", calledFrom: `${EC2_CLIENT} describeByName` },
  { action: "ec2:CreateSecurityGroup", use: "create", calledFrom: `${EC2_CLIENT} create` },
  // Also checked by EC2 for the TagSpecifications of CreateSecurityGroup (tag-on-create).
  { action: "ec2:CreateTags", use: "tag", calledFrom: `${EC2_CLIENT} addTags` },
  { action: "ec2:DeleteTags", use: "change", calledFrom: `${EC2_CLIENT} removeTags` },
  { action: "ec2:AuthorizeSecurityGroupIngress", use: "change", calledFrom: `${EC2_CLIENT} authorize` },
  { action: "ec2:AuthorizeSecurityGroupEgress", use: "change", calledFrom: `${EC2_CLIENT} authorize` },
  { action: "ec2:RevokeSecurityGroupIngress", use: "change", calledFrom: `${EC2_CLIENT} revoke` },
  { action: "ec2:RevokeSecurityGroupEgress", use: "change", calledFrom: `${EC2_CLIENT} revoke` },
  {
    action: "ec2:UpdateSecurityGroupRuleDescriptionsIngress",
    use: "change",
    calledFrom: `${EC2_CLIENT} updateDescriptions`,
  },
  {
    action: "ec2:UpdateSecurityGroupRuleDescriptionsEgress",
    use: "change",
    calledFrom: `${EC2_CLIENT} updateDescriptions`,
  },
  { action: "ec2:DeleteSecurityGroup", use: "change", calledFrom: `${EC2_CLIENT} delete` },
  // Resource Groups Tagging: finds a LoadBalancer's target groups by its uid tag when its status may
  // not name them all (a create whose answer was lost), and before a delete.
  { action: "tag:GetResources", use: "read", calledFrom: `${ELBV2_API} targetGroupArnsByUid` },
];

/** The EC2 creates whose TagSpecifications EC2 authorizes as CreateTags, named by ec2:CreateAction. */
const EC2_CREATE_ACTIONS = ACTIONS.filter((a) => a.use === "create" && a.action.startsWith("ec2:"))
  .map((a) => a.action.slice("ec2:".length))
  .sort();

/** The ELBv2 creates whose tags ELB authorizes as AddTags, named by elasticloadbalancing:CreateAction. */
const ELB_CREATE_ACTIONS = ACTIONS.filter(
  (a) => a.use === "create" && a.action.startsWith("elasticloadbalancing:"),
)
  .map((a) => a.action.slice("elasticloadbalancing:".length))
  .sort();

export const OWNER_TAG = "setpoint.dev/owner";
export const UID_TAG = "setpoint.dev/uid";

export interface PolicyStatement {
  Sid: string;
  Effect: "Allow";
  Action: string[];
  Resource: "*";
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
  Version: "2012-10-17";
  Statement: PolicyStatement[];
}

const actionsOf = (filter: (a: IamAction) => boolean, from: readonly IamAction[] = ACTIONS) =>
  from
    .filter(filter)
    .map((a) => a.action)
    .sort();

/** Every action on every resource, one statement per service. */
export function basePolicy(actions: readonly IamAction[] = ACTIONS): PolicyDocument {
  const services = [...new Set(actions.map((a) => a.action.split(":")[0] as string))].sort();
  return {
    Version: "2012-10-17",
    Statement: services.map((service) => ({
      Sid: `Setpoint${sidOf(service)}`,
      Effect: "Allow",
      Action: actionsOf((a) => a.action.startsWith(`${service}:`), actions),
      Resource: "*",
    })),
  };
}

const requestTagged = {
  Null: { [`aws:RequestTag/${OWNER_TAG}`]: "false", [`aws:RequestTag/${UID_TAG}`]: "false" },
};
const owned = { Null: { [`aws:ResourceTag/${OWNER_TAG}`]: "false" } };

/** The same actions, with AWS enforcing setpoint's ownership tags. */
export function ownerTagPolicy(actions: readonly IamAction[] = ACTIONS): PolicyDocument {
  const of = (use: ActionUse, prefix?: string) =>
    actionsOf((a) => a.use === use && (prefix === undefined || a.action.startsWith(prefix)), actions);
  const statements: PolicyStatement[] = [
    { Sid: "Read", Effect: "Allow", Action: of("read"), Resource: "*" },
    // A create must carry both ownership tags.
    {
      Sid: "CreateOnlyTagged",
      Effect: "Allow",
      Action: of("create"),
      Resource: "*",
      Condition: requestTagged,
    },
    // Changes, deletes and tag changes only on what carries an owner tag.
    {
      Sid: "ChangeOnlyOwned",
      Effect: "Allow",
      Action: [...of("change"), ...of("tag")].sort(),
      Resource: "*",
      Condition: owned,
    },
    // ELB names the create a tag-on-create belongs to, so tags go onto new resources only in their
    // create call, never onto an existing untagged one.
    {
      Sid: "ElbTagOnCreate",
      Effect: "Allow",
      Action: of("tag", "elasticloadbalancing:"),
      Resource: "*",
      Condition: {
        StringEquals: { "elasticloadbalancing:CreateAction": ELB_CREATE_ACTIONS },
        ...requestTagged,
      },
    },
    // EC2 names the create a tag-on-create belongs to (ec2:CreateAction), as ELB does: tags go onto a
    // new security group only in its create call, never onto an existing untagged one.
    {
      Sid: "Ec2TagOnCreate",
      Effect: "Allow",
      Action: of("tag", "ec2:"),
      Resource: "*",
      Condition: {
        StringEquals: { "ec2:CreateAction": EC2_CREATE_ACTIONS },
        ...requestTagged,
      },
    },
    // rdsTagOnCreate: RDS authorizes the tags of CreateDBInstance as AddTagsToResource, with no key that
    // tells a create from a later AddTagsToResource. So this also lets setpoint put ownership tags on
    // an existing, untagged DB instance, after which the statement above lets it change it. The engine
    // refuses to do that without the ProviderConfig's adoption consent; IAM alone cannot, for RDS.
    {
      Sid: "RdsTagOnCreate",
      Effect: "Allow",
      Action: of("tag", "rds:"),
      Resource: "*",
      Condition: requestTagged,
    },
  ];
  return { Version: "2012-10-17", Statement: statements.filter((s) => s.Action.length > 0) };
}

function sidOf(service: string): string {
  if (service === "elasticloadbalancing") return "Elbv2";
  return service.charAt(0).toUpperCase() + service.slice(1);
}

/** The documents, by file name under deploy/iam/. */
export function policyFiles(): Map<string, string> {
  return new Map([
    ["setpoint-policy.json", `${JSON.stringify(basePolicy(), null, 2)}\n`],
    ["setpoint-policy-owner-tags.json", `${JSON.stringify(ownerTagPolicy(), null, 2)}\n`],
  ]);
}
