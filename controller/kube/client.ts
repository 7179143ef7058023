// The engine's one way to the apiserver: JSON requests and watches over http.ts, with the credentials
// of kube-auth.ts. The engine makes a handful of calls (list, watch, get, merge patch and status on
// custom resources; Secrets, Events and Leases), all on the wire format, so it needs none of
// @kubernetes/client-node's generated clients and models, which cost about 80 MB of RSS to import.
// Components take a KubeTarget: a KubeClient, or a client-node KubeConfig that callers such as tests
// already hold, which is read once into a KubeClient (one per KubeConfig, so its components share one
// connection pool).
import type { KubeConfig } from "@kubernetes/client-node";
import { describeError, KubeApiError, type KubeStatus } from "./errors.ts";
import { KubeHttp, type KubeHttpOptions } from "./http.ts";
import { type Credentials, credentialsFor, credentialsFromKubeConfig } from "./kube-auth.ts";
import { type LoadOptions, loadKubeconfig } from "./kubeconfig.ts";
import type { KubeObject, ListerWatcher, ListPage, WatchHandle } from "./reflector.ts";

/** A resource type: group ("" for core), version, plural, and a namespace to restrict to. */
export interface ResourceType {
  group: string;
  version: string;
  plural: string;
  /** Omit for all namespaces, or for cluster-scoped types. */
  namespace?: string;
}

/** The watch stream's own inactivity limit: a backstop just above the Reflector's default watchdog (120s). */
export const DEFAULT_WATCH_INACTIVITY_MS = 125_000;

/** Per-request timeout for ordinary (non-watch) calls. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

export const MERGE_PATCH = "application/merge-patch+json";

/**
 * Asks for metadata only. A list must ask for the List type and a watch for the item type: a v1.32
 * apiserver answers a watch that names the List type first with an empty stream.
 */
export const METADATA_ONLY_LIST =
  "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json";
export const METADATA_ONLY_WATCH =
  "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json";

/** "/api/v1" or "/apis/group/version". */
export function apiVersionPath(group: string, version: string): string {
  return group === "" ? `/api/${version}` : `/apis/${group}/${version}`;
}

/** Splits "group/version" (or "v1") into its parts. */
export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf("/");
  return slash < 0
    ? { group: "", version: apiVersion }
    : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

/** The collection URL of a resource type, e.g. /apis/g/v/namespaces/ns/plural. */
export function collectionPath(rt: ResourceType): string {
  const base = apiVersionPath(rt.group, rt.version);
  const ns = rt.namespace ? `/namespaces/${encodeURIComponent(rt.namespace)}` : "";
  return `${base}${ns}/${rt.plural}`;
}

/** One object's URL in a namespace ("" for cluster-scoped), optionally a subresource. */
export function objectPath(
  rt: Omit<ResourceType, "namespace">,
  namespace: string,
  name: string,
  sub?: string,
) {
  const path = `${collectionPath({ ...rt, ...(namespace ? { namespace } : {}) })}/${encodeURIComponent(name)}`;
  return sub ? `${path}/${sub}` : path;
}

export type Query = Record<string, string | number | boolean | undefined>;

export interface CallOptions {
  query?: Query;
  body?: unknown;
  /** Content-Type of the body; JSON unless a patch says otherwise. */
  contentType?: string;
  accept?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export class KubeClient {
  readonly #http: KubeHttp;
  /** The context's namespace, or the ServiceAccount's in-cluster; undefined when none is set. */
  readonly namespace: string | undefined;

  constructor(server: string, credentials: Credentials, opts: KubeHttpOptions & { namespace?: string } = {}) {
    this.#http = new KubeHttp(server, credentials, opts);
    this.namespace = opts.namespace;
  }

  get server(): string {
    return this.#http.server;
  }

  /** A JSON request; a non-2xx answer throws KubeApiError with the HTTP status and the apiserver's Status. */
  async request<T = unknown>(
    method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE",
    path: string,
    o: CallOptions = {},
  ) {
    const headers: Record<string, string> = { Accept: o.accept ?? "application/json" };
    if (o.body !== undefined) headers["Content-Type"] = o.contentType ?? "application/json";
    const rsp = await this.#http.send({
      method,
      path,
      headers,
      timeoutMs: o.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      ...(o.query ? { query: o.query } : {}),
      ...(o.body !== undefined ? { body: JSON.stringify(o.body) } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
    });
    let body: unknown = rsp.body;
    try {
      body = rsp.body === "" ? undefined : JSON.parse(rsp.body);
    } catch {
      // not JSON: keep the text for the error
    }
    if (rsp.status < 200 || rsp.status > 299) throw apiError(method, path, rsp.status, body);
    return body as T;
  }

