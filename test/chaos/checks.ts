// The checks of a chaos round, as pure functions of what the emulator holds (inventory.ts) and what the
// API server holds. They decide from the cloud itself: which custom resource a cloud resource belongs
// to is read from its setpoint.dev/uid tag, never from status.
//
//   duplicated      a second DB instance or load balancer for one custom resource, a second target
//                   group of one name, or a second listener on one port of one load balancer;
//   leaked          a cloud resource that no custom resource owns: its uid's resource was deleted,
//                   it carries no uid and is not one of the foreign fixtures, or it is a target group
//                   the spec no longer names;
//   foreign touched a foreign fixture that differs from its snapshot, or a mutating call naming it;
//   mismatches      where a live resource's cloud differs from its spec, or its status is not
//                   Ready, Synced and not Drifted for its current generation.
import { Tags } from "../../controller/api/index.ts";
import { deriveLoadBalancerName, targetGroupAwsName } from "../../providers/aws/elbv2/index.ts";
import { deriveIdentifier } from "../../providers/aws/rds/index.ts";
import type { DbRecord, Inventory, LbRecord, ListenerRecord } from "./inventory.ts";
import type { ChaosKind } from "./specs.ts";

/** A custom resource as read from the API server, reduced to what the checks read. */
export interface ObservedCr {
  kind: ChaosKind;
  namespace: string;
  name: string;
  uid: string;
  generation: number;
  deleting: boolean;
  annotations: Record<string, string>;
  forProvider: Record<string, unknown>;
  status: {
    observedGeneration?: number;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
  };
}

/**
 * What a resource must end as. Most converge. A resource setpoint must refuse ends Synced=False
 * (ReconcileTerminal) with the refusal's code in the message, owning nothing in the cloud: a squatter
 * whose cloud name another owner's fixture holds (ForeignOwner), one that names an untagged fixture
 * while the ProviderConfig forbids adoption (AdoptionNotAllowed), one in a namespace the
 * ProviderConfig does not select (NamespaceNotAllowed).
 */
export type Expectation = "converge" | { refusedWith: RefusalCode };

export type RefusalCode = "ForeignOwner" | "AdoptionNotAllowed" | "NamespaceNotAllowed";

export type CloudObjectType = "dbInstance" | "loadBalancer" | "targetGroup" | "listener";

export interface CloudFinding {
  type: CloudObjectType;
  /** The cloud identifier (DB identifier or ARN). */
  id: string;
  why: string;
}

export interface CloudFindings {
  duplicated: CloudFinding[];
  leaked: CloudFinding[];
}

const EXTERNAL_NAME = "setpoint.dev/external-name";

export function cloudNameOf(cr: Pick<ObservedCr, "kind" | "namespace" | "name" | "annotations">): string {
  const annotated = cr.annotations[EXTERNAL_NAME];
  if (annotated) return annotated;
  return cr.kind === "SqlInstance"
    ? deriveIdentifier(cr.namespace, cr.name)
    : deriveLoadBalancerName(cr.namespace, cr.name);
}

function groupBy<T>(items: readonly T[], key: (t: T) => string | undefined): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    if (k === undefined) continue;
    out.set(k, [...(out.get(k) ?? []), item]);
  }
  return out;
}

const uidOf = (r: { tags: Record<string, string> }) => r.tags[Tags.uid];

/**
 * Duplicates and leaks. `live` are the custom resources that exist (being deleted included: their
 * cloud resources may still be there); `foreign` the identifiers (DB ids and ARNs) of the fixtures.
 */
export function cloudFindings(
  inv: Inventory,
  live: readonly ObservedCr[],
  foreign: ReadonlySet<string>,
): CloudFindings {
  const duplicated: CloudFinding[] = [];
  const leaked: CloudFinding[] = [];
  const byUid = new Map(live.map((cr) => [cr.uid, cr]));
  const ours = <T extends { tags: Record<string, string> }>(
    type: CloudObjectType,
    items: readonly T[],
    id: (t: T) => string,
  ): T[] => {
    const kept: T[] = [];
    for (const item of items) {
      if (foreign.has(id(item))) continue;
      const uid = uidOf(item);
      if (uid === undefined) leaked.push({ type, id: id(item), why: "no setpoint.dev/uid tag" });
      else if (!byUid.has(uid))
        leaked.push({
          type,
          id: id(item),
          why: `owner ${item.tags[Tags.owner]} (uid ${uid}) no longer exists`,
        });
      else kept.push(item);
    }
    return kept;
  };
  const dbs = ours("dbInstance", inv.dbs, (d) => d.id);
  const lbs = ours("loadBalancer", inv.lbs, (l) => l.arn);
  const tgs = ours("targetGroup", inv.tgs, (t) => t.arn);
  const listeners = ours("listener", inv.listeners, (l) => l.arn);

  for (const [uid, group] of groupBy(dbs, uidOf)) {
    for (const extra of group.slice(1))
      duplicated.push({
        type: "dbInstance",
        id: extra.id,
        why: `${group.length} DB instances for uid ${uid}`,
      });
  }
  for (const [uid, group] of groupBy(lbs, uidOf)) {
    for (const extra of group.slice(1))
      duplicated.push({
        type: "loadBalancer",
        id: extra.arn,
        why: `${group.length} load balancers for uid ${uid}`,
      });
  }
  for (const [key, group] of groupBy(tgs, (t) => `${uidOf(t)} ${t.name}`)) {
    for (const extra of group.slice(1))
      duplicated.push({ type: "targetGroup", id: extra.arn, why: `${group.length} target groups ${key}` });
  }
  for (const [key, group] of groupBy(listeners, (l) => `${l.lbArn} ${l.port}`)) {
    for (const extra of group.slice(1))
      duplicated.push({ type: "listener", id: extra.arn, why: `${group.length} listeners on ${key}` });
  }
  // A target group of a live load balancer that its spec no longer names was left behind.
  for (const tg of tgs) {
    const cr = byUid.get(uidOf(tg) ?? "");
    if (cr?.kind !== "LoadBalancer" || cr.deleting) continue;
    const lbName = cloudNameOf(cr);
    const wanted = new Set(specTargetGroups(cr).map((t) => targetGroupAwsName(lbName, String(t.name))));
    if (!wanted.has(tg.name))
      leaked.push({
        type: "targetGroup",
        id: tg.arn,
        why: `target group ${tg.name} is not in the spec of ${cr.name}`,
      });
  }
  return { duplicated, leaked };
}

