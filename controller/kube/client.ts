// The small amount of plumbing every file in controller/kube shares on top of @kubernetes/client-node
// 2.x: URL paths for a resource type, per-call options (a request timeout, so a hung apiserver cannot
// stall a reconcile forever, and the merge-patch Content-Type, since the generated patch methods default
// to JSON Patch), a raw JSON GET that works for core and custom types alike and returns plain objects
// rather than the generated model classes, and the ListerWatcher that connects a Reflector to the
// apiserver through client-node's Watch.
import {
  ApiException,
  HttpMethod,
  type KubeConfig,
  KubernetesObjectApi,
  Observable,
  type ObservableMiddleware,
  PatchStrategy,
  type RequestContext,
  type ResponseContext,
  Watch,
} from "@kubernetes/client-node";
import { describeError, KubeApiError, type KubeStatus } from "./errors.ts";
import type { KubeObject, ListerWatcher, ListPage, WatchHandle } from "./reflector.ts";

// client-node's middleware speaks its own minimal Observable; this wraps a value in one.
function of<T>(value: T): Observable<T> {
  return new Observable(Promise.resolve(value));
}

/** A resource type: group ("" for core), version, plural, and a namespace to restrict to. */
export interface ResourceType {
  group: string;
  version: string;
  plural: string;
  /** Omit for all namespaces, or for cluster-scoped types. */
  namespace?: string;
}

/** client-node's own watch inactivity limit, lifted above the Reflector's default watchdog (120s). */
export const DEFAULT_WATCH_INACTIVITY_MS = 125_000;

/** Per-request timeout for ordinary (non-watch) calls. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

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

/** A middleware that aborts the request after `ms` (and when `signal` aborts, if given). */
export function timeoutMiddleware(ms: number, signal?: AbortSignal): ObservableMiddleware {
  return {
    pre: (ctx: RequestContext) => {
      const timeout = AbortSignal.timeout(ms);
      ctx.setSignal(signal ? AbortSignal.any([timeout, signal]) : timeout);
      return of(ctx);
    },
    post: (rsp: ResponseContext) => of(rsp),
  };
}

function headerMiddleware(key: string, value: string): ObservableMiddleware {
  return {
    pre: (ctx: RequestContext) => {
      ctx.setHeaderParam(key, value);
      return of(ctx);
    },
    post: (rsp: ResponseContext) => of(rsp),
  };
}

/**
 * Options for one generated-API call: a timeout, and optionally the patch Content-Type. Appended to
 * the client's own middleware (user agent), never replacing it.
 */
export function callOptions(opts: { timeoutMs?: number; patch?: "merge"; signal?: AbortSignal } = {}) {
  const middleware = [timeoutMiddleware(opts.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS, opts.signal)];
  if (opts.patch === "merge") middleware.push(headerMiddleware("Content-Type", PatchStrategy.MergePatch));
  return { middleware, middlewareMergeStrategy: "append" as const };
}

/**
 * A GET that returns the apiserver's JSON untouched. The generated typed APIs turn core objects into
 * model classes with Date fields, and KubernetesObjectApi's serializer rebuilds `metadata` as
 * V1ObjectMeta, which silently drops a list's `continue` token. The cache and the engine want the wire
 * format for any group, so this sends the request through client-node's own auth and HTTP library and
 * parses the body itself.
 */
export class RawKubeApi extends KubernetesObjectApi {
  static forConfig(kc: KubeConfig): RawKubeApi {
    return kc.makeApiClient(RawKubeApi);
  }

  async getJson<T = unknown>(
    path: string,
    query: Record<string, string | number | boolean | undefined> = {},
    opts: { timeoutMs?: number; signal?: AbortSignal } = {},
  ): Promise<T> {
    const config = this.configuration;
    const ctx = config.baseServer.makeRequestContext(path, HttpMethod.GET);
    ctx.setHeaderParam("Accept", "application/json");
    for (const [k, v] of Object.entries(query)) if (v !== undefined) ctx.setQueryParam(k, String(v));
    const timeout = AbortSignal.timeout(opts.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS);
    ctx.setSignal(opts.signal ? AbortSignal.any([timeout, opts.signal]) : timeout);
    // The KubeConfig is the "default" auth method: token, client certificate, exec plugin, TLS settings.
    await config.authMethods.default?.applySecurityAuthentication(ctx);
    const rsp = await config.httpApi.send(ctx).toPromise();
    const text = await rsp.body.text();
    let body: unknown = text;
    try {
      body = text === "" ? undefined : JSON.parse(text);
    } catch {
      // not JSON: keep the text for the error
    }
    if (rsp.httpStatusCode < 200 || rsp.httpStatusCode > 299) {
      const status = typeof body === "object" && body !== null ? (body as KubeStatus) : undefined;
      const cause = new ApiException(rsp.httpStatusCode, `GET ${path} failed`, body, rsp.headers);
      throw new KubeApiError(`GET ${path}: ${describeError(cause)}`, rsp.httpStatusCode, status, { cause });
    }
    return body as T;
  }
}

interface RawList {
  metadata?: { resourceVersion?: string; continue?: string };
  items?: KubeObject[];
}

export interface KubeListerWatcherOptions {
  labelSelector?: string;
  fieldSelector?: string;
  /** Timeout of each list page request. */
  requestTimeoutMs?: number;
  /**
   * client-node's Watch aborts a stream after its own inactivity timer (30s, not configurable through
   * its API). The Reflector runs its own watchdog, so this lifts client-node's to just above it; it
   * still bounds a connect that never gets response headers, which the Reflector cannot abort itself.
   */
  watchInactivityMs?: number;
}

/** Lists and watches one resource type through client-node. */
export class KubeListerWatcher implements ListerWatcher {
  readonly #raw: RawKubeApi;
  readonly #watch: Watch;
  readonly #path: string;
  readonly #opts: KubeListerWatcherOptions;

  constructor(kc: KubeConfig, rt: ResourceType, opts: KubeListerWatcherOptions = {}) {
    this.#raw = RawKubeApi.forConfig(kc);
    this.#watch = new Watch(kc);
    // A private field in client-node 2.0.1; if a later version drops it, the assignment is harmless.
    (this.#watch as unknown as { requestTimeoutMs: number }).requestTimeoutMs =
      opts.watchInactivityMs ?? DEFAULT_WATCH_INACTIVITY_MS;
    this.#path = collectionPath(rt);
    this.#opts = opts;
  }

  get path(): string {
    return this.#path;
  }

  async list(opts: { limit: number; continue?: string; signal?: AbortSignal }): Promise<ListPage> {
    const body = await this.#raw.getJson<RawList>(
      this.#path,
      {
        limit: opts.limit,
        continue: opts.continue,
        labelSelector: this.#opts.labelSelector,
        fieldSelector: this.#opts.fieldSelector,
      },
      { timeoutMs: this.#opts.requestTimeoutMs, signal: opts.signal },
    );
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
    const controller = await this.#watch.watch(
      this.#path,
      {
        resourceVersion: opts.resourceVersion || undefined,
        allowWatchBookmarks: true,
        timeoutSeconds: opts.timeoutSeconds,
        labelSelector: this.#opts.labelSelector,
        fieldSelector: this.#opts.fieldSelector,
      },
      (type, obj) => onEvent(type, obj),
      (err) => onDone(err ?? undefined),
    );
    return { abort: () => controller.abort() };
  }
}
