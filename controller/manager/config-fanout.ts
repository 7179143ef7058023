// The ProviderConfig fan-out. Managed resources name a cluster-scoped
// config object (spec.providerConfigRef); providers read it on every
// connect. The manager watches each config kind once, so those reads come
// from a cache, and when a config changes, every resource that names it is
// reconciled again: fixed credentials take effect at once, not at the next
// poll.
import { apiVersionOf, type KindDefinition } from "../api/kind.ts";
import { DEFAULT_PROVIDER_CONFIG_NAME, type Managed } from "../api/managed.ts";
import type { KindRegistration } from "../api/registration.ts";
import type { Logger } from "../ops/logger.ts";
import { keyOf, type ResourceKey } from "./keys.ts";
import type { ManagerKube, WatchSource } from "./ports.ts";

export type ConfigObject = Record<string, unknown> & { metadata: { name: string } };

/** One config kind, and a way to list the managed objects of the kinds that use it. */
interface Users {
  reg: KindRegistration;
  list(): Managed[];
}

/** The keys of every managed object that names config `name` of `configKind`. */
export function usersOf(configKind: KindDefinition, name: string, kinds: Iterable<Users>): ResourceKey[] {
  const keys: ResourceKey[] = [];
  for (const { reg, list } of kinds) {
    if (reg.configKind?.plural !== configKind.plural || reg.configKind.group !== configKind.group) continue;
    for (const mr of list()) {
      if ((mr.spec?.providerConfigRef?.name ?? DEFAULT_PROVIDER_CONFIG_NAME) === name)
        keys.push(keyOf(reg.def.kind, mr));
    }
  }
  return keys;
}

export class ConfigWatches {
  readonly #watches = new Map<string, { def: KindDefinition; source: WatchSource<ConfigObject> }>();

  constructor(deps: {
    kube: ManagerKube;
    kinds: readonly KindRegistration[];
    log: Logger;
    /** A config object was added, changed or deleted. */
    changed(configKind: KindDefinition, name: string): void;
  }) {
    for (const reg of deps.kinds) {
      const def = reg.configKind;
      if (!def || this.#watches.has(idOf(apiVersionOf(def), def.plural))) continue;
      const changed = (pc: ConfigObject) => deps.changed(def, pc.metadata.name);
      const source = deps.kube.watch<ConfigObject>({
        group: def.group,
        version: def.version,
        plural: def.plural,
        log: deps.log.child({ component: "reflector", resource: def.plural }),
        handlers: { onAdd: changed, onUpdate: (_old, pc) => changed(pc), onDelete: changed },
      });
      this.#watches.set(idOf(apiVersionOf(def), def.plural), { def, source });
    }
  }

  async start(): Promise<void> {
    await Promise.all([...this.#watches.values()].map((w) => w.source.start()));
  }

  async stop(): Promise<void> {
    await Promise.all([...this.#watches.values()].map((w) => w.source.stop()));
  }

  /** A reader of the cached configs of this type, or undefined when it is not one that is watched. */
  cached(apiVersion: string, plural: string): ((name: string) => ConfigObject | undefined) | undefined {
    const watch = this.#watches.get(idOf(apiVersion, plural));
    return watch ? (name) => watch.source.get(name) : undefined;
  }
}

function idOf(apiVersion: string, plural: string): string {
  return `${plural}/${apiVersion}`;
}
