// Registrations tie a kind's schema to the provider that serves it, and a
// registry lists them once for everything that needs the list: the CRDs
// (crds/, `setpoint crds`, --install-crds), the drift report, and the
// controller. Adding a kind is one registerKind() line in its registry.
import type { z } from "zod";
import type { PollDefaults } from "../poll/schedule.ts";
import type { BudgetLimits, Provider } from "../provider.ts";
import type { KindDefinition, ManagedKindDefinition } from "./kind.ts";
import type { ConfigKindDefinition } from "./tenancy.ts";

declare const registered: unique symbol;

/** A managed kind with the provider that serves it. Made by registerKind() only, which checks the pair. */
export interface KindRegistration {
  readonly [registered]: true;
  readonly def: ManagedKindDefinition;
  readonly provider: Provider;
  /**
   * The cluster-scoped kind that spec.providerConfigRef names, when the kind
   * has one: the engine watches it, serves providers from that cache, and
   * reconciles every user of one that changes. Its tenancy reading decides
   * which namespaces may use a config and whether they may adopt.
   */
  readonly configKind?: ConfigKindDefinition;
  /**
   * The kind's own poll defaults, over the controller's (--poll-interval and the rest) and under a
   * resource's spec.pollInterval: for kinds whose observation costs far more than an API call.
   */
  readonly poll?: Partial<PollDefaults>;
}

export interface KindOptions {
  poll?: Partial<PollDefaults>;
}

/**
 * Pairs a kind with its provider. The provider's spec and status types must
 * be the ones the kind's zod schemas produce, so a provider written for
 * another kind's fields does not compile.
 */
export function registerKind<F extends z.ZodType, A extends z.ZodType, P>(
  def: ManagedKindDefinition<F, A>,
  provider: Provider<z.output<F>, z.output<A>, P>,
  options: KindOptions = {},
): KindRegistration {
  // The engine handles every kind alike: the pair was checked above, and the
  // brand (a type, nothing at run time) says so.
  const pair: Omit<KindRegistration, typeof registered> = {
    def,
    provider,
    ...(options.poll ? { poll: options.poll } : {}),
  };
  return pair as KindRegistration;
}

export interface Registry {
  /** Every kind that has a CRD: config kinds first, then the managed kinds, in registration order. */
  readonly crds: readonly KindDefinition[];
  /** The managed kinds, for the controller. */
  readonly kinds: readonly KindRegistration[];
}

/**
 * A registry for one API group. `providerConfig` is the group's config kind,
 * named by spec.providerConfigRef of every managed kind in it.
 */
export function defineRegistry(spec: {
  providerConfig?: ConfigKindDefinition;
  kinds: KindRegistration[];
}): Registry {
  const kinds = spec.kinds.map((k) => (spec.providerConfig ? { ...k, configKind: spec.providerConfig } : k));
  const crds = [...(spec.providerConfig ? [spec.providerConfig] : []), ...kinds.map((k) => k.def)];
  const seen = new Set<string>();
  for (const def of crds) {
    const id = `${def.plural}.${def.group}`;
    if (seen.has(id)) throw new Error(`kind ${def.kind} (${id}) is registered twice`);
    seen.add(id);
  }
  serviceBudgets(kinds);
  return { crds, kinds };
}

/**
 * Several registries (API groups) served by one controller, as one. A config kind that two groups
 * share (the AWS ProviderConfig, named by PulumiStacks for their state's credentials) has one CRD.
 */
export function combineRegistries(...registries: Registry[]): Registry {
  const crds: KindDefinition[] = [];
  const seen = new Map<string, KindDefinition>();
  for (const def of registries.flatMap((r) => r.crds)) {
    const id = `${def.plural}.${def.group}`;
    const known = seen.get(id);
    if (known === def) continue;
    if (known) throw new Error(`kind ${def.kind} (${id}) is registered twice`);
    seen.set(id, def);
    crds.push(def);
  }
  const kinds = registries.flatMap((r) => r.kinds);
  serviceBudgets(kinds);
  // Config kinds first, as in one registry.
  return { crds: [...crds.filter((d) => !d.managed), ...crds.filter((d) => d.managed)], kinds };
}

/**
 * The default cloud-call budget of every service the registered providers
 * call. Two providers may share a service (two kinds of one AWS API) only
 * if they declare the same budget for it, which is one bucket.
 */
export function serviceBudgets(kinds: readonly KindRegistration[]): Record<string, BudgetLimits> {
  const out: Record<string, BudgetLimits> = {};
  const by: Record<string, string> = {};
  for (const { def, provider } of kinds) {
    for (const [service, limits] of Object.entries(provider.services ?? {})) {
      const known = out[service];
      if (known && (known.burst !== limits.burst || known.ratePerSecond !== limits.ratePerSecond)) {
        throw new Error(
          `the providers of ${by[service]} and ${def.kind} declare different budgets for the ${service} service; declare one and share it`,
        );
      }
      out[service] = { ...limits };
      by[service] ??= def.kind;
    }
  }
  return out;
}
