// Listeners, matched by port: SDK shape → observed state, spec → the
// Create/ModifyListener input, and spec vs observed → drift and calls. A
// listener's default action names a target group by its local name; the
// SDK wants its ARN, so inputs take the local name → ARN map of the moment.
// A second listener on a port the spec names (possible in moto only) is a
// duplicate: deleted when it carries our uid, else reported.
import type {
  Action,
  CreateListenerCommandInput,
  ModifyListenerCommandInput,
  Listener as SdkListener,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import type {
  DefaultAction,
  Listener,
  LoadBalancerForProvider,
} from "../../../../apis/aws/v1alpha1/loadbalancer.ts";
import type { FieldDiff } from "../../../../controller/provider.ts";
import { SetpointCodes, tagMapToList } from "../../shared/index.ts";
import { ABSENT, MISSING, PRESENT } from "./codes.ts";
import { DUPLICATES_PATH } from "./duplicates.ts";
import { setIf } from "./fields.ts";
import { isForeign, isOwned } from "./ownership.ts";
import type { DesiredContext, PartComparison, UpdateOp } from "./plan.ts";
import type { ObservedTargetGroup } from "./target-groups.ts";

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

export const listenerPath = (port: number) => `forProvider.listeners[port=${port}]`;

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

/** Protocol, certificate, policy and actions: what Create- and ModifyListener share. */
type ListenerSettings = Required<Pick<CreateListenerCommandInput, "Protocol" | "DefaultActions">> &
  Pick<CreateListenerCommandInput, "Certificates" | "SslPolicy">;

function listenerSettings(
  listener: Listener,
  arnByName: ReadonlyMap<string, string>,
): ListenerSettings | undefined {
  const actions = defaultActionsInput(listener.defaultAction, arnByName);
  if (!actions) return undefined;
  const settings: ListenerSettings = { Protocol: listener.protocol, DefaultActions: actions };
  if (listener.certificateArn !== undefined)
    settings.Certificates = [{ CertificateArn: listener.certificateArn }];
  setIf(settings, "SslPolicy", listener.sslPolicy);
  return settings;
}

export function createListenerInput(
  listener: Listener,
  lbArn: string,
  arnByName: ReadonlyMap<string, string>,
  tags: Record<string, string>,
): CreateListenerCommandInput | undefined {
  const settings = listenerSettings(listener, arnByName);
  if (!settings) return undefined;
  return { LoadBalancerArn: lbArn, Port: listener.port, ...settings, Tags: tagMapToList(tags) };
}

/** The whole desired listener, so one call fixes every differing field. */
export function modifyListenerInput(
  listener: Listener,
  listenerArn: string,
  arnByName: ReadonlyMap<string, string>,
): ModifyListenerCommandInput | undefined {
  const settings = listenerSettings(listener, arnByName);
  if (!settings) return undefined;
  return { ListenerArn: listenerArn, ...settings };
}

/** The load balancer fields a listener comparison needs. */
type Parent = {
  listeners: readonly ObservedListener[];
  targetGroups: readonly Pick<ObservedTargetGroup, "arn" | "name">[];
};

/**
 * `usableTargetGroups` are the local names a listener may forward to (ours,
 * or about to be created): a forward to any other is not acted on, because
 * that target group's own blocked entry already explains why.
 */
export function compareListeners(
  fp: LoadBalancerForProvider,
  observed: Parent,
  ctx: DesiredContext,
  usableTargetGroups: ReadonlySet<string>,
): PartComparison {
  const drift: FieldDiff[] = [];
  const blocked: PartComparison["blocked"] = [];
  const upserts: UpdateOp[] = [];
  const deletes: UpdateOp[] = [];
  const nameByTgArn = new Map(observed.targetGroups.map((t) => [t.arn, t.name]));
  const specListeners = fp.listeners ?? [];
  const specPorts = new Set(specListeners.map((l) => l.port));
  const byPort = new Map<number, ObservedListener[]>();
  for (const l of observed.listeners) byPort.set(l.port, [...(byPort.get(l.port) ?? []), l]);
  for (const l of specListeners) {
    const path = listenerPath(l.port);
    const [o, ...extras] = byPort.get(l.port) ?? [];
    const target = l.defaultAction.type === "forward" ? l.defaultAction.targetGroupName : undefined;
    const actionable = target === undefined || usableTargetGroups.has(target);
    if (extras.length > 0) {
      // Only where a port may be held twice (moto, after a create sent twice); the first is kept.
      drift.push({
        path: `${path}.${DUPLICATES_PATH}`,
        desired: [],
        observed: extras.map((x) => x.arn).sort(),
      });
      for (const x of extras) {
        if (isOwned(x.tags, ctx.uid)) deletes.push({ kind: "DeleteListener", port: x.port, arn: x.arn });
        else
          blocked.push({
            code: SetpointCodes.ForeignOwner,
            message: `a second listener on port ${l.port} (${x.arn}) is not tagged with this resource's uid; setpoint leaves it alone`,
          });
      }
    }
    if (!o) {
      drift.push({ path, desired: PRESENT, observed: MISSING });
      if (actionable) upserts.push({ kind: "CreateListener", port: l.port, listener: l });
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
      upserts.push({ kind: "ModifyListener", port: l.port, arn: o.arn, listener: l });
    }
  }
  for (const o of observed.listeners) {
    if (specPorts.has(o.port) || !isOwned(o.tags, ctx.uid)) continue;
    drift.push({ path: listenerPath(o.port), desired: ABSENT, observed: PRESENT });
    deletes.push({ kind: "DeleteListener", port: o.port, arn: o.arn });
  }
  return { drift, blocked, ops: { upsertListeners: upserts, deleteListeners: deletes } };
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
