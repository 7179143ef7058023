// The shape of a comparison: drift, the update calls that fix it, and what
// cannot be fixed. Each part of a load balancer (its own fields, attributes,
// target groups, listeners) is compared on its own into a PartComparison;
// compare.ts joins the parts and puts the calls in the one order AWS accepts.
import type { CreateTargetGroupCommandInput } from "@aws-sdk/client-elastic-load-balancing-v2";
import type { HealthCheck, Listener } from "../../../../apis/aws/v1alpha1/loadbalancer.ts";
import type { FieldDiff } from "../../../../controller/provider.ts";
import { diffTags, hasTagChanges, tagChangesToDrift } from "../../shared/index.ts";

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
  | { kind: "DeleteDuplicateLoadBalancer"; arn: string }
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
  /** In execution order: duplicates, load balancer, listener deletions, target groups, listeners, target group deletions. */
  ops: UpdateOp[];
  blocked: Blocked[];
}

/**
 * The phases of an update plan, in the order they run. The order matters: a
 * listener must go before the target group it forwards to is deleted, and a
 * target group must exist before a listener forwards to it. Duplicates go
 * first, so nothing is changed on a load balancer that is about to go.
 */
export const PHASES = [
  "deleteDuplicates",
  "loadBalancer",
  "deleteListeners",
  "createTargetGroups",
  "modifyTargetGroups",
  "upsertListeners",
  "deleteTargetGroups",
] as const;
export type Phase = (typeof PHASES)[number];

/** What comparing one part yields; its calls are grouped by the phase they belong to. */
export interface PartComparison {
  drift: FieldDiff[];
  blocked: Blocked[];
  ops: Partial<Record<Phase, UpdateOp[]>>;
}

export function emptyPart(): PartComparison {
  return { drift: [], blocked: [], ops: {} };
}

/** One part made of several, in the order given: drift and blocked concatenated, calls per phase. */
export function joinParts(parts: readonly PartComparison[]): PartComparison {
  const ops: Partial<Record<Phase, UpdateOp[]>> = {};
  for (const phase of PHASES) {
    const inPhase = parts.flatMap((p) => p.ops[phase] ?? []);
    if (inPhase.length > 0) ops[phase] = inPhase;
  }
  return { drift: parts.flatMap((p) => p.drift), blocked: parts.flatMap((p) => p.blocked), ops };
}

/** The parts as one comparison, with every call in phase order. */
export function toComparison(parts: readonly PartComparison[]): Comparison {
  const joined = joinParts(parts);
  return {
    drift: joined.drift,
    ops: PHASES.flatMap((phase) => joined.ops[phase] ?? []),
    blocked: joined.blocked,
  };
}

/**
 * Tags of a load balancer or target group against the desired ones: drift at
 * `basePath` (default forProvider.tags) and the AddTags/RemoveTags that fix it.
 */
export function compareTags(
  target: TagTarget,
  arn: string,
  observed: Record<string, string>,
  ctx: DesiredContext,
  basePath?: string,
): { drift: FieldDiff[]; ops: UpdateOp[] } {
  const changes = diffTags(ctx.tags, observed, { authoritative: ctx.authoritativeTags });
  const drift = tagChangesToDrift(changes, observed, basePath);
  if (!hasTagChanges(changes)) return { drift, ops: [] };
  const ops: UpdateOp[] = [];
  if (Object.keys(changes.set).length > 0) ops.push({ kind: "AddTags", target, arn, tags: changes.set });
  if (changes.remove.length > 0) ops.push({ kind: "RemoveTags", target, arn, keys: changes.remove });
  return { drift, ops };
}