  getJson<T = unknown>(
    path: string,
    query: Query = {},
    opts: { timeoutMs?: number; signal?: AbortSignal } = {},
  ) {
    return this.request<T>("GET", path, { query, ...opts });
  }

  /**
   * A watch: decodes the stream's JSON lines and hands each event over. onDone is called exactly once:
   * with undefined when the server closed the stream cleanly, otherwise with an error (a KubeApiError
   * carrying the HTTP status when the server refused the watch, e.g. 410).
   */
  watch(
    path: string,
    query: Query,
    onEvent: (type: string, object: unknown) => void,
    onDone: (err?: unknown) => void,
    opts: { accept?: string; inactivityMs?: number } = {},
  ): WatchHandle {
    let status = 0;
    let pending = "";
    let errorBody = "";
    let done = false;
    let timer: NodeJS.Timeout | undefined;
    // fromStream: the stream has already ended, so there is nothing to abort.
    const finish = (err?: unknown, fromStream = false) => {
      if (done) return;
      done = true;
      if (timer) clearTimeout(timer);
      if (!fromStream) handle.abort();
      onDone(err);
    };
    const inactivityMs = opts.inactivityMs ?? DEFAULT_WATCH_INACTIVITY_MS;
    const arm = () => {
      if (timer) timer.refresh();
      else
        timer = setTimeout(() => {
          const err = new Error(`watch ${path} silent for ${inactivityMs}ms`);
          err.name = "TimeoutError";
          finish(err);
        }, inactivityMs);
    };
    const handle = this.#http.stream(
      {
        method: "GET",
        path,
        query: { ...query, watch: true },
        headers: { Accept: opts.accept ?? "application/json" },
      },
      {
        status: (code) => {
          status = code;
          arm();
        },
        chunk: (text) => {
          arm();
          if (status !== 200) {
            if (errorBody.length < 64 * 1024) errorBody += text;
            return;
          }
          pending += text;
          let start = 0;
          for (let nl = pending.indexOf("\n"); nl >= 0; nl = pending.indexOf("\n", start)) {
            const line = pending.slice(start, nl);
            start = nl + 1;
            if (line.trim() === "") continue;
            let event: { type?: unknown; object?: unknown };
            try {
              event = JSON.parse(line);
            } catch (err) {
              finish(new Error(`watch ${path}: undecodable event (${(err as Error).message})`));
              return;
            }
            if (done) return;
            onEvent(String(event.type ?? ""), event.object);
          }
          pending = pending.slice(start);
        },
        end: (err) => {
          if (status !== 0 && status !== 200) {
            let body: unknown = errorBody;
            try {
              body = JSON.parse(errorBody);
            } catch {
              // keep the text
            }
            finish(apiError("WATCH", path, status, body), true);
          } else finish(err, true);
        },
      },
    );
    arm();
    return { abort: () => handle.abort() };
  }

  /** Closes pooled connections; in-flight requests finish first. */
  close(): void {
    this.#http.close();
  }
}

function apiError(method: string, path: string, code: number, body: unknown): KubeApiError {
  const status = typeof body === "object" && body !== null ? (body as KubeStatus) : undefined;
  const cause = { code, body };
  return new KubeApiError(`${method} ${path}: ${describeError(cause)}`, code, status, { cause });
}

