// The load balancer itself: its SDK shape → observed state, spec → the
// CreateLoadBalancer input, and its own fields and tags → drift and calls.
// Attributes, target groups and listeners are parts of their own.
import type {
  CreateLoadBalancerCommandInput,
  LoadBalancer as SdkLoadBalancer,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import type { LoadBalancerForProvider } from "../../../../apis/aws/v1alpha1/loadbalancer.ts";
import type { FieldDiff } from "../../../../controller/provider.ts";
import { tagMapToList } from "../../shared/index.ts";
import { Elbv2Codes } from "./codes.ts";
import type { ObservedDuplicate } from "./duplicates.ts";
import { sameSet, setIf, sorted } from "./fields.ts";
import type { ObservedListener } from "./listeners.ts";
import type { Blocked, DesiredContext, PartComparison, UpdateOp } from "./plan.ts";
import { compareTags } from "./plan.ts";
import type { ObservedTargetGroup } from "./target-groups.ts";

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
  /** Other load balancers with the same name (emulators only: AWS keeps names unique). */
  duplicates?: ObservedDuplicate[];
}

export function observedLoadBalancerFrom(
  lb: SdkLoadBalancer,
  tags: Record<string, string>,
): Omit<ObservedLoadBalancer, "targetGroups" | "listeners" | "duplicates"> {
  const out: Omit<ObservedLoadBalancer, "targetGroups" | "listeners" | "duplicates"> = {
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

/** Type and scheme, which cannot change in place, then what Set* calls can fix. */
export function compareLoadBalancer(
  fp: LoadBalancerForProvider,
  observed: Omit<ObservedLoadBalancer, "targetGroups" | "listeners" | "duplicates">,
): PartComparison {
  const drift: FieldDiff[] = [];
  const blocked: Blocked[] = [];
  const ops: UpdateOp[] = [];
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
    ops.push({ kind: "SetSubnets", subnets: [...fp.subnets] });
  }
  if (observed.ipAddressType !== undefined && observed.ipAddressType !== fp.ipAddressType) {
    drift.push({
      path: "forProvider.ipAddressType",
      desired: fp.ipAddressType,
      observed: observed.ipAddressType,
    });
    ops.push({ kind: "SetIpAddressType", ipAddressType: fp.ipAddressType });
  }
  // Security groups the spec leaves out keep what AWS chose (late-initialized).
  const sgs = fp.securityGroups ?? [];
  if (sgs.length > 0 && !sameSet(sgs, observed.securityGroups)) {
    drift.push({
      path: "forProvider.securityGroups",
      desired: sorted(sgs),
      observed: sorted(observed.securityGroups),
    });
    ops.push({ kind: "SetSecurityGroups", securityGroups: [...sgs] });
  }
  return { drift, blocked, ops: { loadBalancer: ops } };
}

/** The load balancer's own tags, at forProvider.tags. */
export function compareLoadBalancerTags(
  observed: Pick<ObservedLoadBalancer, "arn" | "tags">,
  ctx: DesiredContext,
): PartComparison {
  const { drift, ops } = compareTags({ kind: "loadBalancer" }, observed.arn, observed.tags, ctx);
  return { drift, blocked: [], ops: { loadBalancer: ops } };
}