const specTargetGroups = (cr: ObservedCr) => (cr.forProvider.targetGroups ?? []) as Record<string, unknown>[];
const specListeners = (cr: ObservedCr) => (cr.forProvider.listeners ?? []) as Record<string, unknown>[];

function condition(cr: ObservedCr, type: string) {
  return cr.status.conditions?.find((c) => c.type === type);
}

/** Why the status does not say Ready, Synced and not Drifted for the current generation (empty: it does). */
export function statusMismatches(cr: ObservedCr): string[] {
  const out: string[] = [];
  if (cr.status.observedGeneration !== cr.generation)
    out.push(`observedGeneration ${cr.status.observedGeneration} != generation ${cr.generation}`);
  for (const [type, want] of [
    ["Ready", "True"],
    ["Synced", "True"],
    ["Drifted", "False"],
  ] as const) {
    const c = condition(cr, type);
    if (c?.status !== want)
      out.push(`${type}=${c?.status ?? "absent"} (${c?.reason ?? ""}: ${c?.message ?? ""})`);
  }
  return out;
}

function tagMismatches(want: Record<string, string>, got: Record<string, string>, what: string): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(want))
    if (got[k] !== v) out.push(`${what} tag ${k}=${got[k]} (want ${v})`);
  for (const k of Object.keys(got)) {
    if (k in want || k.startsWith("setpoint.dev/") || k.startsWith("aws:")) continue;
    out.push(`${what} has tag ${k} the spec does not`);
  }
  return out;
}

function sqlMismatches(cr: ObservedCr, db: DbRecord): string[] {
  const fp = cr.forProvider;
  const out: string[] = [];
  if (db.status !== "available") out.push(`DB status ${db.status}`);
  if (db.instanceClass !== fp.instanceClass)
    out.push(`instanceClass ${db.instanceClass} (want ${fp.instanceClass})`);
  if (db.allocatedStorage !== fp.allocatedStorage)
    out.push(`allocatedStorage ${db.allocatedStorage} (want ${fp.allocatedStorage})`);
  if (fp.backupRetentionPeriod !== undefined && db.backupRetentionPeriod !== fp.backupRetentionPeriod)
    out.push(`backupRetentionPeriod ${db.backupRetentionPeriod} (want ${fp.backupRetentionPeriod})`);
  if (db.deletionProtection !== (fp.deletionProtection === true))
    out.push(`deletionProtection ${db.deletionProtection}`);
  out.push(...tagMismatches((fp.tags ?? {}) as Record<string, string>, db.tags, "DB"));
  return out;
}

