// Bad LoadBalancers: the ELBv2 fields and the rules between them, the limits
// AWS documents, and ELBv2's own refusals. A table, one entry per bad input,
// so it is long by nature. The cloud-call bounds of the answered entries are
// what one attempt costs (the create path's lookups and the refused call).
import { CreateLoadBalancerCommand } from "@aws-sdk/client-elastic-load-balancing-v2";
import { SEED_SECURITY_GROUP_ID, SEED_SUBNET_IDS, SEED_VPC_ID } from "../env.ts";
import { answered, type Entry, type Json, merge, rejected, tags, withForProvider } from "./catalogue.ts";
import { managedEntries } from "./managed.ts";

const WEB_TG = { name: "web", protocol: "HTTP", port: 80, vpcId: SEED_VPC_ID };
const HTTP_80 = { port: 80, protocol: "HTTP", defaultAction: { type: "forward", targetGroupName: "web" } };

export const LB_BASE: Json = {
  forProvider: { subnets: [...SEED_SUBNET_IDS], targetGroups: [WEB_TG], listeners: [HTTP_80] },
};

const FP = "spec.forProvider";
type Category = Parameters<typeof rejected>[0]["category"];

function bad(name: string, category: Category, patch: Json, field: string, message: string | RegExp): Entry {
  return rejected({
    name: `a LoadBalancer with ${name}`,
    kind: "LoadBalancer",
    category,
    spec: withForProvider(LB_BASE, patch),
    expect: { field: field === "" ? FP : `${FP}.${field}`, message },
  });
}

/** The base with its one target group changed by `patch`. */
const tg = (patch: Json) => ({ targetGroups: [merge(WEB_TG, patch)] });
/** The base with its one listener changed by `patch`. */
const listener = (patch: Json) => ({ listeners: [merge(HTTP_80, patch)] });
const attributes = (a: Record<string, string>) => ({ attributes: a });

function immutable(name: string, from: Json, to: Json, field: string, message: string): Entry {
  return rejected({
    name: `a change of a LoadBalancer's ${name}`,
    kind: "LoadBalancer",
    category: "immutable field",
    spec: withForProvider(LB_BASE, from),
    patch: { spec: { forProvider: to } },
    expect: { field: `${FP}${field ? `.${field}` : ""}`, message },
  });
}

/** Accepted, then refused by ELBv2 at create: a terminal condition, and no retry in a loop. */
function refusedByCloud(name: string, patch: Json, message: RegExp, maxCloudCalls: number): Entry {
  return answered({
    name: `a LoadBalancer with ${name}`,
    kind: "LoadBalancer",
    category: "cloud refusal",
    resource: (c) => ({
      kind: "LoadBalancer",
      spec: withForProvider({ ...LB_BASE, providerConfigRef: { name: c.providerConfig } }, patch),
    }),
    expect: { reason: "ReconcileTerminal", message, event: "CannotCreateExternalResource", maxCloudCalls },
  });
}

