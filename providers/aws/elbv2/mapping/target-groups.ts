// Target groups, matched by their local name (spec.forProvider.targetGroups[].name):
// SDK shape → observed state, spec → the CreateTargetGroup input, and spec vs
// observed → drift and calls. A group found under its derived AWS name but
// tagged with another uid is never changed; only groups carrying our uid are
// ever deleted.
import type {
  CreateTargetGroupCommandInput,
  TargetGroup as SdkTargetGroup,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import type { LoadBalancerForProvider, TargetGroup } from "../../../../apis/aws/v1alpha1/loadbalancer.ts";
import { Tags } from "../../../../controller/api/index.ts";
import type { FieldDiff } from "../../../../controller/provider.ts";
import { SetpointCodes, tagMapToList } from "../../shared/index.ts";
import { targetGroupAwsName } from "../names.ts";
import { ABSENT, Elbv2Codes, MISSING, PRESENT } from "./codes.ts";
import { setIf } from "./fields.ts";
import {
  compareHealthCheck,
  healthCheckInput,
  type ObservedHealthCheck,
  observedHealthCheckFrom,
} from "./health-check.ts";
import { isForeign, isOwned } from "./ownership.ts";
import { compareTags, type DesiredContext, joinParts, type PartComparison, type UpdateOp } from "./plan.ts";

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

export const targetGroupPath = (name: string) => `forProvider.targetGroups[name=${name}]`;

export function observedTargetGroupFrom(tg: SdkTargetGroup, localName: string): ObservedTargetGroup {
  const out: ObservedTargetGroup = {
    name: localName,
    awsName: tg.TargetGroupName ?? "",
    arn: tg.TargetGroupArn ?? "",
    healthCheck: observedHealthCheckFrom(tg),
  };
  setIf(out, "protocol", tg.Protocol);
  setIf(out, "port", tg.Port);
  setIf(out, "targetType", tg.TargetType);
  setIf(out, "vpcId", tg.VpcId);
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

export interface TargetGroupsComparison extends PartComparison {
  /** Local names a listener may forward to: ours, or about to be created. */
  usable: ReadonlySet<string>;
}

/** The load balancer fields a target group comparison needs. */
type Parent = { name: string; vpcId?: string | undefined; targetGroups: readonly ObservedTargetGroup[] };

export function compareTargetGroups(
  fp: LoadBalancerForProvider,
  observed: Parent,
  ctx: DesiredContext,
): TargetGroupsComparison {
  const specTgs = fp.targetGroups ?? [];
  const specNames = new Set(specTgs.map((t) => t.name));
  const found = new Map(observed.targetGroups.map((t) => [t.name, t]));
  const usable = new Set<string>();
  const parts: PartComparison[] = [];
  for (const tg of specTgs) {
    const o = found.get(tg.name);
    if (!o) {
      parts.push(missingTargetGroup(tg, observed, ctx));
      usable.add(tg.name);
    } else if (isForeign(o.tags, ctx.uid)) {
      parts.push(foreignTargetGroup(tg, o));
    } else {
      parts.push(compareTargetGroup(tg, o, observed.vpcId, ctx));
      usable.add(tg.name);
    }
  }
  for (const o of observed.targetGroups) {
    if (specNames.has(o.name) || !isOwned(o.tags, ctx.uid)) continue;
    parts.push({
      drift: [{ path: targetGroupPath(o.name), desired: ABSENT, observed: PRESENT }],
      blocked: [],
      ops: { deleteTargetGroups: [{ kind: "DeleteTargetGroup", name: o.name, arn: o.arn }] },
    });
  }
  return { ...joinParts(parts), usable };
}

function missingTargetGroup(tg: TargetGroup, lb: Parent, ctx: DesiredContext): PartComparison {
  const input = createTargetGroupInput(tg, targetGroupAwsName(lb.name, tg.name), lb.vpcId, ctx.tags);
  return {
    drift: [{ path: targetGroupPath(tg.name), desired: PRESENT, observed: MISSING }],
    blocked: [],
    ops: { createTargetGroups: [{ kind: "CreateTargetGroup", name: tg.name, input }] },
  };
}

function foreignTargetGroup(tg: TargetGroup, o: ObservedTargetGroup): PartComparison {
  return {
    drift: [],
    blocked: [
      {
        code: SetpointCodes.ForeignOwner,
        message: `target group ${o.awsName} (${tg.name}) is tagged with another resource's uid ${o.tags?.[Tags.uid]}; setpoint will not manage it`,
      },
    ],
    ops: {},
  };
}

/** One target group of ours: immutable fields (blocked), then health check and tags (fixable). */
export function compareTargetGroup(
  tg: TargetGroup,
  o: ObservedTargetGroup,
  lbVpcId: string | undefined,
  ctx: DesiredContext,
): PartComparison {
  const path = targetGroupPath(tg.name);
  const drift: FieldDiff[] = [];
  const blocked: PartComparison["blocked"] = [];
  const ops: UpdateOp[] = [];
  const immutable: [string, unknown, unknown][] = [["targetType", tg.targetType, o.targetType]];
  if (tg.targetType !== "lambda") {
    immutable.push(["protocol", tg.protocol, o.protocol], ["port", tg.port, o.port]);
    const wantVpc = tg.vpcId ?? lbVpcId;
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
  const hcDrift = compareHealthCheck(tg.healthCheck, o.healthCheck, path);
  drift.push(...hcDrift);
  if (hcDrift.length > 0 && tg.healthCheck) {
    ops.push({ kind: "ModifyTargetGroup", name: tg.name, arn: o.arn, healthCheck: tg.healthCheck });
  }
  if (o.tags) {
    const tags = compareTags({ kind: "targetGroup", name: tg.name }, o.arn, o.tags, ctx, `${path}.tags`);
    drift.push(...tags.drift);
    ops.push(...tags.ops);
  }
  return { drift, blocked, ops: { modifyTargetGroups: ops } };
}
