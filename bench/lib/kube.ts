// Kubernetes side of the benchmarks: a namespace, many custom objects
// created with bounded concurrency, and a watch that records when each
// object turned Ready.
import {
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  setHeaderOptions,
  Watch,
} from "@kubernetes/client-node";
import { log } from "./report.ts";

export interface KindRef {
  group: string;
  version: string;
  plural: string;
  kind: string;
}

export async function createNamespace(kc: KubeConfig, name: string): Promise<void> {
  await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name } } });
}

/** Runs fn over items with at most `limit` calls in flight; resolves when all are done. */
export async function boundedAll<T>(
  items: T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

const isRetryable = (err: unknown) => {
  const code = (err as { code?: number }).code;
  return code === 429 || code === 500 || code === 503 || code === 504 || code === undefined;
};

/** Creates one object; retries what the API server may answer under load (429, 5xx, connection resets). */
export async function createObject(
  api: CustomObjectsApi,
  ref: KindRef,
  namespace: string,
  name: string,
  spec: Record<string, unknown>,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await api.createNamespacedCustomObject({
        group: ref.group,
        version: ref.version,
        namespace,
        plural: ref.plural,
        body: {
          apiVersion: `${ref.group}/${ref.version}`,
          kind: ref.kind,
          metadata: { name, namespace },
          spec,
        },
      });
      return;
    } catch (err) {
      if ((err as { code?: number }).code === 409) return;
      if (attempt >= 5 || !isRetryable(err)) throw err;
      await new Promise((r) => setTimeout(r, 200 * attempt));
    }
  }
}

export async function mergePatch(
  api: CustomObjectsApi,
  ref: KindRef,
  namespace: string,
  name: string,
  body: Record<string, unknown>,
): Promise<void> {
  await api.patchNamespacedCustomObject(
    { group: ref.group, version: ref.version, namespace, plural: ref.plural, name, body },
    setHeaderOptions("Content-Type", "application/merge-patch+json"),
  );
}

interface Obj {
  metadata?: { name?: string; resourceVersion?: string };
  status?: { conditions?: { type: string; status: string }[] };
}

const isReady = (o: Obj) =>
  o.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;

/**
 * Follows every object of a kind in one namespace through list + watch
 * (re-listing when the watch ends) and records the first time each was seen
 * Ready=True. Costs the API server one watch, not a list every second.
 */
export class ReadyTracker {
  readonly #kc: KubeConfig;
  readonly #ref: KindRef;
  readonly #namespace: string;
  /** name -> first time seen Ready (ms), or 0 while not Ready yet. */
  readonly readyAt = new Map<string, number>();
  #abort: AbortController | undefined;
  #stopped = false;
  restarts = 0;

  constructor(kc: KubeConfig, ref: KindRef, namespace: string) {
    this.#kc = kc;
    this.#ref = ref;
    this.#namespace = namespace;
  }

  get path(): string {
    return `/apis/${this.#ref.group}/${this.#ref.version}/namespaces/${this.#namespace}/${this.#ref.plural}`;
  }

  async start(): Promise<void> {
    const rv = await this.#list();
    await this.#watch(rv);
  }

  stop(): void {
    this.#stopped = true;
    this.#abort?.abort();
  }

  readyCount(): number {
    let n = 0;
    for (const at of this.readyAt.values()) if (at > 0) n++;
    return n;
  }

  #see(o: Obj): void {
    const name = o.metadata?.name;
    if (!name) return;
    const prev = this.readyAt.get(name) ?? 0;
    if (prev > 0) return;
    this.readyAt.set(name, isReady(o) ? Date.now() : 0);
  }

  async #list(): Promise<string> {
    const api = this.#kc.makeApiClient(CustomObjectsApi);
    let cont: string | undefined;
    let rv = "";
    do {
      const page = (await api.listNamespacedCustomObject({
        group: this.#ref.group,
        version: this.#ref.version,
        namespace: this.#namespace,
        plural: this.#ref.plural,
        limit: 500,
        ...(cont ? { _continue: cont } : {}),
      })) as { items: Obj[]; metadata: { continue?: string; resourceVersion: string } };
      for (const o of page.items) this.#see(o);
      cont = page.metadata.continue || undefined;
      rv = page.metadata.resourceVersion;
    } while (cont);
    return rv;
  }

  async #watch(resourceVersion: string): Promise<void> {
    let rv = resourceVersion;
    let gone = false;
    this.#abort = await new Watch(this.#kc).watch(
      this.path,
      { resourceVersion: rv, allowWatchBookmarks: true },
      (type, obj: Obj & { code?: number }) => {
        if (type === "ERROR") {
          gone = obj.code === 410;
          return;
        }
        rv = obj.metadata?.resourceVersion ?? rv;
        if (type === "ADDED" || type === "MODIFIED") this.#see(obj);
      },
      () => {
        if (this.#stopped) return;
        this.restarts++;
        // client-node ends a watch after 30s without events; resume from where it was, and list again
        // only when the server says that version is gone (410).
        void this.#restart(gone ? undefined : rv);
      },
    );
  }

  async #restart(fromVersion: string | undefined): Promise<void> {
    let rv = fromVersion;
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, 500));
      if (this.#stopped) return;
      try {
        await this.#watch(rv ?? (await this.#list()));
        return;
      } catch (e) {
        log(`watch on ${this.path} could not start (${(e as Error).message}); listing again`);
        rv = undefined;
      }
    }
  }
}
