// The ExternalClient for LoadBalancer: gathers the cloud state of one or many
// load balancers with as few describe calls as the API allows, and carries
// out the plans mapping.ts makes. What differs and what to call is decided in
// mapping.ts; whose resource it is and whether its protection may be lifted,
// in the engine. This module only talks to ELBv2, and stops (reporting the
// fact) when a part it meets mid-call carries another owner's tags.
//
// Over 400 lines because gathering one or many load balancers with shared,
// batched describes is one piece of bookkeeping; it reads best in one place.
import type {
  Listener as SdkListener,
  LoadBalancer as SdkLoadBalancer,
  TargetGroup as SdkTargetGroup,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import type {
  LoadBalancerAtProvider,
  LoadBalancerForProvider,
} from "../../../apis/aws/v1alpha1/loadbalancer.ts";
import { Annotations, type Managed, Tags } from "../../../controller/api/index.ts";
import {
  type CreateResult,
  type DeleteOptions,
  type DeleteResult,
  type ExternalClient,
  ForeignResourceError,
  RetryAfterError,
  TerminalError,
  type UpdateResult,
} from "../../../controller/provider.ts";
import {
  classifyAwsError,
  desiredTags,
  ownershipFromTags,
  ownerTags,
  tagListToMap,
} from "../shared/index.ts";
import type { Elbv2Api } from "./api.ts";
import { describeInBatches, ELBV2_BATCH_SIZE, mapLimit } from "./batch.ts";
import {
  ELBV2_TERMINAL_CODES,
  hasCode,
  isAnyNotFound,
  isListenerNotFound,
  isLoadBalancerNotFound,
  isTargetGroupNotFound,
} from "./errors.ts";
import { loadBalancersByName, primaryAndDuplicates } from "./load-balancers-by-name.ts";
import {
  type Blocked,
  compare,
  createListenerInput,
  createLoadBalancerInput,
  DELETION_PROTECTION_ATTRIBUTE,
  type DesiredContext,
  Elbv2Codes,
  healthCheckInput,
  isForeign,
  isOwned,
  type LoadBalancerObservation,
  missingObservation,
  modifyListenerInput,
  type ObservedLoadBalancer,
  type ObservedTargetGroup,
  observationFrom,
  observedListenerFrom,
  observedLoadBalancerFrom,
  observedTargetGroupFrom,
  specProblems,
  type UpdateOp,
} from "./mapping.ts";
import { deriveLoadBalancerName, targetGroupAwsName } from "./names.ts";

export type LoadBalancerManaged = Managed<LoadBalancerForProvider, LoadBalancerAtProvider>;

/** Calls in flight at once for per-load-balancer describes; the shared budget throttles on top. */
const DEFAULT_CONCURRENCY = 4;

/** How long to wait for a load balancer created without a usable answer to show up in describes. */
export const NOT_VISIBLE_RETRY_SECONDS = 5;

/** The load balancer name: the external-name annotation, else the derived one. */
export function externalNameOf(mr: Managed): string {
  return (
    mr.metadata.annotations?.[Annotations.externalName] ??
    deriveLoadBalancerName(mr.metadata.namespace ?? "", mr.metadata.name)
  );
}

interface Target {
  mr: LoadBalancerManaged;
  fp: LoadBalancerForProvider;
  name: string;
  ctx: DesiredContext;
  deleting: boolean;
  /**
   * Local target group names to look up: the spec's, plus those status
   * remembers, so a group removed from the spec is still found and deleted.
   */
  tgLocalNames: string[];
}

/** A load balancer we just created: its describe may lag, so the create response stands in. */
interface Seed {
  lb: SdkLoadBalancer;
  tags: Record<string, string>;
}

interface Gathered {
  observed?: ObservedLoadBalancer;
  /** Target groups found by their derived names (also when the load balancer is gone). */
  targetGroups: ObservedTargetGroup[];
}

function targetOf(mr: LoadBalancerManaged): Target {
  const fp = mr.spec.forProvider;
  const names = new Set((fp.targetGroups ?? []).map((t) => t.name));
  for (const t of mr.status?.atProvider?.targetGroups ?? []) names.add(t.name);
  return {
    mr,
    fp,
    name: externalNameOf(mr),
    ctx: {
      tags: desiredTags(mr, fp.tags),
      authoritativeTags: fp.tags !== undefined,
      uid: mr.metadata.uid,
    },
    deleting: mr.metadata.deletionTimestamp !== undefined,
    tgLocalNames: [...names].sort(),
  };
}

function guardSpec(fp: LoadBalancerForProvider): void {
  const problems = specProblems(fp);
  if (problems.length > 0) {
    throw new TerminalError(Elbv2Codes.InvalidSpec, `invalid LoadBalancer spec: ${problems.join("; ")}`);
  }
}

function throwIfBlocked(blocked: Blocked[]): void {
  const first = blocked[0];
  if (!first) return;
  const more =
    blocked.length > 1
      ? ` (and ${blocked.length - 1} more: ${blocked
          .slice(1)
          .map((b) => b.message)
          .join("; ")})`
      : "";
  throw new TerminalError(first.code, `${first.message}${more}`);
}

function foreign(what: string, tags: Record<string, string>): ForeignResourceError {
  return new ForeignResourceError(what, tags[Tags.owner]);
}

export class LoadBalancerClient
  implements ExternalClient<LoadBalancerForProvider, LoadBalancerAtProvider, ObservedLoadBalancer>
{
  readonly #api: Elbv2Api;
  readonly #concurrency: number;

  constructor(api: Elbv2Api, opts: { concurrency?: number } = {}) {
    this.#api = api;
    this.#concurrency = opts.concurrency ?? DEFAULT_CONCURRENCY;
  }

  async observe(mr: LoadBalancerManaged): Promise<LoadBalancerObservation> {
    const all = await this.observeMany([mr]);
    return all.get(externalNameOf(mr))!;
  }

  async observeMany(mrs: LoadBalancerManaged[]): Promise<Map<string, LoadBalancerObservation>> {
    try {
      const targets = mrs.map(targetOf);
      const gathered = await this.#gather(targets);
      const out = new Map<string, LoadBalancerObservation>();
      for (const t of targets) {
        const g = gathered.get(t.name) ?? { targetGroups: [] };
        if (!g.observed) {
          const leftovers = t.deleting ? g.targetGroups.filter((tg) => isOwned(tg.tags, t.ctx.uid)) : [];
          // The leftovers carry our uid: say so, or the engine would take them for someone else's.
          const tags = leftovers[0]?.tags;
          out.set(t.name, missingObservation(leftovers.length, tags ? ownershipFromTags(tags) : undefined));
          continue;
        }
        out.set(t.name, observationFrom(t.fp, g.observed, t.ctx));
      }
      return out;
    } catch (err) {
      throw classifyAwsError(err, ELBV2_TERMINAL_CODES);
    }
  }

  async create(mr: LoadBalancerManaged): Promise<CreateResult> {
    try {
      const t = targetOf(mr);
      guardSpec(t.fp);
      // Look before creating: AWS answers a create for an existing name with
      // the same settings by returning that load balancer, whoever owns it.
      // A taken name is reported; whose it is, the engine decides.
      if (await this.#findLoadBalancer(t.name)) return { alreadyExists: true };
      const seeds = new Map<string, Seed>();
      try {
        const out = await this.#api.createLoadBalancer(createLoadBalancerInput(t.fp, t.name, t.ctx.tags));
        const lb = out.LoadBalancers?.[0];
        if (lb) seeds.set(t.name, { lb, tags: t.ctx.tags });
      } catch (err) {
        if (hasCode(err, "DuplicateLoadBalancerName")) return { alreadyExists: true };
        throw err;
      }
      const g = (await this.#gather([t], seeds)).get(t.name);
      if (!g?.observed) {
        // Created, but the answer did not carry it and describes do not show
        // it yet: the next observation finds it (ours, by its tags) and the
        // update that follows adds the target groups and listeners.
        throw new RetryAfterError(
          `load balancer ${t.name} not visible yet after create`,
          NOT_VISIBLE_RETRY_SECONDS,
        );
      }
      await this.#converge(t, g.observed);
      return g.observed.dnsName ? { connectionDetails: { dnsName: g.observed.dnsName } } : {};
    } catch (err) {
      throw classifyAwsError(err, ELBV2_TERMINAL_CODES);
    }
  }

  async update(mr: LoadBalancerManaged, observation: LoadBalancerObservation): Promise<UpdateResult> {
    try {
      const t = targetOf(mr);
      guardSpec(t.fp);
      // The engine hands each observation to one update only, so what it
      // observed is still what this update starts from.
      const observed = observation.private ?? (await this.#gather([t])).get(t.name)?.observed;
      // Gone since the observation: the engine observes again and recreates.
      if (!observed) throw new Error(`load balancer ${t.name} disappeared before update`);
      if (isForeign(observed.tags, t.ctx.uid)) throw foreign(`load balancer ${t.name}`, observed.tags);
      await this.#converge(t, observed);
      return {};
    } catch (err) {
      throw classifyAwsError(err, ELBV2_TERMINAL_CODES);
    }
  }

  async delete(
    mr: LoadBalancerManaged,
    _observation: LoadBalancerObservation,
    options: DeleteOptions,
  ): Promise<DeleteResult> {
    try {
      const t = targetOf(mr);
      // Every load balancer of the name that is ours, duplicates included, or
      // one would be left behind. A duplicate without our uid tag (moto
      // allows one name twice; AWS does not) is not ours to delete.
      const lbs = (await loadBalancersByName(this.#api, [t.name])).get(t.name) ?? [];
      let ours = 0;
      if (lbs.length > 0) {
        const { primary, duplicates } = primaryAndDuplicates(lbs, mr.status?.atProvider?.arn);
        await this.#deleteLoadBalancer(t, primary, options);
        ours++;
        for (const d of duplicates) {
          if (!isOwned(await this.#tagsOf(d.LoadBalancerArn!), t.ctx.uid)) continue;
          await this.#deleteLoadBalancer(t, d, options);
          ours++;
        }
      }
      // Target groups last: AWS refuses to delete one a listener still uses.
      // Right after the load balancer goes they may still count as in use;
      // then the next round (the resource still "exists") tries again.
      const remaining = await this.#deleteTargetGroups(t);
      return { gone: ours === 0 && remaining === 0 };
    } catch (err) {
      throw classifyAwsError(err, ELBV2_TERMINAL_CODES);
    }
  }

  // -------------------------------------------------------------------------

  async #deleteLoadBalancer(t: Target, lb: SdkLoadBalancer, options: DeleteOptions): Promise<void> {
    const arn = lb.LoadBalancerArn!;
    const tags = await this.#tagsOf(arn);
    // Changed hands since the engine observed it: stop, and say so.
    if (isForeign(tags, t.ctx.uid)) throw foreign(`load balancer ${t.name}`, tags);
    if (options.disableDeletionProtection) {
      await this.#api.modifyLoadBalancerAttributes({
        LoadBalancerArn: arn,
        Attributes: [{ Key: DELETION_PROTECTION_ATTRIBUTE, Value: "false" }],
      });
    }
    const specPorts = new Set((t.fp.listeners ?? []).map((l) => l.port));
    const listeners = await this.#listenersOf(arn);
    const odd = listeners.filter((l) => !specPorts.has(l.Port ?? 0)).map((l) => l.ListenerArn!);
    const listenerTags =
      odd.length > 0 ? await this.#tagsByArn(odd) : new Map<string, Record<string, string>>();
    for (const l of listeners) {
      const mine = specPorts.has(l.Port ?? 0) || isOwned(listenerTags.get(l.ListenerArn!), t.ctx.uid);
      if (!mine) continue; // goes with the load balancer
      await ignoring(isListenerNotFound, () => this.#api.deleteListener({ ListenerArn: l.ListenerArn! }));
    }
    await ignoring(isLoadBalancerNotFound, () => this.#api.deleteLoadBalancer({ LoadBalancerArn: arn }));
  }

  /** Deletes the target groups carrying our uid; returns how many are still there. */
  async #deleteTargetGroups(t: Target): Promise<number> {
    const found = await this.#targetGroupsByAwsName(t.tgLocalNames.map((n) => targetGroupAwsName(t.name, n)));
    const tags = await this.#tagsByArn(found.map((tg) => tg.TargetGroupArn!));
    let remaining = 0;
    for (const tg of found) {
      if (!isOwned(tags.get(tg.TargetGroupArn!), t.ctx.uid)) continue;
      try {
        await ignoring(isTargetGroupNotFound, () =>
          this.#api.deleteTargetGroup({ TargetGroupArn: tg.TargetGroupArn! }),
        );
      } catch (err) {
        if (!hasCode(err, "ResourceInUse")) throw err;
        remaining++;
      }
    }
    return remaining;
  }

  /** Plans against `observed` and runs the plan; differences it cannot fix become a TerminalError. */
  async #converge(t: Target, observed: ObservedLoadBalancer): Promise<void> {
    const { ops, blocked } = compare(t.fp, observed, t.ctx);
    await this.#execute(t, observed, ops);
    throwIfBlocked(blocked);
  }

  async #execute(t: Target, observed: ObservedLoadBalancer, ops: UpdateOp[]): Promise<void> {
    const lbArn = observed.arn;
    const arnByName = new Map(
      observed.targetGroups.filter((tg) => !isForeign(tg.tags, t.ctx.uid)).map((tg) => [tg.name, tg.arn]),
    );
    const listenerTags = ownerTags(t.mr);
    for (const op of ops) {
      switch (op.kind) {
        case "DeleteDuplicateLoadBalancer":
          // Its listeners go with it; its target groups are the resource's own, shared by name.
          await ignoring(isLoadBalancerNotFound, () =>
            this.#api.deleteLoadBalancer({ LoadBalancerArn: op.arn }),
          );
          break;
        case "SetSubnets":
          await this.#api.setSubnets({ LoadBalancerArn: lbArn, Subnets: op.subnets });
          break;
        case "SetIpAddressType":
          await this.#api.setIpAddressType({
            LoadBalancerArn: lbArn,
            IpAddressType: op.ipAddressType as "ipv4" | "dualstack",
          });
          break;
        case "SetSecurityGroups":
          await this.#api.setSecurityGroups({ LoadBalancerArn: lbArn, SecurityGroups: op.securityGroups });
          break;
        case "ModifyLoadBalancerAttributes":
          await this.#api.modifyLoadBalancerAttributes({
            LoadBalancerArn: lbArn,
            Attributes: Object.entries(op.attributes).map(([Key, Value]) => ({ Key, Value })),
          });
          break;
        case "AddTags":
          await this.#api.addTags({
            ResourceArns: [op.arn],
            Tags: Object.entries(op.tags).map(([Key, Value]) => ({ Key, Value })),
          });
          break;
        case "RemoveTags":
          await this.#api.removeTags({ ResourceArns: [op.arn], TagKeys: op.keys });
          break;
        case "DeleteListener":
          await ignoring(isListenerNotFound, () => this.#api.deleteListener({ ListenerArn: op.arn }));
          break;
        case "CreateTargetGroup":
          arnByName.set(op.name, await this.#createTargetGroup(t, op.input));
          break;
        case "ModifyTargetGroup":
          await this.#api.modifyTargetGroup({ TargetGroupArn: op.arn, ...healthCheckInput(op.healthCheck) });
          break;
        case "ModifyListener": {
          const input = modifyListenerInput(op.listener, op.arn, arnByName);
          if (input) await this.#api.modifyListener(input);
          break;
        }
        case "CreateListener": {
          const input = createListenerInput(op.listener, lbArn, arnByName, listenerTags);
          if (input) await this.#api.createListener(input);
          break;
        }
        case "DeleteTargetGroup":
          await ignoring(isTargetGroupNotFound, () =>
            this.#api.deleteTargetGroup({ TargetGroupArn: op.arn }),
          );
          break;
      }
    }
  }

  /** Creates a target group; a lost earlier create is found by its derived name and reused if ours. */
  async #createTargetGroup(t: Target, input: Parameters<Elbv2Api["createTargetGroup"]>[0]): Promise<string> {
    try {
      const out = await this.#api.createTargetGroup(input);
      const arn = out.TargetGroups?.[0]?.TargetGroupArn;
      if (arn) return arn;
    } catch (err) {
      if (!hasCode(err, "DuplicateTargetGroupName")) throw err;
    }
    const [tg] = await this.#targetGroupsByAwsName([input.Name!]);
    if (!tg) throw new Error(`target group ${input.Name} neither created nor found`);
    const tags = await this.#tagsOf(tg.TargetGroupArn!);
    if (isForeign(tags, t.ctx.uid)) throw foreign(`target group ${input.Name}`, tags);
    return tg.TargetGroupArn!;
  }

  // -------------------------------------------------------------------------
  // Reading the cloud

  /**
   * The state of every target's load balancer, target groups and listeners.
   * Load balancers are listed, 400 to a page, so that two holding one name
   * are both seen (load-balancers-by-name.ts). Calls that take lists (target
   * groups by name, listeners by ARN, tags) are shared by all targets, 20 at
   * a time; only attributes, and listeners not yet known by ARN, cost a call
   * per load balancer.
   */
  async #gather(
    targets: Target[],
    seeds: ReadonlyMap<string, Seed> = new Map(),
  ): Promise<Map<string, Gathered>> {
    const c = this.#concurrency;
    const lbNames = [...new Set(targets.map((t) => t.name).filter((n) => !seeds.has(n)))];
    const named = await loadBalancersByName(this.#api, lbNames);
    const lbByName = new Map<string, SdkLoadBalancer>();
    const duplicatesByName = new Map<string, SdkLoadBalancer[]>();
    for (const t of targets) {
      const found = named.get(t.name);
      if (!found || lbByName.has(t.name)) continue;
      const { primary, duplicates } = primaryAndDuplicates(found, t.mr.status?.atProvider?.arn);
      lbByName.set(t.name, primary);
      if (duplicates.length > 0) duplicatesByName.set(t.name, duplicates);
    }
    for (const [name, seed] of seeds) lbByName.set(name, seed.lb);

    const present = targets.filter((t) => lbByName.has(t.name));
    const tgAwsNames = new Set<string>();
    for (const t of targets) {
      if (!lbByName.has(t.name) && !t.deleting) continue;
      for (const local of t.tgLocalNames) tgAwsNames.add(targetGroupAwsName(t.name, local));
    }
    // A deletion reads them too: the engine decides from deletion protection.
    const attributeTargets = present.filter(
      (t) => t.deleting || Object.keys(t.fp.attributes ?? {}).length > 0,
    );

    const [sdkTgs, listenersByLb, attributesByLb] = await Promise.all([
      this.#targetGroupsByAwsName([...tgAwsNames]),
      this.#listenersFor(present, lbByName, seeds),
      mapLimit(attributeTargets, c, async (t) => {
        const arn = lbByName.get(t.name)!.LoadBalancerArn!;
        // A load balancer we just created has every attribute at its default.
        const attrs = seeds.has(t.name) ? {} : await this.#attributesOf(arn);
        return [arn, attrs] as const;
      }),
    ]);
    const tgByAwsName = new Map(sdkTgs.map((tg) => [tg.TargetGroupName!, tg]));
    const attributes = new Map(attributesByLb);

    // Tags: load balancers (and their duplicates), target groups, and
    // listeners on ports the spec does not name or that two listeners hold
    // (the only ones whose ownership decides anything).
    const tagArns: string[] = [];
    for (const t of present) {
      const lbArn = lbByName.get(t.name)!.LoadBalancerArn!;
      if (!seeds.has(t.name)) tagArns.push(lbArn);
      for (const d of duplicatesByName.get(t.name) ?? []) tagArns.push(d.LoadBalancerArn!);
      const ports = new Set((t.fp.listeners ?? []).map((l) => l.port));
      const listeners = listenersByLb.get(lbArn) ?? [];
      const held = new Map<number, number>();
      for (const l of listeners) held.set(l.Port ?? 0, (held.get(l.Port ?? 0) ?? 0) + 1);
      for (const l of listeners)
        if (!ports.has(l.Port ?? 0) || held.get(l.Port ?? 0)! > 1) tagArns.push(l.ListenerArn!);
    }
    for (const tg of sdkTgs) tagArns.push(tg.TargetGroupArn!);
    const tags = await this.#tagsByArn(tagArns);

    const out = new Map<string, Gathered>();
    for (const t of targets) {
      const targetGroups: ObservedTargetGroup[] = [];
      for (const local of t.tgLocalNames) {
        const sdk = tgByAwsName.get(targetGroupAwsName(t.name, local));
        if (!sdk) continue;
        const tg = observedTargetGroupFrom(sdk, local);
        const tgTags = tags.get(tg.arn);
        if (tgTags) tg.tags = tgTags;
        targetGroups.push(tg);
      }
      const lb = lbByName.get(t.name);
      if (!lb) {
        out.set(t.name, { targetGroups });
        continue;
      }
      const arn = lb.LoadBalancerArn!;
      const lbTags = seeds.get(t.name)?.tags ?? tags.get(arn) ?? {};
      const observed: ObservedLoadBalancer = {
        ...observedLoadBalancerFrom(lb, lbTags),
        targetGroups,
        listeners: (listenersByLb.get(arn) ?? []).map((l) => {
          const o = observedListenerFrom(l);
          const lTags = tags.get(o.arn);
          if (lTags) o.tags = lTags;
          return o;
        }),
      };
      const attrs = attributes.get(arn);
      if (attrs) observed.attributes = attrs;
      const duplicates = duplicatesByName.get(t.name);
      if (duplicates) {
        observed.duplicates = duplicates.map((d) => {
          const dTags = tags.get(d.LoadBalancerArn!);
          return { arn: d.LoadBalancerArn!, ...(dTags ? { tags: dTags } : {}) };
        });
      }
      out.set(t.name, { observed, targetGroups });
    }
    return out;
  }

  /**
   * Listeners per load balancer ARN. When status already knows the ARN of
   * every listener the spec names, they are described by ARN across load
   * balancers; a load balancer whose known ARNs are not all found (deleted
   * or replaced out of band) falls back to a describe of its own.
   */
  async #listenersFor(
    present: Target[],
    lbByName: ReadonlyMap<string, SdkLoadBalancer>,
    seeds: ReadonlyMap<string, Seed>,
  ): Promise<Map<string, SdkListener[]>> {
    const out = new Map<string, SdkListener[]>();
    const perLb: string[] = [];
    const byArn: { lbArn: string; arns: string[] }[] = [];
    for (const t of present) {
      const lbArn = lbByName.get(t.name)!.LoadBalancerArn!;
      if (seeds.has(t.name)) {
        out.set(lbArn, []); // new: no listeners yet
        continue;
      }
      const known = t.mr.status?.atProvider?.listeners ?? [];
      const specPorts = (t.fp.listeners ?? []).map((l) => l.port);
      if (specPorts.length === 0 && known.length === 0) {
        out.set(lbArn, []); // nothing of ours to look at
      } else if (specPorts.every((p) => known.some((k) => k.port === p))) {
        byArn.push({ lbArn, arns: known.map((k) => k.arn) });
      } else {
        perLb.push(lbArn);
      }
    }
    if (byArn.length > 0) {
      const found = await describeInBatches(
        byArn.flatMap((g) => g.arns),
        ELBV2_BATCH_SIZE,
        this.#concurrency,
        async (chunk) => (await this.#api.describeListeners({ ListenerArns: chunk })).Listeners ?? [],
        isListenerNotFound,
      );
      const byListenerArn = new Map(found.map((l) => [l.ListenerArn!, l]));
      for (const g of byArn) {
        const listeners = g.arns.map((a) => byListenerArn.get(a));
        if (listeners.every((l) => l !== undefined && l.LoadBalancerArn === g.lbArn)) {
          out.set(g.lbArn, listeners as SdkListener[]);
        } else {
          perLb.push(g.lbArn);
        }
      }
    }
    const described = await mapLimit(
      perLb,
      this.#concurrency,
      async (arn) => [arn, await this.#listenersOf(arn)] as const,
    );
    for (const [arn, listeners] of described) out.set(arn, listeners);
    return out;
  }

  async #findLoadBalancer(name: string): Promise<SdkLoadBalancer | undefined> {
    try {
      const out = await this.#api.describeLoadBalancers({ Names: [name] });
      return out.LoadBalancers?.[0];
    } catch (err) {
      if (isLoadBalancerNotFound(err)) return undefined;
      throw err;
    }
  }

  async #listenersOf(lbArn: string): Promise<SdkListener[]> {
    const all: SdkListener[] = [];
    let marker: string | undefined;
    try {
      do {
        const out = await this.#api.describeListeners({
          LoadBalancerArn: lbArn,
          ...(marker ? { Marker: marker } : {}),
        });
        all.push(...(out.Listeners ?? []));
        marker = out.NextMarker;
      } while (marker);
    } catch (err) {
      if (isLoadBalancerNotFound(err)) return [];
      throw err;
    }
    return all;
  }

  async #targetGroupsByAwsName(names: string[]): Promise<SdkTargetGroup[]> {
    return describeInBatches(
      names,
      ELBV2_BATCH_SIZE,
      this.#concurrency,
      async (chunk) => (await this.#api.describeTargetGroups({ Names: chunk })).TargetGroups ?? [],
      isTargetGroupNotFound,
    );
  }

  async #attributesOf(lbArn: string): Promise<Record<string, string> | undefined> {
    try {
      const out = await this.#api.describeLoadBalancerAttributes({ LoadBalancerArn: lbArn });
      return tagListToMap(out.Attributes);
    } catch (err) {
      if (isLoadBalancerNotFound(err)) return undefined;
      throw err;
    }
  }

  async #tagsOf(arn: string): Promise<Record<string, string>> {
    return (await this.#tagsByArn([arn])).get(arn) ?? {};
  }

  async #tagsByArn(arns: string[]): Promise<Map<string, Record<string, string>>> {
    const descriptions = await describeInBatches(
      [...new Set(arns)],
      ELBV2_BATCH_SIZE,
      this.#concurrency,
      async (chunk) => (await this.#api.describeTags({ ResourceArns: chunk })).TagDescriptions ?? [],
      isAnyNotFound,
    );
    return new Map(descriptions.map((d) => [d.ResourceArn!, tagListToMap(d.Tags)]));
  }
}

/** Runs `fn`; an error `isGone` accepts means the thing is already gone, which is what we wanted. */
async function ignoring(isGone: (err: unknown) => boolean, fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    if (!isGone(err)) throw err;
  }
}
