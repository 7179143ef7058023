// LoadBalancer: one ELBv2 load balancer together with its target groups and
// listeners, managed as a single resource. The schema is structural on
// purpose (no unions, no transforms): the CRD is generated from it, and the
// rules zod cannot express are CEL rules the API server enforces.
// Over 400 lines because it is the whole CRD schema of three AWS objects (load balancer, target
// groups, listeners) with the CEL rules beside the fields they guard; it holds no logic.
import { z } from "zod";
import { localReference, localSelector } from "../../../controller/api/index.ts";
import { defineAwsKind, TagMap } from "./common.ts";
import { SECURITY_GROUP_KIND } from "./securitygroup.ts";

export const LOAD_BALANCER_KIND = "LoadBalancer";
export const LOAD_BALANCER_PLURAL = "loadbalancers";

/** Local names of target groups: referenced by listeners, and part of the derived AWS name. */
const LOCAL_NAME_PATTERN = /^[a-zA-Z0-9]([a-zA-Z0-9-]{0,30}[a-zA-Z0-9])?$/;

/**
 * Enums carry a maxLength so the API server's CEL cost estimate, which
 * ignores enum values, knows how long the strings compared in rules can be.
 */
function boundedEnum<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values).meta({ maxLength: Math.max(...values.map((v) => v.length)) });
}

export const LoadBalancerType = boundedEnum(["application", "network"]);
export const Scheme = boundedEnum(["internet-facing", "internal"]);
export const IpAddressType = boundedEnum(["ipv4", "dualstack"]);
export const TargetGroupProtocol = boundedEnum(["HTTP", "HTTPS", "TCP", "TLS", "UDP", "TCP_UDP"]);
export const ListenerProtocol = boundedEnum(["HTTP", "HTTPS", "TCP", "TLS", "UDP", "TCP_UDP"]);
export const TargetType = boundedEnum(["instance", "ip", "lambda", "alb"]);
export const HealthCheckProtocol = boundedEnum(["HTTP", "HTTPS", "TCP"]);
export const ActionType = boundedEnum(["forward", "fixed-response"]);
export const FixedResponseContentType = boundedEnum([
  "text/plain",
  "text/css",
  "text/html",
  "application/javascript",
  "application/json",
]);

const Port = z.int().min(1).max(65535);