export const LOAD_BALANCER_ENTRIES: Entry[] = [
  ...managedEntries("LoadBalancer", LB_BASE, {
    value: "web_frontend",
    why: /external-name is "web_frontend", which cannot name a LoadBalancer in the cloud: a load balancer name has 1 to 32/,
  }),
  // Types, ranges and enums.
  bad("type gateway", "unknown enum value", { type: "gateway" }, "type", "Unsupported value"),
  bad("scheme public", "unknown enum value", { scheme: "public" }, "scheme", "Unsupported value"),
  bad(
    "ipAddressType ipv6",
    "unknown enum value",
    { ipAddressType: "ipv6" },
    "ipAddressType",
    "Unsupported value",
  ),
  bad(
    "a listener protocol SMTP",
    "unknown enum value",
    listener({ protocol: "SMTP" }),
    "listeners[0].protocol",
    "Unsupported value",
  ),
  bad(
    "a redirect action, which setpoint does not manage",
    "unknown enum value",
    listener({ defaultAction: { type: "redirect" } }),
    "listeners[0].defaultAction.type",
    "Unsupported value",
  ),
  bad(
    "a listener port of 0",
    "out of range",
    listener({ port: 0 }),
    "listeners[0].port",
    /greater than or equal to 1/,
  ),
  bad(
    "a listener port as a string",
    "wrong type",
    listener({ port: "80" }),
    "listeners[0].port",
    "must be of type integer",
  ),
  bad(
    "a target group port of 70000",
    "out of range",
    tg({ port: 70000 }),
    "targetGroups[0].port",
    /less than or equal to 65535/,
  ),
  bad(
    "a health check every 4 seconds",
    "out of range",
    tg({ healthCheck: { intervalSeconds: 4 } }),
    "targetGroups[0].healthCheck.intervalSeconds",
    /greater than or equal to 5/,
  ),
  bad(
    "a healthy threshold of 11",
    "out of range",
    tg({ healthCheck: { healthyThresholdCount: 11 } }),
    "targetGroups[0].healthCheck.healthyThresholdCount",
    /less than or equal to 10/,
  ),
  bad(
    "a fixed response with status 600",
    "out of range",
    {
      listeners: [
        {
          port: 80,
          protocol: "HTTP",
          defaultAction: { type: "fixed-response", fixedResponse: { statusCode: "600" } },
        },
      ],
    },
    "listeners[0].defaultAction.fixedResponse.statusCode",
    "should match",
  ),
  bad(
    "subnets as a string",
    "wrong type",
    { subnets: SEED_SUBNET_IDS[0] },
    "subnets",
    "must be of type array",
  ),
  bad("no subnets", "out of range", { subnets: [] }, "subnets", /at least 1 item/),
  bad(
    "21 subnets",
    "out of range",
    { subnets: Array.from({ length: 21 }, (_, i) => `subnet-${(i + 10).toString(16)}`) },
    "subnets",
    /at most 20 items|Too many/,
  ),
  bad(
    "six security groups",
    "out of range",
    { securityGroups: ["sg-1", "sg-2", "sg-3", "sg-4", "sg-5", "sg-6"] },
    "securityGroups",
    /at most 5 items|Too many/,
  ),
  // Names and strings.
  bad(
    "a subnet that is not a subnet ID",
    "name AWS refuses",
    { subnets: ["sn-1", SEED_SUBNET_IDS[1]] },
    "subnets[0]",
    "should match",
  ),
  bad(
    "a target group name with an underscore",
    "name AWS refuses",
    {
      targetGroups: [{ ...WEB_TG, name: "my_tg" }],
      listeners: [listener({ defaultAction: { type: "forward", targetGroupName: "my_tg" } }).listeners[0]],
    },
    "targetGroups[0].name",
    "should match",
  ),
  bad(
    "a 33-character target group name",
    "name AWS refuses",
    { targetGroups: [{ ...WEB_TG, name: "t".repeat(33) }], listeners: [] },
    "targetGroups[0].name",
    /Too long|at most 32/,
  ),
  bad(
    "a health check path without a leading slash",
    "name AWS refuses",
    tg({ healthCheck: { path: "healthz" } }),
    "targetGroups[0].healthCheck.path",
    "should match",
  ),
  bad(
    'a health check matcher "2xx"',
    "name AWS refuses",
    tg({ healthCheck: { matcher: "2xx" } }),
    "targetGroups[0].healthCheck.matcher",
    "should match",
  ),
  bad(
    "an empty attribute key",
    "empty or huge string",
    attributes({ "": "1" }),
    "attributes",
    "attribute keys must have 1 to 256 characters",
  ),
  bad(
    "a 2,000-character fixed response body",
    "empty or huge string",
    {
      listeners: [
        {
          port: 80,
          protocol: "HTTP",
          defaultAction: {
            type: "fixed-response",
            fixedResponse: { statusCode: "404", messageBody: "x".repeat(2000) },
          },
        },
      ],
    },
    "listeners[0].defaultAction.fixedResponse.messageBody",
    /Too long|at most 1024/,
  ),
  bad(
    "a subnet listed twice",
    "cross-field rule",
    { subnets: [SEED_SUBNET_IDS[0], SEED_SUBNET_IDS[0]] },
    "subnets[1]",
    "Duplicate value",
  ),
  bad(
    "two target groups of one name",
    "cross-field rule",
    { targetGroups: [WEB_TG, WEB_TG] },
    "targetGroups[1]",
    "Duplicate value",
  ),
  bad(
    "two listeners on one port",
    "cross-field rule",
    { listeners: [HTTP_80, HTTP_80] },
    "listeners[1]",
    "Duplicate value",
  ),
  // What AWS documents, checked before any endpoint sees it.
  bad(
    "one subnet: an application load balancer needs two zones",
    "AWS limit",
    { subnets: [SEED_SUBNET_IDS[0]] },
    "subnets",
    "an application load balancer needs at least two subnets",
  ),
  bad(
    'idle_timeout.timeout_seconds "999999"',
    "AWS limit",
    attributes({ "idle_timeout.timeout_seconds": "999999" }),
    "attributes",
    "idle_timeout.timeout_seconds must be a whole number of seconds from 1 to 4000",
  ),
  bad(
    'idle_timeout.timeout_seconds "0"',
    "AWS limit",
    attributes({ "idle_timeout.timeout_seconds": "0" }),
    "attributes",
    "from 1 to 4000",
  ),
  bad(
    'idle_timeout.timeout_seconds "sixty"',
    "wrong type",
    attributes({ "idle_timeout.timeout_seconds": "sixty" }),
    "attributes",
    "from 1 to 4000",
  ),
  bad(
    'deletion_protection.enabled "banana"',
    "wrong type",
    attributes({ "deletion_protection.enabled": "banana" }),
    "attributes",
    'attributes ending in .enabled take "true" or "false"',
  ),
  bad(
    'client_keep_alive.seconds "10"',
    "AWS limit",
    attributes({ "client_keep_alive.seconds": "10" }),
    "attributes",
    "from 60 to 604800",
  ),
  bad(
    'routing.http.desync_mitigation_mode "lax"',
    "unknown enum value",
    attributes({ "routing.http.desync_mitigation_mode": "lax" }),
    "attributes",
    "must be one of monitor, defensive, strictest",
  ),
  bad("60 tags", "AWS limit", { tags: tags(60) }, "tags", /must have at most 48 items|Too many/),
  bad(
    "a tag key starting with aws:",
    "AWS limit",
    { tags: { "aws:created-by": "me" } },
    "tags",
    "tag keys starting with aws: are reserved by AWS",
  ),
  bad(
    "setpoint's own uid tag",
    "ownership",
    { tags: { "setpoint.dev/uid": "1234" } },
    "tags",
    "are setpoint's own tags",
  ),
  bad(
    "a health check timeout longer than its interval",
    "AWS limit",
    tg({ healthCheck: { intervalSeconds: 10, timeoutSeconds: 30 } }),
    "targetGroups[0].healthCheck.timeoutSeconds",
    "timeoutSeconds must be smaller than intervalSeconds",
  ),
  // Fields that depend on one another.
  bad(
    "security groups on a network load balancer",
    "cross-field rule",
    {
      type: "network",
      securityGroups: [SEED_SECURITY_GROUP_ID],
      targetGroups: [{ ...WEB_TG, protocol: "TCP" }],
      listeners: [{ port: 80, protocol: "TCP", defaultAction: { type: "forward", targetGroupName: "web" } }],
    },
    "",
    "securityGroups are supported only for application load balancers",
  ),
  bad(
    "a listener forwarding to a target group that is not in the spec",
    "cross-field rule",
    listener({ defaultAction: { type: "forward", targetGroupName: "api" } }),
    "",
    "a listener's forward action must name a target group of this LoadBalancer",
  ),
  bad(
    "a TCP listener on an application load balancer",
    "cross-field rule",
    listener({ protocol: "TCP" }),
    "",
    "application load balancers take HTTP and HTTPS listeners",
  ),
  bad(
    "an HTTPS listener without a certificate",
    "cross-field rule",
    listener({ port: 443, protocol: "HTTPS" }),
    "listeners[0]",
    "certificateArn is required for HTTPS and TLS listeners",
  ),
  bad(
    "a certificate on an HTTP listener",
    "cross-field rule",
    listener({ certificateArn: "arn:aws:acm:us-east-1:123456789012:certificate/x" }),
    "listeners[0]",
    "certificateArn is required for HTTPS and TLS listeners, and certificateArn and sslPolicy are allowed only for them",
  ),
  bad(
    "a forward action that also has a fixed response",
    "cross-field rule",
    listener({
      defaultAction: { type: "forward", targetGroupName: "web", fixedResponse: { statusCode: "404" } },
    }),
    "listeners[0].defaultAction",
    "a forward action needs targetGroupName (only)",
  ),
  bad(
    "a lambda target group with a port",
    "cross-field rule",
    { targetGroups: [{ name: "fn", targetType: "lambda", port: 80 }], listeners: [] },
    "targetGroups[0]",
    "must be left out (with vpcId) for lambda",
  ),
  bad(
    "an instance target group without a port",
    "cross-field rule",
    { targetGroups: [{ name: "web", protocol: "HTTP" }] },
    "targetGroups[0]",
    "protocol and port are required for targetType instance",
  ),
  bad(
    "idle_timeout on a network load balancer",
    "cross-field rule",
    {
      type: "network",
      targetGroups: [{ ...WEB_TG, protocol: "TCP" }],
      listeners: [{ port: 80, protocol: "TCP", defaultAction: { type: "forward", targetGroupName: "web" } }],
      attributes: { "idle_timeout.timeout_seconds": "60" },
    },
    "attributes",
    "are for application load balancers only",
  ),
  // Fields ELBv2 cannot change.
  immutable("type", {}, { type: "network" }, "type", "type cannot change"),
  immutable("scheme", {}, { scheme: "internal" }, "scheme", "scheme cannot change"),
  immutable(
    "target group port",
    {},
    { targetGroups: [{ ...WEB_TG, port: 8080 }] },
    "targetGroups[0]",
    "protocol, port, targetType and vpcId of a target group cannot change",
  ),
  // Accepted, and answered by the controller.
  refusedByCloud(
    "subnets that do not exist",
    { subnets: ["subnet-0000dead", "subnet-0000beef"] },
    /^cannot create external resource: .*subnet-0000dead/,
    3,
  ),
  refusedByCloud(
    "an attribute AWS does not know",
    { attributes: { "no.such.attribute": "1" } },
    /no\.such\.attribute/,
    5,
  ),
  refusedByCloud(
    "a target group in a VPC that does not exist",
    tg({ vpcId: "vpc-0000dead" }),
    /vpc-0000dead/,
    5,
  ),
  refusedByCloud(
    "an HTTPS listener whose certificate does not exist",
    listener({
      port: 443,
      protocol: "HTTPS",
      certificateArn: "arn:aws:acm:us-east-1:123456789012:certificate/none",
    }),
    /CertificateNotFound/,
    6,
  ),
  answered({
    name: "a LoadBalancer whose external-name is another team's load balancer",
    kind: "LoadBalancer",
    category: "ownership",
    resource: (c) => ({
      kind: "LoadBalancer",
      spec: { ...LB_BASE, providerConfigRef: { name: c.providerConfig } },
      annotations: { "setpoint.dev/external-name": `${c.name}-theirs` },
    }),
    inCloud: async (c) => {
      await c.elb.send(
        new CreateLoadBalancerCommand({
          Name: `${c.name}-theirs`,
          Subnets: [...SEED_SUBNET_IDS],
          Tags: [
            { Key: "setpoint.dev/owner", Value: "other-team/web" },
            { Key: "setpoint.dev/uid", Value: "0000-other" },
          ],
        }),
      );
    },
    expect: {
      reason: "ReconcileTerminal",
      message: /owned by other-team\/web; setpoint will not change it/,
      event: "CannotManageExternalResource",
      maxCloudCalls: 4,
    },
  }),
  answered({
    name: 'a LoadBalancer whose external-name starts with "internal-", which ELBv2 reserves',
    kind: "LoadBalancer",
    category: "name AWS refuses",
    resource: (c) => ({
      kind: "LoadBalancer",
      spec: { ...LB_BASE, providerConfigRef: { name: c.providerConfig } },
      annotations: { "setpoint.dev/external-name": "internal-web" },
    }),
    expect: {
      reason: "ReconcileTerminal",
      message: /does not start with "internal-"/,
      event: "CannotInitializeManagedResource",
      maxCloudCalls: 0,
    },
  }),
  answered({
    name: "a LoadBalancer whose external-name is 33 characters, one more than ELBv2 allows",
    kind: "LoadBalancer",
    category: "name AWS refuses",
    resource: (c) => ({
      kind: "LoadBalancer",
      spec: { ...LB_BASE, providerConfigRef: { name: c.providerConfig } },
      annotations: { "setpoint.dev/external-name": `w${"e".repeat(32)}` },
    }),
    expect: {
      reason: "ReconcileTerminal",
      message: /a load balancer name has 1 to 32 letters/,
      event: "CannotInitializeManagedResource",
      maxCloudCalls: 0,
    },
  }),
];
