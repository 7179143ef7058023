// What the tenancy gate reads, from caches: each namespace's labels (a
// Namespace watch, cluster-wide even when the controller manages one
// namespace, since a namespace is a cluster-scoped object) and the config
// objects' tenancy fields (the ProviderConfig watch of config-fanout.ts). When
// a namespace's labels change, every resource in it is reconciled again, as
// the config fan-out does for a changed config: an administrator's relabelling
// takes effect at once, both ways.
import { DEFAULT_PROVIDER_CONFIG_NAME, type Managed } from "../api/managed.ts";
import type { KindRegistration } from "../api/registration.ts";
import type { TenancyPolicy } from "../api/tenancy.ts";
import type { Logger } from "../ops/logger.ts";
import type { TenancySource } from "../reconciler/ports.ts";
import type { TenancyReading } from "../reconciler/tenancy.ts";
import type { ConfigObject } from "./config-fanout.ts";
import { keyOf, type ResourceKey } from "./keys.ts";
import type { ManagerKube, WatchSource } from "./ports.ts";

export interface NamespaceObject {
  metadata: { name: string; labels?: Record<string, string> };
}

/** The Namespace watch. list + watch on namespaces: see deploy/rbac/rules.ts. */
export class NamespaceWatch {
  readonly #source: WatchSource<NamespaceObject>;

  constructor(deps: {
    kube: ManagerKube;
    log: Logger;
    /** A namespace appeared, or its labels changed. */
    changed(namespace: string): void;
  }) {
    const changed = (ns: NamespaceObject) => deps.changed(ns.metadata.name);
    this.#source = deps.kube.watch<NamespaceObject>({
      group: "",
      version: "v1",
      plural: "namespaces",
      log: deps.log.child({ component: "reflector", resource: "namespaces" }),
      handlers: {
        onAdd: changed,
        onUpdate: (old, ns) => {
          if (!sameLabels(old.metadata.labels, ns.metadata.labels)) changed(ns);
        },
      },
    });
  }

  start(): Promise<void> {
    return this.#source.start();
  }

  stop(): Promise<void> {
    return this.#source.stop();
  }

  /** The namespace's labels, or undefined when it is not in the cache. */
  labels(namespace: string): Readonly<Record<string, string>> | undefined {
    const ns = this.#source.get(namespace);
    return ns ? (ns.metadata.labels ?? {}) : undefined;
  }
}

function sameLabels(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  const x = Object.entries(a ?? {}).sort(([k], [l]) => (k < l ? -1 : k > l ? 1 : 0));
  const y = Object.entries(b ?? {}).sort(([k], [l]) => (k < l ? -1 : k > l ? 1 : 0));
  return JSON.stringify(x) === JSON.stringify(y);
}

/** The tenancy source of one kind: its config kind's cached objects and the namespace cache. */
export function tenancySource(
  reg: KindRegistration,
  configs: (name: string) => ConfigObject | undefined,
  namespaces: NamespaceWatch,
): TenancySource {
  const configKind = reg.configKind;
  return {
    read(mr: Managed): TenancyReading {
      if (!configKind) return { config: undefined };
      const name = mr.spec?.providerConfigRef?.name ?? DEFAULT_PROVIDER_CONFIG_NAME;
      const obj = configs(name);
      let policy: TenancyPolicy | Error | undefined;
      try {
        policy = obj ? configKind.tenancy(obj) : undefined;
      } catch (err) {
        policy = err instanceof Error ? err : new Error(String(err));
      }
      return {
        config: { kind: configKind.kind, name },
        policy,
        namespaceLabels: namespaces.labels(mr.metadata.namespace ?? ""),
      };
    },
  };
}

/** The keys of every managed object in `namespace`, across kinds: whom its new labels concern. */
export function namespaceUsers(
  namespace: string,
  kinds: Iterable<{ kind: string; list(): Managed[] }>,
): ResourceKey[] {
  const keys: ResourceKey[] = [];
  for (const { kind, list } of kinds) {
    for (const mr of list()) if (mr.metadata.namespace === namespace) keys.push(keyOf(kind, mr));
  }
  return keys;
}
