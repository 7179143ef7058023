// The pure mapping between a LoadBalancer spec and the ELBv2 API, split by
// part under mapping/: the load balancer itself (and any duplicates of it),
// its attributes, target groups (with their health check) and listeners,
// each mapping SDK shapes → observed state, spec → create inputs, and
// (spec, observed) → drift and calls; compare.ts joins the parts into one
// ordered plan, observation.ts turns the observed state into the engine's
// Observation. No I/O anywhere here; client.ts makes the calls. This file
// re-exports the parts, so importers keep one path.
export { attributePath, compareAttributes, DELETION_PROTECTION_ATTRIBUTE } from "./mapping/attributes.ts";
export { ABSENT, Elbv2Codes, MISSING, PRESENT } from "./mapping/codes.ts";
export { compare } from "./mapping/compare.ts";
export { compareDuplicates, DUPLICATES_PATH, type ObservedDuplicate } from "./mapping/duplicates.ts";
export {
  compareHealthCheck,
  HEALTH_CHECK_FIELDS,
  healthCheckInput,
  type ObservedHealthCheck,
  observedHealthCheckFrom,
} from "./mapping/health-check.ts";
export {
  compareListeners,
  createListenerInput,
  defaultActionsInput,
  listenerPath,
  modifyListenerInput,
  type ObservedAction,
  type ObservedListener,
  observedListenerFrom,
} from "./mapping/listeners.ts";
export {
  compareLoadBalancer,
  compareLoadBalancerTags,
  createLoadBalancerInput,
  type ObservedLoadBalancer,
  observedLoadBalancerFrom,
} from "./mapping/load-balancer.ts";
export {
  atProviderFrom,
  type LoadBalancerObservation,
  missingObservation,
  observationFrom,
  readiness,
} from "./mapping/observation.ts";
export { isForeign, isOwned } from "./mapping/ownership.ts";
export {
  type Blocked,
  type Comparison,
  compareTags,
  type DesiredContext,
  type PartComparison,
  PHASES,
  type Phase,
  type TagTarget,
  type UpdateOp,
} from "./mapping/plan.ts";
export { specProblems } from "./mapping/spec-guard.ts";
export {
  compareTargetGroup,
  compareTargetGroups,
  createTargetGroupInput,
  type ObservedTargetGroup,
  observedTargetGroupFrom,
  targetGroupPath,
} from "./mapping/target-groups.ts";