/** What kube/* components take: our own client, or a client-node KubeConfig read into one. */
export type KubeTarget = KubeConfig | KubeClient;

const fromKubeConfig = new WeakMap<object, KubeClient>();

/** The KubeClient for a target; the same one every time for the same KubeConfig, so pools are shared. */
export function kubeClientOf(target: KubeTarget): KubeClient {
  if (target instanceof KubeClient) return target;
  const known = fromKubeConfig.get(target);
  if (known) return known;
  const cluster = target.getCurrentCluster();
  if (!cluster) throw new Error("the KubeConfig has no current cluster");
  const context = target.getContextObject(target.getCurrentContext());
  const client = new KubeClient(cluster.server, credentialsFromKubeConfig(target), {
    ...(context?.namespace ? { namespace: context.namespace } : {}),
  });
  fromKubeConfig.set(target, client);
  return client;
}

/** Loads the kubeconfig (or in-cluster config) and builds a client, importing client-node only if it must. */
export async function loadKubeClient(opts: LoadOptions = {}): Promise<KubeClient> {
  const sel = await loadKubeconfig(opts);
  return new KubeClient(sel.cluster.server, await credentialsFor(sel), {
    ...(sel.namespace ? { namespace: sel.namespace } : {}),
  });
}

interface RawList {
  metadata?: { resourceVersion?: string; continue?: string };
  items?: KubeObject[];
}

export interface KubeListerWatcherOptions {
  labelSelector?: string;
  fieldSelector?: string;
  /** Lists and watches PartialObjectMetadata only (for types whose bodies the cache never needs). */
  metadataOnly?: boolean;
  /** Timeout of each list page request. */
  requestTimeoutMs?: number;
  /** The stream's own inactivity backstop, just above the Reflector's watchdog. */
  watchInactivityMs?: number;
}

/** Lists and watches one resource type. */
export class KubeListerWatcher implements ListerWatcher {
  readonly #client: KubeClient;
  readonly #path: string;
  readonly #opts: KubeListerWatcherOptions;

  constructor(target: KubeTarget, rt: ResourceType, opts: KubeListerWatcherOptions = {}) {
    this.#client = kubeClientOf(target);
    this.#path = collectionPath(rt);
    this.#opts = opts;
  }

  get path(): string {
    return this.#path;
  }

  #selectors(): Query {
    return { labelSelector: this.#opts.labelSelector, fieldSelector: this.#opts.fieldSelector };
  }

  async list(opts: { limit: number; continue?: string; signal?: AbortSignal }): Promise<ListPage> {
    const body = await this.#client.request<RawList>("GET", this.#path, {
      query: { limit: opts.limit, continue: opts.continue, ...this.#selectors() },
      ...(this.#opts.metadataOnly ? { accept: METADATA_ONLY_LIST } : {}),
      ...(this.#opts.requestTimeoutMs ? { timeoutMs: this.#opts.requestTimeoutMs } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    return {
      items: body.items ?? [],
      resourceVersion: body.metadata?.resourceVersion ?? "",
      continue: body.metadata?.continue || undefined,
    };
  }

  async watch(
    opts: { resourceVersion: string; timeoutSeconds: number },
    onEvent: (type: string, object: unknown) => void,
    onDone: (err?: unknown) => void,
  ): Promise<WatchHandle> {
    return this.#client.watch(
      this.#path,
      {
        resourceVersion: opts.resourceVersion || undefined,
        allowWatchBookmarks: true,
        timeoutSeconds: opts.timeoutSeconds,
        ...this.#selectors(),
      },
      onEvent,
      onDone,
      {
        ...(this.#opts.metadataOnly ? { accept: METADATA_ONLY_WATCH } : {}),
        ...(this.#opts.watchInactivityMs ? { inactivityMs: this.#opts.watchInactivityMs } : {}),
      },
    );
  }
}
