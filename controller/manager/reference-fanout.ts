// The reference fan-out: an index from each referenced resource to the
// resources that refer to it, kept up to date from the managed kinds'
// watches. A reference resolves in the referrer's reconcile (the reconciler's
// references.ts), so when a target changes in a way a referrer can see (it
// appears, becomes Ready, gets a new ID, goes away), every referrer is
// reconciled again at once instead of at its next poll; and when a referrer
// goes, or stops referring, its former targets are reconciled, so a deletion
// that waited for it goes on. Like the ProviderConfig fan-out
// (config-fanout.ts), but resource to resource, and without a scan.
import type { KindDefinition } from "../api/kind.ts";
import type { Managed } from "../api/managed.ts";
import { Annotations } from "../api/metadata.ts";
import type { ReferenceDeclaration } from "../api/references.ts";
import { ConditionType, getCondition } from "../reconciler/conditions.ts";
import { canonicalJson } from "../reconciler/drift-report.ts";
import { matches, namedTargets, type ReferenceTargets, selectorOf } from "../reconciler/references.ts";
import { decodeKey, encodeKey, keyOf, type ResourceKey } from "./keys.ts";
import type { WatchHandlers } from "./ports.ts";

/** What one referrer refers to: targets by key, and selectors by "kind/namespace". */
interface Refs {
  targets: Set<ResourceKey>;
  selectors: { scope: string; labels: Record<string, string> }[];
}

const scopeOf = (kind: string, namespace: string) => `${kind}/${namespace}`;

/** What a referrer can see of a target; a reconcile is due only when it changes. */
function visible(mr: Managed): string {
  return canonicalJson({
    ready: getCondition(mr.status?.conditions, ConditionType.Ready)?.status,
    externalName: mr.metadata.annotations?.[Annotations.externalName],
    atProvider: mr.status?.atProvider,
    labels: mr.metadata.labels,
    providerConfig: mr.spec?.providerConfigRef?.name,
  });
}

export class ReferenceIndex {
  readonly #decls = new Map<string, readonly ReferenceDeclaration[]>();
  /** Kinds that some kind refers to. */
  readonly #targetKinds = new Set<string>();
  readonly #refs = new Map<ResourceKey, Refs>();
  readonly #byTarget = new Map<ResourceKey, Set<ResourceKey>>();
  readonly #bySelector = new Map<string, Set<ResourceKey>>();

  constructor(kinds: readonly KindDefinition[]) {
    for (const def of kinds) {
      if (!def.references?.length) continue;
      this.#decls.set(def.kind, def.references);
      for (const d of def.references) this.#targetKinds.add(d.kind);
    }
  }

  /** True when no kind declares a reference: the index has nothing to do. */
  get empty(): boolean {
    return this.#decls.size === 0;
  }

  /** Records what `mr` refers to now. Returns the targets it stopped or started naming. */
  track(kind: string, mr: Managed): ResourceKey[] {
    const decls = this.#decls.get(kind);
    if (!decls) return [];
    const key = keyOf(kind, mr);
    const before = this.#refs.get(key);
    const now: Refs = { targets: new Set(), selectors: [] };
    const namespace = mr.metadata.namespace ?? "";
    for (const d of decls) {
      for (const name of namedTargets(mr, d)) now.targets.add(encodeKey({ kind: d.kind, namespace, name }));
      const labels = selectorOf(mr, d);
      if (labels) now.selectors.push({ scope: scopeOf(d.kind, namespace), labels });
    }
    this.#remove(key, before);
    this.#refs.set(key, now);
    for (const t of now.targets) this.#add(this.#byTarget, t, key);
    for (const s of now.selectors) this.#add(this.#bySelector, s.scope, key);
    const touched = new Set<ResourceKey>([...(before?.targets ?? []), ...now.targets]);
    for (const t of [...touched]) if (before?.targets.has(t) && now.targets.has(t)) touched.delete(t);
    return [...touched];
  }

  /** Forgets a referrer that is gone. Returns the targets it named. */
  untrack(kind: string, mr: Managed): ResourceKey[] {
    const key = keyOf(kind, mr);
    const before = this.#refs.get(key);
    this.#remove(key, before);
    this.#refs.delete(key);
    return [...(before?.targets ?? [])];
  }

  /** Keys of every resource that refers to `target`, by name or by a selector its labels match. */
  referrersOf(kind: string, target: Managed): ResourceKey[] {
    if (!this.#targetKinds.has(kind)) return [];
    const namespace = target.metadata.namespace ?? "";
    const out = new Set(this.#byTarget.get(keyOf(kind, target)) ?? []);
    const scope = scopeOf(kind, namespace);
    for (const key of this.#bySelector.get(scope) ?? []) {
      const refs = this.#refs.get(key);
      if (refs?.selectors.some((s) => s.scope === scope && matches(target.metadata.labels, s.labels))) {
        out.add(key);
      }
    }
    return [...out].sort();
  }

  /**
   * Wraps a kind's watch handlers so the index follows every object of it,
   * and `requeue` gets the keys a change concerns.
   */
  handlers(kind: string, inner: WatchHandlers<Managed>, requeue: (keys: ResourceKey[]) => void) {
    if (this.empty) return inner;
    const isTarget = this.#targetKinds.has(kind);
    const wrapped: WatchHandlers<Managed> = {
      onAdd: (mr) => {
        inner.onAdd?.(mr);
        requeue([...this.track(kind, mr), ...(isTarget ? this.referrersOf(kind, mr) : [])]);
      },
      onUpdate: (old, mr) => {
        inner.onUpdate?.(old, mr);
        const keys = this.track(kind, mr);
        if (isTarget && visible(old) !== visible(mr)) {
          keys.push(...this.referrersOf(kind, old), ...this.referrersOf(kind, mr));
        }
        requeue(keys);
      },
      onDelete: (mr) => {
        inner.onDelete?.(mr);
        requeue([...this.untrack(kind, mr), ...(isTarget ? this.referrersOf(kind, mr) : [])]);
      },
    };
    return wrapped;
  }

  #add(map: Map<string, Set<ResourceKey>>, at: string, key: ResourceKey): void {
    const set = map.get(at) ?? new Set<ResourceKey>();
    set.add(key);
    map.set(at, set);
  }

  #remove(key: ResourceKey, refs: Refs | undefined): void {
    if (!refs) return;
    for (const t of refs.targets) this.#drop(this.#byTarget, t, key);
    for (const s of refs.selectors) this.#drop(this.#bySelector, s.scope, key);
  }

  #drop(map: Map<string, Set<ResourceKey>>, at: string, key: ResourceKey): void {
    const set = map.get(at);
    set?.delete(key);
    if (set?.size === 0) map.delete(at);
  }
}

/** The reconciler's view of the other managed resources: the watch caches and the index. */
export function referenceTargets(deps: {
  index: ReferenceIndex;
  current(key: ResourceKey): Managed | undefined;
  list(kind: string): Managed[];
}): ReferenceTargets {
  const describe = (key: ResourceKey) => {
    const p = decodeKey(key);
    return `${p.kind} ${p.namespace}/${p.name}`;
  };
  return {
    get: (kind, namespace, name) => deps.current(encodeKey({ kind, namespace, name })),
    list: (kind, namespace) => deps.list(kind).filter((mr) => (mr.metadata.namespace ?? "") === namespace),
    referrersOf: (target) => deps.index.referrersOf(target.kind, target).map(describe),
  };
}