export const HealthCheck = z
  .object({
    enabled: z
      .boolean()
      .optional()
      .meta({ description: "Whether health checks run. AWS enables them for every target type but lambda." }),
    protocol: HealthCheckProtocol.optional().meta({
      description: "Protocol of the health check: HTTP or HTTPS (application), or also TCP (network).",
    }),
    port: z
      .string()
      .max(12)
      .regex(/^(traffic-port|[1-9][0-9]{0,4})$/)
      .optional()
      .meta({
        description: 'Port of the health check: "traffic-port" (the default) or a port number as a string.',
      }),
    path: z
      .string()
      .min(1)
      .max(1024)
      .regex(/^\//)
      .optional()
      .meta({ description: "Path of an HTTP or HTTPS health check, e.g. /healthz." }),
    intervalSeconds: z
      .int()
      .min(5)
      .max(300)
      .optional()
      .meta({ description: "Seconds between health checks." }),
    timeoutSeconds: z
      .int()
      .min(2)
      .max(120)
      .optional()
      .meta({ description: "Seconds without a response after which a health check fails." }),
    healthyThresholdCount: z
      .int()
      .min(2)
      .max(10)
      .optional()
      .meta({ description: "Consecutive successes before an unhealthy target counts as healthy." }),
    unhealthyThresholdCount: z
      .int()
      .min(2)
      .max(10)
      .optional()
      .meta({ description: "Consecutive failures before a healthy target counts as unhealthy." }),
    matcher: z
      .string()
      .regex(/^[0-9]{3}([,-][0-9]{3})*$/)
      .max(64)
      .optional()
      .meta({ description: 'HTTP codes that mean healthy, e.g. "200", "200-299" or "200,202".' }),
  })
  .meta({
    description: "Health check settings. Fields left out keep the AWS defaults and are not compared.",
    "x-kubernetes-validations": [
      {
        rule: "!has(self.timeoutSeconds) || !has(self.intervalSeconds) || self.timeoutSeconds < self.intervalSeconds",
        message: "timeoutSeconds must be smaller than intervalSeconds",
        fieldPath: ".timeoutSeconds",
      },
    ],
  });
export type HealthCheck = z.infer<typeof HealthCheck>;

/** Target group fields AWS cannot change after creation. */
export const TARGET_GROUP_IMMUTABLE_FIELDS = ["protocol", "port", "targetType", "vpcId"] as const;

/** CEL: each immutable field keeps both its presence and its value. */
const targetGroupImmutableRule = TARGET_GROUP_IMMUTABLE_FIELDS.map(
  (f) => `(has(self.${f}) ? has(oldSelf.${f}) && self.${f} == oldSelf.${f} : !has(oldSelf.${f}))`,
).join(" && ");

export const TargetGroup = z
  .object({
    name: z.string().min(1).max(32).regex(LOCAL_NAME_PATTERN).meta({
      description:
        "Name of the target group within this LoadBalancer, used by listeners. The AWS name is derived from it and the load balancer's name.",
    }),
    protocol: TargetGroupProtocol.optional().meta({
      description: "Protocol to the targets. Required unless targetType is lambda. Cannot change.",
    }),
    port: Port.optional().meta({
      description: "Port on the targets. Required unless targetType is lambda. Cannot change.",
    }),
    targetType: TargetType.default("instance").meta({
      description: "How targets are registered: instance, ip, lambda or alb. Cannot change.",
    }),
    vpcId: z
      .string()
      .max(64)
      .regex(/^vpc-[0-9a-f]+$/)
      .optional()
      .meta({ description: "VPC of the target group. Defaults to the load balancer's VPC. Cannot change." }),
    healthCheck: HealthCheck.optional(),
  })
  .meta({
    description: "A target group owned by this LoadBalancer.",
    "x-kubernetes-validations": [
      {
        rule: "self.targetType == 'lambda' ? !has(self.protocol) && !has(self.port) && !has(self.vpcId) : has(self.protocol) && has(self.port)",
        message:
          "protocol and port are required for targetType instance, ip and alb, and must be left out (with vpcId) for lambda",
      },
      {
        rule: targetGroupImmutableRule,
        message:
          "protocol, port, targetType and vpcId of a target group cannot change: give the target group a new name to replace it",
      },
    ],
  });
export type TargetGroup = z.infer<typeof TargetGroup>;

export const FixedResponse = z
  .object({
    statusCode: z
      .string()
      .max(3)
      .regex(/^[2-5][0-9][0-9]$/)
      .meta({ description: 'HTTP status code to return, e.g. "404".' }),
    contentType: FixedResponseContentType.optional().meta({ description: "Content type of the response." }),
    messageBody: z.string().max(1024).optional().meta({ description: "Body of the response." }),
  })
  .meta({ description: "The response a fixed-response action returns (application load balancers only)." });
export type FixedResponse = z.infer<typeof FixedResponse>;

export const DefaultAction = z
  .object({
    type: ActionType.meta({
      description: "forward: send to targetGroupName. fixed-response: answer with fixedResponse.",
    }),
    targetGroupName: z
      .string()
      .min(1)
      .max(32)
      .optional()
      .meta({ description: "For forward: the name of a target group of this LoadBalancer." }),
    fixedResponse: FixedResponse.optional(),
  })
  .meta({
    description: "What the listener does with a request no rule matches.",
    "x-kubernetes-validations": [
      {
        rule: "self.type == 'forward' ? has(self.targetGroupName) && !has(self.fixedResponse) : has(self.fixedResponse) && !has(self.targetGroupName)",
        message:
          "a forward action needs targetGroupName (only); a fixed-response action needs fixedResponse (only)",
      },
    ],
  });
export type DefaultAction = z.infer<typeof DefaultAction>;

export const Listener = z
  .object({
    port: Port.meta({ description: "Port the load balancer listens on; identifies the listener." }),
    protocol: ListenerProtocol.meta({
      description: "HTTP or HTTPS for application load balancers; TCP, TLS, UDP or TCP_UDP for network ones.",
    }),
    certificateArn: z
      .string()
      .min(1)
      .max(2048)
      .optional()
      .meta({ description: "Default server certificate (ACM or IAM ARN); required for HTTPS and TLS." }),
    sslPolicy: z
      .string()
      .min(1)
      .max(128)
      .optional()
      .meta({ description: "Security policy for HTTPS and TLS, e.g. ELBSecurityPolicy-TLS13-1-2-2021-06." }),
    defaultAction: DefaultAction,
  })
  .meta({
    description: "A listener of this LoadBalancer.",
    "x-kubernetes-validations": [
      {
        rule: "self.protocol in ['HTTPS', 'TLS'] ? has(self.certificateArn) : !has(self.certificateArn) && !has(self.sslPolicy)",
        message:
          "certificateArn is required for HTTPS and TLS listeners, and certificateArn and sslPolicy are allowed only for them",
      },
    ],
  });
export type Listener = z.infer<typeof Listener>;

/** CEL over an attribute key `k`: the attributes AWS has only for application load balancers. */
const APPLICATION_ONLY_ATTRIBUTES =
  "k == 'idle_timeout.timeout_seconds' || k == 'client_keep_alive.seconds' || k.startsWith('routing.http')";

/** CEL: attribute `key`, when given, is a whole number from `min` to `max`. */
function attributeRange(key: string, min: number, max: number) {
  return {
    rule: `!('${key}' in self) || (self['${key}'].matches('^[0-9]{1,7}$') && int(self['${key}']) >= ${min} && int(self['${key}']) <= ${max})`,
    message: `${key} must be a whole number of seconds from ${min} to ${max}`,
  };
}

/** CEL: attribute `key`, when given, is one of `values`. */
function attributeEnum(key: string, values: readonly string[]) {
  return {
    rule: `!('${key}' in self) || self['${key}'] in [${values.map((v) => `'${v}'`).join(", ")}]`,
    message: `${key} must be one of ${values.join(", ")}`,
  };
}

/**
 * The values AWS documents for the attributes whose value it constrains. An
 * attribute key AWS does not know is refused by AWS itself (a terminal
 * InvalidConfigurationRequest), since new keys appear every year.
 */
export const ATTRIBUTE_RULES = [
  {
    rule: "self.all(k, !k.endsWith('.enabled') || self[k] in ['true', 'false'])",
    message: 'attributes ending in .enabled take "true" or "false"',
  },
  attributeRange("idle_timeout.timeout_seconds", 1, 4000),
  attributeRange("client_keep_alive.seconds", 60, 604800),
  attributeEnum("routing.http.desync_mitigation_mode", ["monitor", "defensive", "strictest"]),
  attributeEnum("routing.http.xff_header_processing.mode", ["append", "preserve", "remove"]),
  attributeEnum("dns_record.client_routing_policy", [
    "availability_zone_affinity",
    "partial_availability_zone_affinity",
    "any_availability_zone",
  ]),
];

/** ELBv2 has about 30 attributes; the bound keeps the CEL cost estimate low. */
export const MAX_ATTRIBUTES = 64;

export const MAX_TARGET_GROUPS = 50;
export const MAX_LISTENERS = 50;

/**
 * The CEL rules on forProvider; specProblems in providers/aws/elbv2 mirrors those on the fields the
 * provider acts on, for its own guard. The first two are about references, which the engine resolves
 * into securityGroups before the provider sees the spec (the third rule then covers the result).
 */
export const FOR_PROVIDER_RULES = [
  {
    rule: "self.type == 'application' || (!has(self.securityGroupRefs) && !has(self.securityGroupSelector))",
    message: "securityGroupRefs and securityGroupSelector are supported only for application load balancers",
  },
  {
    rule: "!has(self.securityGroupRefs) || !has(self.securityGroupSelector)",
    message: "give securityGroupRefs or securityGroupSelector, not both",
  },
  {
    rule: "self.type != 'application' || size(self.subnets) >= 2",
    message: "an application load balancer needs at least two subnets, in two Availability Zones",
    fieldPath: ".subnets",
  },
  {
    rule: `self.type == 'application' || !has(self.attributes) || !self.attributes.exists(k, ${APPLICATION_ONLY_ATTRIBUTES})`,
    message:
      "idle_timeout.timeout_seconds, client_keep_alive.seconds and routing.http* attributes are for application load balancers only",
    fieldPath: ".attributes",
  },
  {
    rule: "self.type == 'application' || !has(self.securityGroups) || size(self.securityGroups) == 0",
    message: "securityGroups are supported only for application load balancers",
  },
  {
    rule: "!has(self.listeners) || self.listeners.all(l, l.defaultAction.type != 'forward' || (has(l.defaultAction.targetGroupName) && has(self.targetGroups) && self.targetGroups.exists(t, t.name == l.defaultAction.targetGroupName)))",
    message: "a listener's forward action must name a target group of this LoadBalancer",
  },
  {
    rule: "!has(self.listeners) || self.listeners.all(l, self.type == 'application' ? l.protocol in ['HTTP', 'HTTPS'] : !(l.protocol in ['HTTP', 'HTTPS']))",
    message:
      "application load balancers take HTTP and HTTPS listeners; network load balancers take TCP, TLS, UDP and TCP_UDP listeners",
  },
  {
    rule: "self.type == 'application' || !has(self.listeners) || self.listeners.all(l, l.defaultAction.type == 'forward')",
    message: "fixed-response actions are supported only by application load balancers",
  },
] as const;

export const LoadBalancerForProvider = z
  .object({
    type: LoadBalancerType.default("application").meta({
      description: "application (HTTP/HTTPS, layer 7) or network (TCP/TLS/UDP, layer 4). Cannot change.",
      "x-kubernetes-validations": [{ rule: "self == oldSelf", message: "type cannot change" }],
    }),
    scheme: Scheme.default("internet-facing").meta({
      description: "internet-facing (public addresses) or internal (private addresses only). Cannot change.",
      "x-kubernetes-validations": [{ rule: "self == oldSelf", message: "scheme cannot change" }],
    }),
    ipAddressType: IpAddressType.default("ipv4").meta({
      description: "ipv4, or dualstack for IPv4 and IPv6 (the subnets need IPv6 CIDR blocks).",
    }),
    subnets: z
      .array(
        z
          .string()
          .min(1)
          .max(64)
          .regex(/^subnet-[0-9a-f]+$/),
      )
      .min(1)
      .max(20)
      .meta({
        description:
          "Subnet IDs, at most one per Availability Zone. Application load balancers need at least two, in different zones (the zones are checked by AWS at create).",
        "x-kubernetes-list-type": "set",
      }),
    securityGroups: z
      .array(
        z
          .string()
          .min(1)
          .max(64)
          .regex(/^sg-[0-9a-f]+$/),
      )
      .max(5)
      .optional()
      .meta({
        description:
          "Security group IDs (application load balancers only). Left out: AWS picks the VPC's default group, which is then kept. With securityGroupRefs or securityGroupSelector, setpoint writes the groups' IDs here.",
        "x-kubernetes-list-type": "set",
      }),
    securityGroupRefs: z.array(localReference(SECURITY_GROUP_KIND)).max(5).optional().meta({
      description:
        "SecurityGroups in this namespace whose IDs setpoint writes into securityGroups once all are Ready; a group recreated with a new ID is applied as a change.",
    }),
    securityGroupSelector: localSelector(SECURITY_GROUP_KIND).optional(),
    attributes: z
      .record(z.string().min(1).max(256), z.string().max(1024))
      .optional()
      .meta({
        description:
          'Load balancer attributes, e.g. {"idle_timeout.timeout_seconds": "120", "deletion_protection.enabled": "true"}. Only the keys given here are managed. Checked up front: *.enabled takes "true" or "false", idle_timeout.timeout_seconds 1 to 4000, client_keep_alive.seconds 60 to 604800, and the documented values of routing.http.desync_mitigation_mode, routing.http.xff_header_processing.mode and dns_record.client_routing_policy; idle_timeout, client_keep_alive and routing.http* are for application load balancers only. A key AWS does not know is refused by AWS.',
        maxProperties: MAX_ATTRIBUTES,
        "x-kubernetes-validations": [
          {
            rule: "self.all(k, size(k) >= 1 && size(k) <= 256)",
            message: "attribute keys must have 1 to 256 characters",
          },
          ...ATTRIBUTE_RULES,
        ],
      }),
    tags: TagMap.optional(),
    targetGroups: z
      .array(TargetGroup)
      .max(MAX_TARGET_GROUPS)
      .optional()
      .meta({
        description: "Target groups created and deleted with this LoadBalancer; names are unique.",
        "x-kubernetes-list-type": "map",
        "x-kubernetes-list-map-keys": ["name"],
      }),
    listeners: z
      .array(Listener)
      .max(MAX_LISTENERS)
      .optional()
      .meta({
        description: "Listeners of the load balancer, one per port.",
        "x-kubernetes-list-type": "map",
        "x-kubernetes-list-map-keys": ["port"],
      }),
  })
  .meta({
    description: "The ELBv2 load balancer, its target groups and its listeners.",
    "x-kubernetes-validations": [...FOR_PROVIDER_RULES],
  });
export type LoadBalancerForProvider = z.output<typeof LoadBalancerForProvider>;

export const LoadBalancerAtProvider = z
  .object({
    arn: z.string().optional().meta({ description: "ARN of the load balancer." }),
    dnsName: z.string().optional().meta({ description: "DNS name of the load balancer." }),
    state: z
      .string()
      .optional()
      .meta({ description: "State reported by AWS: provisioning, active, active_impaired or failed." }),
    canonicalHostedZoneId: z
      .string()
      .optional()
      .meta({ description: "Route 53 hosted zone ID for alias records to the load balancer." }),
    vpcId: z.string().optional().meta({ description: "VPC of the load balancer." }),
    targetGroups: z
      .array(
        z.object({
          name: z.string().meta({ description: "Local name of the target group." }),
          arn: z.string().meta({ description: "ARN of the target group." }),
        }),
      )
      .optional()
      .meta({ description: "Target groups setpoint manages for this LoadBalancer." }),
    listeners: z
      .array(
        z.object({
          port: z.int().meta({ description: "Port of the listener." }),
          arn: z.string().meta({ description: "ARN of the listener." }),
        }),
      )
      .optional()
      .meta({ description: "Listeners setpoint manages for this LoadBalancer." }),
  })
  .meta({ description: "Observed, non-secret state of the load balancer." });
export type LoadBalancerAtProvider = z.output<typeof LoadBalancerAtProvider>;

export const LoadBalancerKind = defineAwsKind({
  kind: LOAD_BALANCER_KIND,
  plural: LOAD_BALANCER_PLURAL,
  singular: "loadbalancer",
  // "lb" is too likely to collide with other CRDs in a cluster.
  shortNames: ["splb"],
  description:
    "An AWS ELBv2 load balancer (application or network) with its target groups and listeners, managed as one resource.",
  forProvider: LoadBalancerForProvider,
  atProvider: LoadBalancerAtProvider,
  references: [
    {
      field: "forProvider.securityGroupRefs",
      selector: "forProvider.securityGroupSelector",
      kind: SECURITY_GROUP_KIND,
      into: "forProvider.securityGroups",
      from: "status.atProvider.groupId",
      many: true,
    },
  ],
});
