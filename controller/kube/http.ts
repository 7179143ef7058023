// HTTP to the apiserver over Node's own http/https modules: about 8 MB of RSS where undici (which
// client-node brings) costs about 28 MB, and no generated clients on top. Connections are kept alive and
// pooled per set of TLS material: one pool for ordinary requests, bounded so that a burst of status
// writes and Events queues here instead of opening hundreds of TLS connections, and one for watches,
// which each hold a connection for minutes and must never wait behind requests. A 401 makes the
// credentials re-read a rotated token before the next request.
import http from "node:http";
import https from "node:https";
import type { Credentials, TlsMaterial } from "./kube-auth.ts";

export interface HttpRequest {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** Starts with "/"; query parameters go in `query`. */
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  headers?: Record<string, string>;
  body?: string;
  /** Aborts the request after this long (ordinary requests only). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  body: string;
}

export interface StreamHandle {
  abort(): void;
}

export interface KubeHttpOptions {
  /** Connections for ordinary requests, per pool. Default 16. */
  maxSockets?: number;
}

const TCP_KEEPALIVE_MS = 30_000;

export class KubeHttp {
  readonly #server: URL;
  readonly #credentials: Credentials;
  readonly #maxSockets: number;
  readonly #agents = new Map<string, http.Agent>();
  readonly #mod: typeof http | typeof https;

  constructor(server: string, credentials: Credentials, opts: KubeHttpOptions = {}) {
    this.#server = new URL(server);
    if (this.#server.protocol !== "https:" && this.#server.protocol !== "http:")
      throw new Error(`unsupported apiserver URL ${server}: only http and https`);
    this.#mod = this.#server.protocol === "https:" ? https : http;
    this.#credentials = credentials;
    this.#maxSockets = opts.maxSockets ?? 16;
  }

  get server(): string {
    return this.#server.origin;
  }

  /** One request, its whole body read. Non-2xx answers resolve too; the caller decides. */
  async send(req: HttpRequest): Promise<HttpResponse> {
    const auth = await this.#credentials.get();
    const signals = [req.signal, req.timeoutMs ? AbortSignal.timeout(req.timeoutMs) : undefined].filter(
      (s): s is AbortSignal => s !== undefined,
    );
    const signal = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
    const res = await new Promise<HttpResponse>((resolve, reject) => {
      const r = this.#mod.request(this.#options(req, auth.tls, auth.headers, auth.agent, false), (rsp) => {
        const chunks: Buffer[] = [];
        rsp.on("data", (c: Buffer) => chunks.push(c));
        rsp.on("end", () =>
          resolve({ status: rsp.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
        );
        rsp.on("error", reject);
        rsp.on("aborted", () => reject(new Error(`${req.method} ${req.path}: response aborted`)));
      });
      if (signal) {
        // Rejects with the signal's reason (a TimeoutError for the timeout), then drops the connection.
        const onAbort = () => {
          reject(signal.reason);
          r.destroy();
        };
        if (signal.aborted) onAbort();
        else {
          signal.addEventListener("abort", onAbort, { once: true });
          r.on("close", () => signal.removeEventListener("abort", onAbort));
        }
      }
      r.on("error", reject);
      r.end(req.body);
    });
    if (res.status === 401) this.#credentials.invalidate();
    return res;
  }

  /**
   * A long-lived GET (a watch) whose body is handed over as it arrives. onStatus comes first, with the
   * HTTP status; then chunks; then onEnd once, with an error unless the server closed the stream cleanly.
   * The handle is returned at once, so the caller can abort a connect that never answers.
   */
  stream(
    req: HttpRequest,
    on: { status(code: number): void; chunk(text: string): void; end(err?: unknown): void },
  ): StreamHandle {
    let ended = false;
    let request: http.ClientRequest | undefined;
    let aborted = false;
    const end = (err?: unknown) => {
      if (ended) return;
      ended = true;
      on.end(err);
    };
    void this.#credentials.get().then(
      (auth) => {
        if (aborted) return end(new Error("aborted"));
        const r = this.#mod.request(this.#options(req, auth.tls, auth.headers, auth.agent, true), (rsp) => {
          if (rsp.statusCode === 401) this.#credentials.invalidate();
          on.status(rsp.statusCode ?? 0);
          rsp.setEncoding("utf8");
          rsp.on("data", (text: string) => {
            if (!ended) on.chunk(text);
          });
          rsp.on("end", () => end());
          rsp.on("error", end);
          rsp.on("aborted", () => end(new Error(`${req.path}: stream aborted by the server`)));
        });
        request = r;
        r.on("error", end);
        r.on("close", () => end(aborted ? new Error("aborted") : undefined));
        r.end();
      },
      (err) => end(err),
    );
    return {
      abort: () => {
        aborted = true;
        // Without an error: destroy(err) can emit it on a socket no longer bound to the request.
        request?.destroy();
        end(new Error("aborted"));
      },
    };
  }

  /** Closes every pooled connection (idle ones at once, busy ones when their request ends). */
  close(): void {
    for (const a of this.#agents.values()) a.destroy();
    this.#agents.clear();
  }

  #options(
    req: HttpRequest,
    tls: TlsMaterial,
    authHeaders: Record<string, string>,
    proxyAgent: http.Agent | undefined,
    streaming: boolean,
  ): https.RequestOptions {
    const query = new URLSearchParams();
    for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) query.set(k, String(v));
    const qs = query.toString();
    const headers: Record<string, string> = {
      Accept: "application/json",
      "User-Agent": "setpoint",
      ...authHeaders,
      ...req.headers,
    };
    if (req.body !== undefined) headers["Content-Length"] = String(Buffer.byteLength(req.body));
    return {
      method: req.method,
      host: this.#server.hostname.replace(/^\[(.*)\]$/, "$1"),
      port: this.#server.port || (this.#server.protocol === "https:" ? 443 : 80),
      path: `${this.#server.pathname.replace(/\/$/, "")}${req.path}${qs ? `?${qs}` : ""}`,
      headers,
      agent: proxyAgent ?? this.#agent(tls, streaming),
    };
  }

  #agent(tls: TlsMaterial, streaming: boolean): http.Agent {
    const key = `${streaming ? "watch" : "req"}:${tls.key}`;
    let agent = this.#agents.get(key);
    if (agent) return agent;
    const common = {
      keepAlive: true,
      keepAliveMsecs: TCP_KEEPALIVE_MS,
      // Watches are few and long; ordinary requests share a bounded pool and reuse the newest socket.
      maxSockets: streaming ? Number.POSITIVE_INFINITY : this.#maxSockets,
      maxFreeSockets: streaming ? 2 : 4,
      scheduling: "lifo" as const,
    };
    agent =
      this.#mod === https
        ? new https.Agent({
            ...common,
            ...(tls.ca ? { ca: tls.ca } : {}),
            ...(tls.cert ? { cert: tls.cert } : {}),
            ...(tls.privateKey ? { key: tls.privateKey } : {}),
            rejectUnauthorized: tls.rejectUnauthorized,
            ...(tls.servername ? { servername: tls.servername } : {}),
          })
        : new http.Agent(common);
    // A rotated client certificate gets a new pool; the old one is let go once idle.
    for (const [k, old] of this.#agents) {
      if (k.startsWith(streaming ? "watch:" : "req:")) {
        this.#agents.delete(k);
        setTimeout(() => old.destroy(), 60_000).unref();
      }
    }
    this.#agents.set(key, agent);
    return agent;
  }
}
