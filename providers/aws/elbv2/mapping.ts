// Pure mapping between a LoadBalancer spec and the ELBv2 API: SDK shapes →
// observed state, spec → create inputs, (spec, observed) → drift and the
// ordered plan of update calls. No I/O here; client.ts makes the calls.
import type {
  Action,
  CreateListenerCommandInput,
  CreateLoadBalancerCommandInput,
  CreateTargetGroupCommandInput,
  ModifyListenerCommandInput,
  ModifyTargetGroupCommandInput,
  Listener as SdkListener,
  LoadBalancer as SdkLoadBalancer,
  TargetGroup as SdkTargetGroup,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { Tags } from "../../../apis/aws/v1alpha1/common.ts";
import type {
  DefaultAction,
  HealthCheck,
  Listener,
  LoadBalancerAtProvider,
  LoadBalancerForProvider,
  TargetGroup,
} from "../../../apis/aws/v1alpha1/loadbalancer.ts";
import type { FieldDiff, Observation } from "../../../controller/provider.ts";
import {
  diffTags,
  hasTagChanges,
  ownershipFromTags,
  SetpointCodes,
  tagChangesToDrift,
  tagMapToList,
} from "../shared/index.ts";
import { targetGroupAwsName } from "./names.ts";

/** Our own TerminalError codes (AWS codes are passed through as they are). */
export const Elbv2Codes = {
  /** deletion_protection.enabled is "true" in the cloud and in the spec. */
  DeletionProtected: "DeletionProtected",
  /** The spec breaks a rule the CRD's CEL rules should have caught. */
  InvalidSpec: "InvalidSpec",
  /** A field AWS cannot change in place differs (type, scheme, a target group's protocol/port/targetType/vpcId). */
  ImmutableFieldChanged: "ImmutableFieldChanged",
} as const;

/** Rendered in drift for a list item that should exist but does not, and the reverse. */
export const PRESENT = "present";
export const MISSING = "missing";
export const ABSENT = "absent";

export const DELETION_PROTECTION_ATTRIBUTE = "deletion_protection.enabled";

// ---------------------------------------------------------------------------
// Observed state

export interface ObservedHealthCheck {
  enabled?: boolean;
  protocol?: string;
  port?: string;
  path?: string;
  intervalSeconds?: number;
  timeoutSeconds?: number;
  healthyThresholdCount?: number;
  unhealthyThresholdCount?: number;
  matcher?: string;
}

export interface ObservedTargetGroup {
  /** The local name (spec.forProvider.targetGroups[].name) this AWS name was derived from. */
  name: string;
  awsName: string;
  arn: string;
  protocol?: string;
  port?: number;
  targetType?: string;
  vpcId?: string;
  healthCheck: ObservedHealthCheck;
  /** Undefined when not read. */
  tags?: Record<string, string>;
}

export interface ObservedAction {
  type?: string;
  targetGroupArn?: string;
  fixedResponse?: { statusCode?: string; contentType?: string; messageBody?: string };
}

export interface ObservedListener {
  port: number;
  arn: string;
  protocol?: string;
  certificateArn?: string;
  sslPolicy?: string;
  defaultAction: ObservedAction;
  /** Undefined when not read: tags are read only for listeners on ports the spec does not name. */
  tags?: Record<string, string>;
}

export interface ObservedLoadBalancer {
  arn: string;
  name: string;
  dnsName?: string;
  canonicalHostedZoneId?: string;
  vpcId?: string;
  state?: string;
  stateReason?: string;
  type?: string;
  scheme?: string;
  ipAddressType?: string;
  subnets: string[];
  securityGroups: string[];
  tags: Record<string, string>;
  /** Undefined when not read (the spec sets no attributes). */
  attributes?: Record<string, string>;
  targetGroups: ObservedTargetGroup[];
  listeners: ObservedListener[];
}

export function observedLoadBalancerFrom(
  lb: SdkLoadBalancer,
  tags: Record<string, string>,
): Omit<ObservedLoadBalancer, "targetGroups" | "listeners"> {
  const out: Omit<ObservedLoadBalancer, "targetGroups" | "listeners"> = {
    arn: lb.LoadBalancerArn ?? "",
    name: lb.LoadBalancerName ?? "",
    subnets: (lb.AvailabilityZones ?? []).map((az) => az.SubnetId).filter((s): s is string => !!s),
    securityGroups: [...(lb.SecurityGroups ?? [])],
    tags,
  };
  setIf(out, "dnsName", lb.DNSName);
  setIf(out, "canonicalHostedZoneId", lb.CanonicalHostedZoneId);
  setIf(out, "vpcId", lb.VpcId);
  setIf(out, "state", lb.State?.Code);
  setIf(out, "stateReason", lb.State?.Reason);
  setIf(out, "type", lb.Type);
  setIf(out, "scheme", lb.Scheme);
  setIf(out, "ipAddressType", lb.IpAddressType);
  return out;
}

export function observedTargetGroupFrom(tg: SdkTargetGroup, localName: string): ObservedTargetGroup {
  const hc: ObservedHealthCheck = {};
  setIf(hc, "enabled", tg.HealthCheckEnabled);
  setIf(hc, "protocol", tg.HealthCheckProtocol);
  setIf(hc, "port", tg.HealthCheckPort);
  setIf(hc, "path", tg.HealthCheckPath);
  setIf(hc, "intervalSeconds", tg.HealthCheckIntervalSeconds);
  setIf(hc, "timeoutSeconds", tg.HealthCheckTimeoutSeconds);
  setIf(hc, "healthyThresholdCount", tg.HealthyThresholdCount);
  setIf(hc, "unhealthyThresholdCount", tg.UnhealthyThresholdCount);
  setIf(hc, "matcher", tg.Matcher?.HttpCode);
  const out: ObservedTargetGroup = {
    name: localName,
    awsName: tg.TargetGroupName ?? "",
    arn: tg.TargetGroupArn ?? "",
    healthCheck: hc,
  };
  setIf(out, "protocol", tg.Protocol);
  setIf(out, "port", tg.Port);
  setIf(out, "targetType", tg.TargetType);
  setIf(out, "vpcId", tg.VpcId);
  return out;
}

/** The action that ends the default chain (authenticate actions come first). */
function terminalAction(actions: Action[] | undefined): Action | undefined {
  if (!actions || actions.length === 0) return undefined;
  return [...actions].sort((a, b) => (a.Order ?? 0) - (b.Order ?? 0))[actions.length - 1];
}

export function observedListenerFrom(l: SdkListener): ObservedListener {
  const action = terminalAction(l.DefaultActions);
  const observedAction: ObservedAction = {};
  if (action) {
    setIf(observedAction, "type", action.Type);
    const single = action.ForwardConfig?.TargetGroups;
    setIf(
      observedAction,
      "targetGroupArn",
      action.TargetGroupArn ?? (single?.length === 1 ? single[0]?.TargetGroupArn : undefined),
    );
    if (action.FixedResponseConfig) {
      const f = action.FixedResponseConfig;
      const fixed: NonNullable<ObservedAction["fixedResponse"]> = {};
      setIf(fixed, "statusCode", f.StatusCode);
      setIf(fixed, "contentType", f.ContentType);
      setIf(fixed, "messageBody", f.MessageBody);
      observedAction.fixedResponse = fixed;
    }
  }
  const out: ObservedListener = {
    port: l.Port ?? 0,
    arn: l.ListenerArn ?? "",
    defaultAction: observedAction,
  };
  setIf(out, "protocol", l.Protocol);
  setIf(out, "certificateArn", l.Certificates?.[0]?.CertificateArn);
  setIf(out, "sslPolicy", l.SslPolicy);
  return out;
}

// ---------------------------------------------------------------------------
// Ownership

/** Tagged with our uid: we created (or adopted) it and may change or delete it. */
export function isOwned(tags: Record<string, string> | undefined, uid: string | undefined): boolean {
  return uid !== undefined && tags?.[Tags.uid] === uid;
}

/** Tagged with another resource's uid: never touched. Untagged is not foreign. */
export function isForeign(tags: Record<string, string> | undefined, uid: string | undefined): boolean {
  const tagged = tags?.[Tags.uid];
  return tagged !== undefined && tagged !== uid;
}

// ---------------------------------------------------------------------------
// Spec → create inputs

export function createLoadBalancerInput(
  fp: LoadBalancerForProvider,
  name: string,
  tags: Record<string, string>,
): CreateLoadBalancerCommandInput {
  const input: CreateLoadBalancerCommandInput = {
    Name: name,
    Type: fp.type,
    Scheme: fp.scheme,
    IpAddressType: fp.ipAddressType,
    Subnets: [...fp.subnets],
    Tags: tagMapToList(tags),
  };
  if (fp.type === "application" && fp.securityGroups && fp.securityGroups.length > 0) {
    input.SecurityGroups = [...fp.securityGroups];
  }
  return input;
}

export function healthCheckInput(hc: HealthCheck | undefined): Partial<ModifyTargetGroupCommandInput> {
  const out: Partial<ModifyTargetGroupCommandInput> = {};
  if (!hc) return out;
  setIf(out, "HealthCheckEnabled", hc.enabled);
  setIf(out, "HealthCheckProtocol", hc.protocol);
  setIf(out, "HealthCheckPort", hc.port);
  setIf(out, "HealthCheckPath", hc.path);
  setIf(out, "HealthCheckIntervalSeconds", hc.intervalSeconds);
  setIf(out, "HealthCheckTimeoutSeconds", hc.timeoutSeconds);
  setIf(out, "HealthyThresholdCount", hc.healthyThresholdCount);
  setIf(out, "UnhealthyThresholdCount", hc.unhealthyThresholdCount);
  if (hc.matcher !== undefined) out.Matcher = { HttpCode: hc.matcher };
  return out;
}

/** `lbVpcId` stands in for a target group that names no VPC: targets sit beside their load balancer. */
export function createTargetGroupInput(
  tg: TargetGroup,
  awsName: string,
  lbVpcId: string | undefined,
  tags: Record<string, string>,
): CreateTargetGroupCommandInput {
  const input: CreateTargetGroupCommandInput = {
    Name: awsName,
    TargetType: tg.targetType,
    ...healthCheckInput(tg.healthCheck),
    Tags: tagMapToList(tags),
  };
  if (tg.targetType !== "lambda") {
    setIf(input, "Protocol", tg.protocol);
    setIf(input, "Port", tg.port);
    setIf(input, "VpcId", tg.vpcId ?? lbVpcId);
  }
  return input;
}

/** Undefined when a forward action names a target group whose ARN is not known (yet). */
export function defaultActionsInput(
  action: DefaultAction,
  arnByName: ReadonlyMap<string, string>,
): Action[] | undefined {
  if (action.type === "forward") {
    const arn = action.targetGroupName === undefined ? undefined : arnByName.get(action.targetGroupName);
    return arn === undefined ? undefined : [{ Type: "forward", TargetGroupArn: arn }];
  }
  const f = action.fixedResponse;
  if (!f) return undefined;
  const config: NonNullable<Action["FixedResponseConfig"]> = { StatusCode: f.statusCode };
  setIf(config, "ContentType", f.contentType);
  setIf(config, "MessageBody", f.messageBody);
  return [{ Type: "fixed-response", FixedResponseConfig: config }];
}

export function createListenerInput(
  listener: Listener,
  lbArn: string,
  arnByName: ReadonlyMap<string, string>,
  tags: Record<string, string>,
): CreateListenerCommandInput | undefined {
  const actions = defaultActionsInput(listener.defaultAction, arnByName);
  if (!actions) return undefined;
  const input: CreateListenerCommandInput = {
    LoadBalancerArn: lbArn,
    Port: listener.port,
    Protocol: listener.protocol,
    DefaultActions: actions,
    Tags: tagMapToList(tags),
  };
  if (listener.certificateArn !== undefined)
    input.Certificates = [{ CertificateArn: listener.certificateArn }];
  setIf(input, "SslPolicy", listener.sslPolicy);
  return input;
}

/** The whole desired listener, so one call fixes every differing field. */
export function modifyListenerInput(
  listener: Listener,
  listenerArn: string,
  arnByName: ReadonlyMap<string, string>,
): ModifyListenerCommandInput | undefined {
  const actions = defaultActionsInput(listener.defaultAction, arnByName);
  if (!actions) return undefined;
  const input: ModifyListenerCommandInput = {
    ListenerArn: listenerArn,
    Protocol: listener.protocol,
    DefaultActions: actions,
  };
  if (listener.certificateArn !== undefined)
    input.Certificates = [{ CertificateArn: listener.certificateArn }];
  setIf(input, "SslPolicy", listener.sslPolicy);
  return input;
}

// ---------------------------------------------------------------------------
// Spec guard (mirrors the CRD's CEL rules)

/**
 * What is wrong with a spec that the API server should have rejected. The
 * provider checks it too, because a CRD installed without its CEL rules (or
 * an old API server) must not lead to half-built load balancers.
 */
export function specProblems(fp: LoadBalancerForProvider): string[] {
  const problems: string[] = [];
  const tgs = fp.targetGroups ?? [];
  const listeners = fp.listeners ?? [];
  if (fp.type !== "application" && (fp.securityGroups?.length ?? 0) > 0) {
    problems.push("securityGroups are supported only for application load balancers");
  }
  const tgNames = new Set<string>();
  for (const tg of tgs) {
    if (tgNames.has(tg.name)) problems.push(`target group name ${JSON.stringify(tg.name)} is used twice`);
    tgNames.add(tg.name);
    const lambda = tg.targetType === "lambda";
    if (lambda && (tg.protocol !== undefined || tg.port !== undefined || tg.vpcId !== undefined)) {
      problems.push(
        `target group ${JSON.stringify(tg.name)}: protocol, port and vpcId must be left out for lambda`,
      );
    }
    if (!lambda && (tg.protocol === undefined || tg.port === undefined)) {
      problems.push(`target group ${JSON.stringify(tg.name)}: protocol and port are required`);
    }
  }
  const ports = new Set<number>();
  for (const l of listeners) {
    const where = `listener on port ${l.port}`;
    if (ports.has(l.port)) problems.push(`${where} is defined twice`);
    ports.add(l.port);
    const layer7 = l.protocol === "HTTP" || l.protocol === "HTTPS";
    if (fp.type === "application" && !layer7) {
      problems.push(`${where}: application load balancers take HTTP and HTTPS listeners only`);
    }
    if (fp.type === "network" && layer7) {
      problems.push(`${where}: network load balancers take TCP, TLS, UDP and TCP_UDP listeners only`);
    }
    const secure = l.protocol === "HTTPS" || l.protocol === "TLS";
    if (secure && l.certificateArn === undefined)
      problems.push(`${where}: ${l.protocol} needs certificateArn`);
    if (!secure && (l.certificateArn !== undefined || l.sslPolicy !== undefined)) {
      problems.push(`${where}: certificateArn and sslPolicy are only for HTTPS and TLS`);
    }
    const a = l.defaultAction;
    if (a.type === "forward") {
      if (a.targetGroupName === undefined || a.fixedResponse !== undefined) {
        problems.push(`${where}: a forward action needs targetGroupName (only)`);
      } else if (!tgNames.has(a.targetGroupName)) {
        problems.push(`${where}: forwards to unknown target group ${JSON.stringify(a.targetGroupName)}`);
      }
    } else {
      if (a.fixedResponse === undefined || a.targetGroupName !== undefined) {
        problems.push(`${where}: a fixed-response action needs fixedResponse (only)`);
      }
      if (fp.type !== "application") {
        problems.push(`${where}: fixed-response actions are supported only by application load balancers`);
      }
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------
// Diff and update plan

export interface DesiredContext {
  /** User tags plus owner tags (shared desiredTags). */
  tags: Record<string, string>;
  /** The user gave spec.forProvider.tags: keys outside it are removed. */
  authoritativeTags: boolean;
  /** metadata.uid of the custom resource. */
  uid: string | undefined;
}

/** Which resource a tag operation is for. */
export type TagTarget = { kind: "loadBalancer" } | { kind: "targetGroup"; name: string };

export type UpdateOp =
  | { kind: "SetSubnets"; subnets: string[] }
  | { kind: "SetIpAddressType"; ipAddressType: string }
  | { kind: "SetSecurityGroups"; securityGroups: string[] }
  | { kind: "ModifyLoadBalancerAttributes"; attributes: Record<string, string> }
  | { kind: "AddTags"; target: TagTarget; arn: string; tags: Record<string, string> }
  | { kind: "RemoveTags"; target: TagTarget; arn: string; keys: string[] }
  | { kind: "DeleteListener"; port: number; arn: string }
  | { kind: "CreateTargetGroup"; name: string; input: CreateTargetGroupCommandInput }
  | { kind: "ModifyTargetGroup"; name: string; arn: string; healthCheck: HealthCheck }
  | { kind: "ModifyListener"; port: number; arn: string; listener: Listener }
  | { kind: "CreateListener"; port: number; listener: Listener }
  | { kind: "DeleteTargetGroup"; name: string; arn: string };

/** A difference the plan cannot fix; update reports it as a TerminalError after fixing the rest. */
export interface Blocked {
  code: string;
  message: string;
}

export interface Comparison {
  drift: FieldDiff[];
  /** In execution order: load balancer, listener deletions, target groups, listeners, target group deletions. */
  ops: UpdateOp[];
  blocked: Blocked[];
}

const tgPath = (name: string) => `forProvider.targetGroups[name=${name}]`;
const listenerPath = (port: number) => `forProvider.listeners[port=${port}]`;

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const sa = [...new Set(a)].sort();
  const sb = [...new Set(b)].sort();
  return sa.length === sb.length && sa.every((v, i) => v === sb[i]);
}

const sorted = (a: readonly string[]) => [...a].sort();

const HEALTH_CHECK_FIELDS = [
  "enabled",
  "protocol",
  "port",
  "path",
  "intervalSeconds",
  "timeoutSeconds",
  "healthyThresholdCount",
  "unhealthyThresholdCount",
  "matcher",
] as const satisfies readonly (keyof HealthCheck & keyof ObservedHealthCheck)[];

/**
 * Compares the spec with the observed cloud state, field by field, and
 * plans the calls that make the cloud match. Only what the spec sets is
 * compared: attributes and health check fields left out keep whatever AWS
 * chose. Nothing tagged with another resource's uid is changed, and only
 * what carries our uid is ever deleted.
 */
export function compare(
  fp: LoadBalancerForProvider,
  observed: ObservedLoadBalancer,
  ctx: DesiredContext,
): Comparison {
  const drift: FieldDiff[] = [];
  const blocked: Blocked[] = [];
  const lbOps: UpdateOp[] = [];
  const deleteListeners: UpdateOp[] = [];
  const createTgs: UpdateOp[] = [];
  const modifyTgs: UpdateOp[] = [];
  const listenerOps: UpdateOp[] = [];
  const deleteTgs: UpdateOp[] = [];

  // Load balancer: immutable fields first, then what Set*/Modify* can fix.
  for (const field of ["type", "scheme"] as const) {
    if (observed[field] !== undefined && observed[field] !== fp[field]) {
      drift.push({ path: `forProvider.${field}`, desired: fp[field], observed: observed[field] });
      blocked.push({
        code: Elbv2Codes.ImmutableFieldChanged,
        message: `load balancer ${observed.name} has ${field} ${observed[field]} but the spec says ${fp[field]}; ${field} cannot change in place`,
      });
    }
  }
  if (!sameSet(fp.subnets, observed.subnets)) {
    drift.push({
      path: "forProvider.subnets",
      desired: sorted(fp.subnets),
      observed: sorted(observed.subnets),
    });
    lbOps.push({ kind: "SetSubnets", subnets: [...fp.subnets] });
  }
  if (observed.ipAddressType !== undefined && observed.ipAddressType !== fp.ipAddressType) {
    drift.push({
      path: "forProvider.ipAddressType",
      desired: fp.ipAddressType,
      observed: observed.ipAddressType,
    });
    lbOps.push({ kind: "SetIpAddressType", ipAddressType: fp.ipAddressType });
  }
  const sgs = fp.securityGroups ?? [];
  if (sgs.length > 0 && !sameSet(sgs, observed.securityGroups)) {
    drift.push({
      path: "forProvider.securityGroups",
      desired: sorted(sgs),
      observed: sorted(observed.securityGroups),
    });
    lbOps.push({ kind: "SetSecurityGroups", securityGroups: [...sgs] });
  }
  if (observed.attributes) {
    const changed: Record<string, string> = {};
    for (const [key, value] of Object.entries(fp.attributes ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))) {
      const current = observed.attributes[key];
      if (current !== value) {
        drift.push({
          path: `forProvider.attributes[${JSON.stringify(key)}]`,
          desired: value,
          observed: current,
        });
        changed[key] = value;
      }
    }
    if (Object.keys(changed).length > 0)
      lbOps.push({ kind: "ModifyLoadBalancerAttributes", attributes: changed });
  }
  const lbTagChanges = diffTags(ctx.tags, observed.tags, { authoritative: ctx.authoritativeTags });
  drift.push(...tagChangesToDrift(lbTagChanges, observed.tags));
  lbOps.push(...tagOps({ kind: "loadBalancer" }, observed.arn, lbTagChanges));

  // Target groups, matched by local name.
  const specTgs = fp.targetGroups ?? [];
  const specTgNames = new Set(specTgs.map((t) => t.name));
  const observedTgs = new Map(observed.targetGroups.map((t) => [t.name, t]));
  /** Target groups a listener may forward to: ours, or about to be created. */
  const usableTgs = new Set<string>();
  for (const tg of specTgs) {
    const path = tgPath(tg.name);
    const o = observedTgs.get(tg.name);
    if (!o) {
      drift.push({ path, desired: PRESENT, observed: MISSING });
      createTgs.push({
        kind: "CreateTargetGroup",
        name: tg.name,
        input: createTargetGroupInput(
          tg,
          targetGroupAwsName(observed.name, tg.name),
          observed.vpcId,
          ctx.tags,
        ),
      });
      usableTgs.add(tg.name);
      continue;
    }
    if (isForeign(o.tags, ctx.uid)) {
      blocked.push({
        code: SetpointCodes.ForeignOwner,
        message: `target group ${o.awsName} (${tg.name}) is tagged with another resource's uid ${o.tags?.[Tags.uid]}; setpoint will not manage it`,
      });
      continue;
    }
    usableTgs.add(tg.name);
    const immutable: [string, unknown, unknown][] = [["targetType", tg.targetType, o.targetType]];
    if (tg.targetType !== "lambda") {
      immutable.push(["protocol", tg.protocol, o.protocol], ["port", tg.port, o.port]);
      const wantVpc = tg.vpcId ?? observed.vpcId;
      if (wantVpc !== undefined) immutable.push(["vpcId", wantVpc, o.vpcId]);
    }
    for (const [field, want, got] of immutable) {
      if (got !== undefined && want !== got) {
        drift.push({ path: `${path}.${field}`, desired: want, observed: got });
        blocked.push({
          code: Elbv2Codes.ImmutableFieldChanged,
          message: `target group ${o.awsName} (${tg.name}) has ${field} ${String(got)} but the spec says ${String(want)}; give the target group a new name to replace it`,
        });
      }
    }
    let hcDiffers = false;
    for (const field of HEALTH_CHECK_FIELDS) {
      const want = tg.healthCheck?.[field];
      if (want === undefined) continue;
      const got = o.healthCheck[field];
      if (want !== got) {
        drift.push({ path: `${path}.healthCheck.${field}`, desired: want, observed: got });
        hcDiffers = true;
      }
    }
    if (hcDiffers && tg.healthCheck) {
      modifyTgs.push({ kind: "ModifyTargetGroup", name: tg.name, arn: o.arn, healthCheck: tg.healthCheck });
    }
    if (o.tags) {
      const changes = diffTags(ctx.tags, o.tags, { authoritative: ctx.authoritativeTags });
      drift.push(...tagChangesToDrift(changes, o.tags, `${path}.tags`));
      modifyTgs.push(...tagOps({ kind: "targetGroup", name: tg.name }, o.arn, changes));
    }
  }
  for (const o of observed.targetGroups) {
    if (specTgNames.has(o.name) || !isOwned(o.tags, ctx.uid)) continue;
    drift.push({ path: tgPath(o.name), desired: ABSENT, observed: PRESENT });
    deleteTgs.push({ kind: "DeleteTargetGroup", name: o.name, arn: o.arn });
  }

  // Listeners, matched by port.
  const nameByTgArn = new Map(observed.targetGroups.map((t) => [t.arn, t.name]));
  const specListeners = fp.listeners ?? [];
  const specPorts = new Set(specListeners.map((l) => l.port));
  const observedListeners = new Map<number, ObservedListener>();
  for (const l of observed.listeners) if (!observedListeners.has(l.port)) observedListeners.set(l.port, l);
  for (const l of specListeners) {
    const path = listenerPath(l.port);
    const o = observedListeners.get(l.port);
    const target = l.defaultAction.type === "forward" ? l.defaultAction.targetGroupName : undefined;
    // A forward to a target group we may not use is explained by that group's blocked entry.
    const actionable = target === undefined || usableTgs.has(target);
    if (!o) {
      drift.push({ path, desired: PRESENT, observed: MISSING });
      if (actionable) listenerOps.push({ kind: "CreateListener", port: l.port, listener: l });
      continue;
    }
    if (isForeign(o.tags, ctx.uid)) {
      blocked.push({
        code: SetpointCodes.ForeignOwner,
        message: `listener on port ${l.port} is tagged with another resource's uid; setpoint will not manage it`,
      });
      continue;
    }
    const diffs = listenerDiffs(l, o, nameByTgArn, path);
    drift.push(...diffs);
    if (diffs.length > 0 && actionable) {
      listenerOps.push({ kind: "ModifyListener", port: l.port, arn: o.arn, listener: l });
    }
  }
  for (const o of observed.listeners) {
    if (specPorts.has(o.port) || !isOwned(o.tags, ctx.uid)) continue;
    drift.push({ path: listenerPath(o.port), desired: ABSENT, observed: PRESENT });
    deleteListeners.push({ kind: "DeleteListener", port: o.port, arn: o.arn });
  }

  return {
    drift,
    // Order matters: a listener must go before the target group it forwards
    // to, and a target group must exist before a listener forwards to it.
    ops: [...lbOps, ...deleteListeners, ...createTgs, ...modifyTgs, ...listenerOps, ...deleteTgs],
    blocked,
  };
}

function tagOps(target: TagTarget, arn: string, changes: ReturnType<typeof diffTags>): UpdateOp[] {
  if (!hasTagChanges(changes)) return [];
  const ops: UpdateOp[] = [];
  if (Object.keys(changes.set).length > 0) ops.push({ kind: "AddTags", target, arn, tags: changes.set });
  if (changes.remove.length > 0) ops.push({ kind: "RemoveTags", target, arn, keys: changes.remove });
  return ops;
}

function listenerDiffs(
  l: Listener,
  o: ObservedListener,
  nameByTgArn: ReadonlyMap<string, string>,
  path: string,
): FieldDiff[] {
  const diffs: FieldDiff[] = [];
  const push = (field: string, desired: unknown, observed: unknown) => {
    if (desired !== observed) diffs.push({ path: `${path}.${field}`, desired, observed });
  };
  push("protocol", l.protocol, o.protocol);
  if (l.certificateArn !== undefined) push("certificateArn", l.certificateArn, o.certificateArn);
  if (l.sslPolicy !== undefined) push("sslPolicy", l.sslPolicy, o.sslPolicy);
  const a = l.defaultAction;
  const oa = o.defaultAction;
  if (a.type !== oa.type) {
    push("defaultAction.type", a.type, oa.type);
    return diffs;
  }
  if (a.type === "forward") {
    const observedName =
      oa.targetGroupArn === undefined ? undefined : (nameByTgArn.get(oa.targetGroupArn) ?? oa.targetGroupArn);
    push("defaultAction.targetGroupName", a.targetGroupName, observedName);
  } else if (a.fixedResponse) {
    const f = a.fixedResponse;
    const of = oa.fixedResponse ?? {};
    push("defaultAction.fixedResponse.statusCode", f.statusCode, of.statusCode);
    if (f.contentType !== undefined)
      push("defaultAction.fixedResponse.contentType", f.contentType, of.contentType);
    // An absent body and an empty one are the same response.
    push("defaultAction.fixedResponse.messageBody", f.messageBody ?? "", of.messageBody ?? "");
  }
  return diffs;
}

// ---------------------------------------------------------------------------
// Observation

/** ELBv2 state → the Ready condition; provisioning is work in progress. */
export function readiness(
  state: string | undefined,
  reason?: string,
): { ready: Observation["ready"]; inProgress: boolean } {
  const suffix = reason ? `: ${reason}` : "";
  switch (state) {
    case "active":
      return { ready: { status: true, reason: "Available" }, inProgress: false };
    case "active_impaired":
      // Still serving, in fewer zones: usable, but say so.
      return {
        ready: { status: true, reason: "Available", message: `load balancer is active_impaired${suffix}` },
        inProgress: false,
      };
    case "provisioning":
      return {
        ready: { status: false, reason: "Creating", message: "load balancer is provisioning" },
        inProgress: true,
      };
    case "failed":
      return {
        ready: { status: false, reason: "Unavailable", message: `load balancer failed${suffix}` },
        inProgress: false,
      };
    default:
      return {
        ready: {
          status: false,
          reason: "Unavailable",
          message: `load balancer state is ${state ?? "unknown"}`,
        },
        inProgress: false,
      };
  }
}

/** What status.atProvider shows: only the target groups and listeners that are ours to manage. */
export function atProviderFrom(
  observed: ObservedLoadBalancer,
  fp: LoadBalancerForProvider,
  uid: string | undefined,
): LoadBalancerAtProvider {
  const specTgs = new Set((fp.targetGroups ?? []).map((t) => t.name));
  const specPorts = new Set((fp.listeners ?? []).map((l) => l.port));
  const at: LoadBalancerAtProvider = {
    arn: observed.arn,
    targetGroups: observed.targetGroups
      .filter((t) => (specTgs.has(t.name) && !isForeign(t.tags, uid)) || isOwned(t.tags, uid))
      .map((t) => ({ name: t.name, arn: t.arn }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    listeners: observed.listeners
      .filter((l) => (specPorts.has(l.port) && !isForeign(l.tags, uid)) || isOwned(l.tags, uid))
      .map((l) => ({ port: l.port, arn: l.arn }))
      .sort((a, b) => a.port - b.port),
  };
  setIf(at, "dnsName", observed.dnsName);
  setIf(at, "state", observed.state);
  setIf(at, "canonicalHostedZoneId", observed.canonicalHostedZoneId);
  setIf(at, "vpcId", observed.vpcId);
  return at;
}

export function observationFrom(
  fp: LoadBalancerForProvider,
  observed: ObservedLoadBalancer,
  ctx: DesiredContext,
): Observation<LoadBalancerAtProvider> {
  const { drift } = compare(fp, observed, ctx);
  const { ready, inProgress } = readiness(observed.state, observed.stateReason);
  const obs: Observation<LoadBalancerAtProvider> = {
    exists: true,
    upToDate: drift.length === 0,
    drift,
    atProvider: atProviderFrom(observed, fp, ctx.uid),
    ready,
    inProgress,
    ownership: ownershipFromTags(observed.tags),
  };
  if (observed.dnsName) obs.connectionDetails = { dnsName: observed.dnsName };
  // AWS gives an application load balancer the VPC's default group when none is named.
  if (fp.type === "application" && fp.securityGroups === undefined && observed.securityGroups.length > 0) {
    obs.lateInit = { securityGroups: sorted(observed.securityGroups) };
  }
  return obs;
}

/**
 * The observation for a load balancer that does not exist. `leftovers` are
 * target groups of ours still to delete while the resource is being deleted;
 * `ownership` is read from their tags.
 */
export function missingObservation(
  leftovers: number,
  ownership?: Observation["ownership"],
): Observation<LoadBalancerAtProvider> {
  if (leftovers > 0) {
    // The load balancer is gone but target groups it owned are not: report
    // the resource as still there so the finalizer stays until they are
    // deleted. Not "Deleting": to the engine that means the cloud is already
    // deleting it and delete() must not be called again, while here it is
    // exactly the next delete() call that removes the target groups.
    return {
      exists: true,
      upToDate: true,
      drift: [],
      ready: {
        status: false,
        reason: "Unavailable",
        message: `load balancer deleted; ${leftovers} target group(s) still to delete`,
      },
      inProgress: true,
      ...(ownership ? { ownership } : {}),
    };
  }
  return {
    exists: false,
    upToDate: false,
    drift: [],
    ready: { status: false, reason: "Unavailable", message: "load balancer not found" },
  };
}

function setIf<T extends object, K extends keyof T>(obj: T, key: K, value: T[K] | undefined): void {
  if (value !== undefined) obj[key] = value;
}
