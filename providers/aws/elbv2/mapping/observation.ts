// From the observed state to the engine's Observation: readiness, what
// status.atProvider shows, late-initialized fields, and the observation of a
// load balancer that is not there.
import type {
  LoadBalancerAtProvider,
  LoadBalancerForProvider,
} from "../../../../apis/aws/v1alpha1/loadbalancer.ts";
import type { Observation } from "../../../../controller/provider.ts";
import { ownershipFromTags } from "../../shared/index.ts";
import { attributePath, DELETION_PROTECTION_ATTRIBUTE } from "./attributes.ts";
import { compare } from "./compare.ts";
import { setIf, sorted } from "./fields.ts";
import type { ObservedLoadBalancer } from "./load-balancer.ts";
import { isForeign, isOwned } from "./ownership.ts";
import type { DesiredContext } from "./plan.ts";

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

/** A load balancer's observation; its private state is what was observed, for update to plan from. */
export type LoadBalancerObservation = Observation<LoadBalancerAtProvider, ObservedLoadBalancer>;

export function observationFrom(
  fp: LoadBalancerForProvider,
  observed: ObservedLoadBalancer,
  ctx: DesiredContext,
): LoadBalancerObservation {
  const { drift } = compare(fp, observed, ctx);
  const { ready, inProgress } = readiness(observed.state, observed.stateReason);
  const obs: LoadBalancerObservation = {
    exists: true,
    deleting: false,
    drift,
    atProvider: atProviderFrom(observed, fp, ctx.uid),
    ready,
    inProgress,
    ownership: ownershipFromTags(observed.tags),
    private: observed,
  };
  // Only when the attributes were read (the spec sets some, or the resource is being deleted).
  if (observed.attributes) {
    const asked = fp.attributes?.[DELETION_PROTECTION_ATTRIBUTE];
    obs.deletionProtection = {
      enabled: observed.attributes[DELETION_PROTECTION_ATTRIBUTE] === "true",
      // An attribute the spec leaves out keeps AWS's default, which is off.
      requested: asked === "true",
      field: attributePath(DELETION_PROTECTION_ATTRIBUTE),
    };
  }
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
): LoadBalancerObservation {
  if (leftovers > 0) {
    // The load balancer is gone but target groups it owned are not: report
    // the resource as still there so the finalizer stays until they are
    // deleted. Not `deleting`: that would make the engine wait for the cloud,
    // while here it is exactly the next delete() call that removes them.
    return {
      exists: true,
      deleting: false,
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
    drift: [],
    ready: { status: false, reason: "Unavailable", message: "load balancer not found" },
  };
}