function lbMismatches(cr: ObservedCr, lb: LbRecord, inv: Inventory): string[] {
  const fp = cr.forProvider;
  const out: string[] = [];
  if (lb.state !== "active") out.push(`load balancer state ${lb.state}`);
  for (const [k, v] of Object.entries((fp.attributes ?? {}) as Record<string, string>))
    if (lb.attributes[k] !== v) out.push(`attribute ${k}=${lb.attributes[k]} (want ${v})`);
  out.push(...tagMismatches((fp.tags ?? {}) as Record<string, string>, lb.tags, "load balancer"));
  const tgsByName = new Map(inv.tgs.filter((t) => uidOf(t) === cr.uid).map((t) => [t.name, t]));
  const arnByLocal = new Map<string, string>();
  for (const tg of specTargetGroups(cr)) {
    const awsName = targetGroupAwsName(lb.name, String(tg.name));
    const got = tgsByName.get(awsName);
    if (!got) {
      out.push(`target group ${tg.name} (${awsName}) missing`);
      continue;
    }
    arnByLocal.set(String(tg.name), got.arn);
    const hc = (tg.healthCheck ?? {}) as Record<string, unknown>;
    if (got.port !== tg.port || got.protocol !== tg.protocol)
      out.push(`target group ${tg.name} is ${got.protocol}:${got.port}`);
    if (hc.path !== undefined && got.healthCheck.path !== hc.path)
      out.push(`target group ${tg.name} health check path ${got.healthCheck.path} (want ${hc.path})`);
    if (hc.intervalSeconds !== undefined && got.healthCheck.intervalSeconds !== hc.intervalSeconds)
      out.push(`target group ${tg.name} health check interval ${got.healthCheck.intervalSeconds}`);
    out.push(
      ...tagMismatches((fp.tags ?? {}) as Record<string, string>, got.tags, `target group ${tg.name}`),
    );
  }
  const listeners = new Map<number, ListenerRecord>();
  for (const l of inv.listeners) if (l.lbArn === lb.arn) listeners.set(l.port, l);
  const wantPorts = new Set<number>();
  for (const l of specListeners(cr)) {
    const port = Number(l.port);
    wantPorts.add(port);
    const got = listeners.get(port);
    if (!got) {
      out.push(`listener ${port} missing`);
      continue;
    }
    const action = l.defaultAction as Record<string, unknown>;
    const gotAction = got.actions[0];
    if (got.protocol !== l.protocol) out.push(`listener ${port} protocol ${got.protocol}`);
    if (action.type === "forward") {
      const arn = arnByLocal.get(String(action.targetGroupName));
      if (gotAction?.type !== "forward" || (arn !== undefined && gotAction.targetGroupArn !== arn))
        out.push(`listener ${port} does not forward to ${action.targetGroupName}`);
    } else if (gotAction?.type !== "fixed-response") out.push(`listener ${port} action ${gotAction?.type}`);
  }
  for (const port of listeners.keys())
    if (!wantPorts.has(port)) out.push(`listener ${port} is not in the spec`);
  return out;
}

/** Why the cloud differs from the spec of a live resource that should converge (empty: it does not). */
export function cloudMismatches(cr: ObservedCr, inv: Inventory): string[] {
  if (cr.kind === "SqlInstance") {
    const dbs = inv.dbs.filter((d) => uidOf(d) === cr.uid);
    const db = dbs[0];
    return db ? sqlMismatches(cr, db) : ["no DB instance carries its uid"];
  }
  const lb = inv.lbs.find((l) => uidOf(l) === cr.uid);
  return lb ? lbMismatches(cr, lb, inv) : ["no load balancer carries its uid"];
}

/** What still differs from the resource's expected end state (empty: it is there). */
export function unconverged(cr: ObservedCr, expectation: Expectation, inv: Inventory): string[] {
  if (expectation !== "converge") {
    const synced = condition(cr, "Synced");
    const owned = [...inv.dbs, ...inv.lbs, ...inv.tgs, ...inv.listeners].filter((r) => uidOf(r) === cr.uid);
    const out: string[] = [];
    if (synced?.status !== "False" || synced.reason !== "ReconcileTerminal")
      out.push(`Synced=${synced?.status} ${synced?.reason}, want False ReconcileTerminal`);
    else if (!synced.message?.includes(`${expectation.refusedWith}: `))
      out.push(`Synced message ${JSON.stringify(synced.message)} does not name ${expectation.refusedWith}`);
    if (owned.length > 0) out.push(`${owned.length} cloud resources carry its uid`);
    return out;
  }
  return [...statusMismatches(cr), ...cloudMismatches(cr, inv)];
}

/** The fixtures' records whose JSON differs between two snapshots, by identifier. */
export function changedFixtures(
  before: ReadonlyMap<string, unknown>,
  after: ReadonlyMap<string, unknown>,
): { id: string; before: string; after: string }[] {
  const out: { id: string; before: string; after: string }[] = [];
  for (const [id, was] of before) {
    const now = after.get(id);
    const a = JSON.stringify(was);
    const b = now === undefined ? "(gone)" : JSON.stringify(now);
    if (a !== b) out.push({ id, before: a, after: b });
  }
  return out;
}

/**
 * The identifiers among `ids` that an AWS request body names. Query-protocol bodies are form-encoded
 * (an ARN's ":" and "/" arrive as %3A and %2F), so the body is decoded first.
 */
export function idsNamedIn(body: string, ids: Iterable<string>): string[] {
  let text = body;
  try {
    text = decodeURIComponent(body.replace(/\+/g, " "));
  } catch {
    // Not form-encoded (a JSON body): look in it as it is.
  }
  return [...ids].filter((id) => text.includes(id));
}

/** The secrets (passwords, the AWS secret key) that occur in `text`. */
export function secretsIn(text: string, secrets: Iterable<string>): string[] {
  return [...new Set(secrets)].filter((s) => s.length >= 8 && text.includes(s));
}

/** The value at or below which `fraction` of `values` fall (nearest rank); undefined when empty. */
export function percentile(values: readonly number[], fraction: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil(fraction * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}
